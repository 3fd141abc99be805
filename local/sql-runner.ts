import { Client } from "pg";
import { adoptSuperuserObjectsSql, runAsManagedLogin } from "./managed-server";
import { withMembership } from "./membership";
import { HELD_ROLES_SQL } from "./membership-facts";
import { runInFewRoundTrips } from "./step-round-trips";
import { translationFor, type SqlStep } from "./provider-sql";
import { ident } from "./provider-sql/sql";

/*
 * Runs the provider's SQL steps on the server, as the provider's login, over one connection per
 * database. Elevated steps run as that login too, on a superuser's session that lends them only
 * what RDS lends its master user (local/managed-server.ts). Shared by the apply and by the repair
 * of login passwords, which both carry out the provider's own statements.
 */

export interface Connection {
  readonly host: string;
  readonly port: number;
  readonly user: string;
  readonly password: string;
  /** The provider's own database (`postgresql:database`). */
  readonly database: string;
}

/** The server refused a statement of `what`. */
export class ApplyError extends Error {
  /**
   * Whether some of the change had already taken effect when the server refused (an earlier
   * step committed, or an autocommitted statement ran): then only a rerun can finish it.
   */
  readonly partial: boolean;

  constructor(message: string, partial: boolean) {
    super(message);
    this.name = "ApplyError";
    this.partial = partial;
  }
}

export async function runSteps(steps: readonly SqlStep[], connections: Connections, what: string): Promise<void> {
  let applied = false;
  for (const step of steps) {
    const client = await connections.to(step.database, step.elevated === true);
    if (step.transaction && step.elevated !== true) {
      try {
        await runInFewRoundTrips(client, step);
        applied = true;
      } catch (error) {
        await client.query("ROLLBACK").catch(() => undefined);
        throw new ApplyError(`${what}: ${error instanceof Error ? error.message : String(error)}`, applied);
      }
      continue;
    }
    // Inside a transaction one round trip carries a whole list; CREATE DATABASE and friends
    // refuse the implicit transaction of a multi-statement query, so those go one by one.
    const run = async (statements: readonly string[]) => {
      if (statements.length === 0) return;
      if (step.elevated === true && step.transaction) {
        for (const sql of statements) await runAsManagedLogin(client, connections.login, sql);
      } else if (step.transaction) await client.query(statements.join(";\n"));
      else {
        for (const sql of statements) {
          await client.query(sql);
          applied = true;
        }
      }
    };
    try {
      if (step.transaction) await client.query("BEGIN");
      await run(step.prelude ?? []);
      await withMembership(client, step.membership, async () => {
        const branch = step.branch;
        if (branch === undefined) return run(step.statements);
        const present = ((await client.query(branch.exists, [...branch.params])).rowCount ?? 0) > 0;
        return run(present ? branch.whenPresent : branch.whenAbsent);
      });
      if (step.revokeMembershipsOf !== undefined) await revokeMemberships(client, step.revokeMembershipsOf);
      await run(step.epilogue ?? []);
      if (step.transaction) await client.query("COMMIT");
      applied = true;
    } catch (error) {
      if (step.transaction) await client.query("ROLLBACK").catch(() => undefined);
      throw new ApplyError(`${what}: ${error instanceof Error ? error.message : String(error)}`, applied);
    }
  }
}

/** resource_postgresql_role.go revokeRoles: every role this one is a member of. */
async function revokeMemberships(client: Client, role: string): Promise<void> {
  const held = await client.query(HELD_ROLES_SQL, [role]);
  for (const row of held.rows) await client.query(`REVOKE ${ident(String(row["granted"]))} FROM ${ident(role)}`);
}

/** One connection per database (and per admin or superuser), opened on first use. */
export class Connections {
  private readonly clients = new Map<string, Client>();

  constructor(private readonly admin: Connection, private readonly superuser: Connection) {}

  /** The provider's login, whom elevated steps run as. */
  get login(): string {
    return this.admin.user;
  }

  async to(database: string | undefined, elevated = false): Promise<Client> {
    const name = database ?? this.admin.database;
    const key = `${elevated ? "superuser" : "admin"}/${name}`;
    const open = this.clients.get(key);
    if (open !== undefined) return open;
    const client = new Client({ ...(elevated ? this.superuser : this.admin), database: name });
    client.on("error", () => undefined);
    await client.connect();
    // A database an earlier engine set up as the superuser is first brought to where RDS
    // would have put its owners.
    if (elevated) await client.query(adoptSuperuserObjectsSql(this.superuser.user, this.admin.user));
    this.clients.set(key, client);
    return client;
  }

  /** The provider's Exists check; undefined for types without one (their create is repeatable). */
  async exists(type: string, inputs: Readonly<Record<string, unknown>>): Promise<boolean | undefined> {
    const check = translationFor(type).exists;
    if (check === undefined) return undefined;
    return (await (await this.to(undefined)).query(check.query, [inputs[check.key]])).rowCount !== 0;
  }

  async end(): Promise<void> {
    await Promise.all([...this.clients.values()].map((c) => c.end().catch(() => undefined)));
    this.clients.clear();
  }
}
