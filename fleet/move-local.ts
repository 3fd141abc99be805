import { readFileSync } from "node:fs";
import { Client } from "pg";
import { coveredSchemas } from "../components/audit-plan";
import { AUDIT_SCHEMA } from "../components/audit-sql";
import { writeCheckedStackFile } from "../cli/stack-file-writer";
import { ensureClusterServers, type ClusterServer } from "../local/cluster-servers";
import { ensureProviderAdmin } from "../local/provider-admin";
import type { Connection } from "../local/sql-runner";
import { readState, writeState, type AppliedResource } from "../local/state";
import { loadLocalStack, providerDatabase, upLocal, type LocalStack } from "../local/up";
import { databaseName, environmentRoleName } from "../spec/naming";
import { copyAsOwners, verifyAsOwners, type OwnerPair } from "./move-as-owners";
import { freezeSql, loginAttributesSql, unfreezeSql, writerRoles, type LoginAttributes } from "./move-freeze";
import { ddlLoginSql, dropOrgCopySql, existingRolesSql, loginRolesOf, migrationEnv, orgRolesIn, placementIn, storedPassword, withPlacement } from "./move-local-plan";
import { runMigration } from "./move-migrate";
import { expectedOwners, foreignRecordEntries, impossibleRecord } from "./move-trust";
import { revokeSetRoleSql } from "./move-owners";
import { MoveRefused, type MoveAction, type MoveRecord } from "./move-plan";
import { readMoveFile, writeMoveFile, type MoveFile } from "./move-record";
import { VerificationFailed } from "./move-run";
import { compareShapes, refusedShapes, shapeRefusalsSql, tableShapesSql, type ShapeRefusalRow, type TableShape } from "./move-shape";
import { inventorySql, qualified } from "./move-verify";

/*
 * The actions of `tenantry move` against the local cluster servers (docs/move.md): each one
 * idempotent, since fleet/move-run.ts reruns an interrupted one from its start. Everything runs
 * as each server's provider login (no superuser, as on RDS), and the rows of tenant tables are
 * read and written as each table's owner (fleet/move-owners.ts).
 */

/** Test hooks: called after an action's work (to fail it there, as a crash would) and before verify reads (to change a row). */
export interface MoveHooks {
  readonly afterAction?: (action: MoveAction) => void | Promise<void>;
  readonly beforeVerify?: (target: Connection) => void | Promise<void>;
}

export interface LocalMove {
  readonly projectDir: string;
  /** The stack as the user named it (a name in stacks/ or a path). */
  readonly stackArg: string;
  readonly org: string;
  readonly environments: readonly string[];
  readonly workspaces: readonly string[];
  readonly migrate?: string;
  readonly signal?: AbortSignal;
  readonly hooks?: MoveHooks;
  readonly log: (line: string) => void;
}

/** What one side of the move is: its cluster's server, its provider login, and its state of the stack. */
interface Side {
  readonly cluster: string;
  readonly stack: LocalStack;
  readonly server: ClusterServer;
  readonly admin: Connection;
}

export class LocalMoveActions {
  private readonly sides = new Map<string, Side>();
  /** When this run froze the source, to report how long the org could not write (freeze to switch). */
  private frozenAt: number | undefined;

  constructor(private readonly move: LocalMove) {}

  /** The saved move file (the record is saved by runMove; the rest by the actions). */
  private file(): MoveFile {
    const file = readMoveFile(this.move.projectDir, this.move.org);
    if (file === undefined) throw new Error("internal: the move's record file is gone");
    return file;
  }

  private save(change: Partial<MoveFile>): void {
    writeMoveFile(this.move.projectDir, { ...this.file(), ...change });
  }

  /** A side, its server started if it is not running. The stack is loaded onto that cluster, whatever its file places it on. */
  private async side(cluster: string): Promise<Side> {
    const known = this.sides.get(cluster);
    if (known !== undefined) return known;
    const stack = loadLocalStack(this.move.projectDir, this.move.stackArg, { cluster });
    const placement = stack.placement;
    if (placement === undefined) throw new MoveRefused(`${stack.stackFile.stack} has no placement: only a placed org moves between clusters`);
    const [server] = await ensureClusterServers(this.move.projectDir, placement.clusters.filter((c) => c.name === cluster), this.signalOption());
    if (server === undefined) throw new Error(`internal: no server for ${cluster}`);
    const admin = await ensureProviderAdmin(server.paths, server.server, stack.tenant.provider.adminRole, providerDatabase(stack.stackFile));
    const side = { cluster, stack, server, admin };
    this.sides.set(cluster, side);
    return side;
  }

  private signalOption(): { signal?: AbortSignal } {
    return this.move.signal === undefined ? {} : { signal: this.move.signal };
  }

  private resources(side: Side): readonly AppliedResource[] {
    return readState(side.server.paths).stacks[side.stack.stackFile.stack]?.resources ?? [];
  }

  private get schemas(): string[] {
    return coveredSchemas({ environments: this.move.environments, workspaces: this.move.workspaces });
  }

  /** Runs one action of the plan; the hook may then fail it, as a crash after its work would. */
  readonly run = async (action: MoveAction, record: MoveRecord): Promise<void> => {
    this.move.signal?.throwIfAborted();
    const started = Date.now();
    await this.refuseForeignRecord(record);
    await this.revokeLeftoverMemberships();
    if (action === "freeze-source") this.frozenAt = started;
    await this.act(action, record);
    this.move.log(`${action}: done (${((Date.now() - started) / 1000).toFixed(1)} s)`);
    if (action === "switch" && this.frozenAt !== undefined) this.move.log(`the org could not write for ${((Date.now() - this.frozenAt) / 1000).toFixed(1)} s (freeze to switch)`);
    await this.move.hooks?.afterAction?.(action);
  };

  private async act(action: MoveAction, record: MoveRecord): Promise<void> {
    switch (action) {
      case "prepare-target": return this.prepareTarget(record);
      case "freeze-source": return this.freezeSource(record);
      case "create-tables": return this.createTables(record);
      case "copy": return this.copy(record);
      case "verify": return this.verify(record);
      case "switch": return this.switchPlacement(record);
      case "unfreeze-source": return this.unfreezeSource(record);
      case "drop-target": return this.dropCopy(record.to);
      case "drop-source": return this.dropCopy(record.from);
    }
  }

  private get owners(): Map<string, string> {
    return expectedOwners(this.move.org, this.move.environments, this.move.workspaces);
  }

  /**
   * The record file names only this org's login roles on each side and its table owners: every
   * action ALTERs the roles it lists (a rollback gives them LOGIN) and REVOKEs its memberships. A
   * hand-edited or hostile record naming another org's role (org a's file naming a-b's) is refused.
   */
  private async refuseForeignRecord(record: MoveRecord): Promise<void> {
    const file = this.file();
    const logins = async (cluster: string) => new Set(loginRolesOf(this.resources(await this.side(cluster)), this.move.org, this.move.environments));
    const impossible = impossibleRecord(record, loadLocalStack(this.move.projectDir, this.move.stackArg).stackFile.stack);
    const foreign = impossible.length > 0 ? impossible : foreignRecordEntries(file, {
      sourceLogins: await logins(record.from), targetLogins: await logins(record.to),
      owners: new Set(this.owners.values()), clusters: [record.from, record.to],
    });
    if (foreign.length > 0) {
      throw new MoveRefused(`the move's record file names what is not this move's; nothing was done:\n${foreign.map((f) => `  - ${f}`).join("\n")}\nrestore the record file (or remove those entries) and rerun`);
    }
  }

  // ---- prepare-target, freeze-source -------------------------------------------------------

  private async prepareTarget(record: MoveRecord): Promise<void> {
    const source = await this.side(record.from);
    const target = await this.side(record.to);
    const recorded = this.file().targetLogins;
    // A rerun: the frozen logins back first, or the apply's login check would find them refused.
    if (recorded !== undefined) await this.restoreLogins(target, recorded);
    await upLocal(target.stack, { ...this.signalOption(), passwordsFrom: this.resources(source) });
    const roles = loginRolesOf(this.resources(target), this.move.org, this.move.environments);
    if (recorded === undefined) this.save({ targetLogins: await this.loginAttributes(target, roles) });
    await this.freeze(target, roles);
  }

  private async freezeSource(record: MoveRecord): Promise<void> {
    const source = await this.side(record.from);
    const roles = loginRolesOf(this.resources(source), this.move.org, this.move.environments);
    // Read once, before the first freeze: a resumed freeze must not record the frozen state.
    if (this.file().sourceLogins === undefined) this.save({ sourceLogins: await this.loginAttributes(source, roles) });
    await this.freeze(source, roles);
  }

  private async loginAttributes(side: Side, roles: readonly string[]): Promise<LoginAttributes[]> {
    const rows = await this.query(side.admin, [loginAttributesSql(roles)]);
    return rows.map((r) => ({ role: String(r["role"]), canLogin: r["can_login"] === true, connectionLimit: Number(r["connection_limit"]) }));
  }

  private async freeze(side: Side, roles: readonly string[]): Promise<void> {
    const alive = await this.query(side.admin, freezeSql(roles));
    if (alive.length > 0) {
      throw new Error(`the freeze on ${side.cluster} does not hold: still open for ${alive.map((r) => `${String(r["role"])} (${String(r["holds"])})`).join(", ")}; rerun to try again`);
    }
  }

  private async restoreLogins(side: Side, recorded: readonly LoginAttributes[]): Promise<void> {
    const present = new Set((await this.query(side.admin, [existingRolesSql(recorded.map((r) => r.role))])).map((r) => String(r["role"])));
    await this.query(side.admin, unfreezeSql(recorded.filter((r) => present.has(r.role))));
  }

  private async unfreezeSource(record: MoveRecord): Promise<void> {
    const recorded = this.file().sourceLogins;
    // No attributes recorded: the freeze never began its ALTER ROLEs, so there is nothing to give back.
    if (recorded !== undefined) await this.restoreLogins(await this.side(record.from), recorded);
  }

  // ---- create-tables -----------------------------------------------------------------------

  /** The tables of the source's workspace schemas, named; a move needs --migrate when there is any. */
  async sourceTables(from: string): Promise<string[]> {
    const source = await this.side(from);
    const rows = await this.query({ ...source.admin, database: databaseName(this.move.org) }, [inventorySql(this.schemas)]);
    return rows.map((r) => qualified({ schema: String(r["schema"]), table: String(r["table"]) }));
  }

  private async createTables(record: MoveRecord): Promise<void> {
    const target = await this.side(record.to);
    const source = await this.side(record.from);
    const migrate = this.move.migrate ?? this.file().migrate;
    const tables = await this.sourceTables(record.from);
    if (tables.length > 0 && migrate === undefined) {
      throw new MoveRefused(`the source holds tables (${tables.join(", ")}): the target's are made by the org's migrations; rerun with --migrate <command>, or roll back with --rollback`);
    }
    // The source is read after the freeze: checked before it, the DDL login could still change a
    // table in between (the CLI also checks before the freeze, only to refuse early).
    await this.refuseTenantCode(source, "source");
    if (migrate !== undefined) {
      const recorded = new Map((this.file().targetLogins ?? []).map((r) => [r.role, r]));
      for (const env of this.move.environments) await this.migrateEnvironment(target, env, migrate, recorded.get(environmentRoleName(this.move.org, env, "ddl"))?.connectionLimit ?? -1);
    }
    await this.refuseTenantCode(target, "target, as the migrations made them");
    const shapes = async (side: Side) => (await this.query({ ...side.admin, database: databaseName(this.move.org) }, [tableShapesSql([...this.schemas, AUDIT_SCHEMA])])) as unknown as TableShape[];
    const differences = compareShapes(await shapes(source), await shapes(target));
    if (differences.length > 0) {
      throw new MoveRefused(`the tables the migrations made on ${record.to} are not the source's; nothing was copied:\n${differences.map((d) => `  - ${d}`).join("\n")}\nfix the migrations and rerun, or roll back with --rollback`);
    }
  }

  /** The refusals of fleet/move-shape-refusals.ts for one side's workspace tables: the copy must run no tenant code. */
  async tenantCodeRefusals(cluster: string): Promise<string[]> {
    const side = await this.side(cluster);
    const rows = await this.query({ ...side.admin, database: databaseName(this.move.org) }, [shapeRefusalsSql(this.schemas)]);
    return refusedShapes(rows as unknown as ShapeRefusalRow[]);
  }

  private async refuseTenantCode(side: Side, which: string): Promise<void> {
    const refusals = await this.tenantCodeRefusals(side.cluster);
    if (refusals.length > 0) {
      throw new MoveRefused(`the copy would run the tenant's own code for these tables (on the ${which}); nothing was copied:\n${refusals.map((r) => `  - ${r}`).join("\n")}\nsee "What the shape check refuses" in docs/move.md; roll back with --rollback`);
    }
  }

  /** The migration command, once, as the environment's DDL role on the target, which may log in for this alone. */
  private async migrateEnvironment(target: Side, env: string, command: string, connectionLimit: number): Promise<void> {
    const role = environmentRoleName(this.move.org, env, "ddl");
    const password = storedPassword(this.resources(target), role);
    if (password === undefined) throw new Error(`internal: no stored password for ${role} on ${target.cluster}`);
    await this.query(target.admin, [ddlLoginSql(this.move.org, env, connectionLimit, true)]);
    try {
      const variables = migrationEnv(process.env, { host: target.server.server.host, port: target.server.server.port, database: databaseName(this.move.org), user: role, password, environment: env });
      await runMigration(command, variables, `for environment ${env} on ${target.cluster}`);
    } finally {
      // Frozen again, and checked: a session the command left behind (a detached process) must be gone before the copy.
      await this.freeze(target, [role]);
    }
  }

  // ---- copy and verify, as each table's owner ----------------------------------------------

  private get movedSchemas(): string[] {
    return [...this.schemas, AUDIT_SCHEMA];
  }

  /** Revokes every temporary membership the journal lists (this run's, or one a crash left), then forgets them. */
  private async revokeLeftoverMemberships(): Promise<void> {
    const left = this.file().memberships;
    for (const { cluster, role } of left) {
      const side = await this.side(cluster);
      const present = (await this.query(side.admin, [existingRolesSql([role])])).length > 0;
      if (present) await this.query(side.admin, [revokeSetRoleSql(role)]);
    }
    if (left.length > 0) this.save({ memberships: [] });
  }

  /** One session per side in the org database, journaling temporary memberships in the record file; every one revoked after. */
  private async withPair<T>(record: MoveRecord, work: (pair: OwnerPair) => Promise<T>): Promise<T> {
    const database = databaseName(this.move.org);
    const source = new Client({ ...(await this.side(record.from)).admin, database });
    const target = new Client({ ...(await this.side(record.to)).admin, database });
    try {
      await Promise.all([source.connect(), target.connect()]);
      const journal = (cluster: string, role: string) => this.save({ memberships: [...this.file().memberships, { cluster, role }] });
      return await work({ source, target, clusters: { source: record.from, target: record.to }, journal, expectedOwners: this.owners });
    } finally {
      await Promise.all([source.end(), target.end()]);
      await this.revokeLeftoverMemberships();
    }
  }

  private async copy(record: MoveRecord): Promise<void> {
    const { tables, rows } = await this.withPair(record, (pair) => copyAsOwners(pair, this.movedSchemas));
    this.move.log(`copy: ${rows} rows in ${tables} tables`);
  }

  private async verify(record: MoveRecord): Promise<void> {
    await this.move.hooks?.beforeVerify?.({ ...(await this.side(record.to)).admin, database: databaseName(this.move.org) });
    const { differences, source } = await this.withPair(record, (pair) => verifyAsOwners(pair, this.movedSchemas, writerRoles(this.move.org, this.move.environments)));
    if (differences.length > 0) throw new VerificationFailed(differences);
    const rows = source.tables.reduce((sum, t) => sum + Number(t.rows), 0);
    this.move.log(`verify: ${source.tables.length} tables, ${rows} rows, counts and checksums equal; the ledger identical and append-only on ${record.to}`);
  }

  // ---- switch, and dropping a copy ---------------------------------------------------------

  /** The placement written first (the commit point), then the target's logins back and its posture applied again. */
  private async switchPlacement(record: MoveRecord): Promise<void> {
    const source = await this.side(record.from);
    const target = await this.side(record.to);
    const path = target.stack.stackFile.path;
    const before = readFileSync(path, "utf8");
    if (placementIn(before) !== record.to) writeCheckedStackFile(path, withPlacement(before, record.to), { replace: before });
    const recorded = this.file().targetLogins;
    if (recorded !== undefined) await this.restoreLogins(target, recorded);
    const placed = loadLocalStack(this.move.projectDir, this.move.stackArg);
    if (placed.placement?.cluster !== record.to) throw new Error(`internal: the stack file does not place ${this.move.org} on ${record.to} after the switch`);
    await upLocal(placed, { ...this.signalOption(), passwordsFrom: this.resources(source) });
  }

  /** Drops the org's copy from one cluster: its database, the roles that server's state of the stack records (pending ones too) and the writers the naming derives, and that state. */
  private async dropCopy(cluster: string): Promise<void> {
    const side = await this.side(cluster);
    const pending = readState(side.server.paths).stacks[side.stack.stackFile.stack]?.pending ?? [];
    const roles = [...new Set([...orgRolesIn(this.resources(side), this.move.org, pending), ...loginRolesOf([], this.move.org, this.move.environments)])];
    await this.query(side.admin, dropOrgCopySql(this.move.org, roles));
    const state = readState(side.server.paths);
    delete state.stacks[side.stack.stackFile.stack];
    writeState(side.server.paths, state);
  }

  private async query(connection: Connection, statements: readonly string[]): Promise<Record<string, unknown>[]> {
    const client = new Client(connection);
    await client.connect();
    try {
      let rows: Record<string, unknown>[] = [];
      for (const statement of statements) rows = (await client.query(statement)).rows as Record<string, unknown>[];
      return rows;
    } finally {
      await client.end();
    }
  }
}
