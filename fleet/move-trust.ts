import { AUDIT_SCHEMA } from "../components/audit-sql";
import { environmentRoleName, orgRoleName, schemaName } from "../spec/naming";
import type { MoveRecord } from "./move-plan";
import type { MoveFile } from "./move-record";

/*
 * What a move lets in from outside its own code (docs/move.md, "Attacks tried"), pure: each an
 * allowlist, so that no input a tenant or a hand-edited file controls is trusted by default.
 *
 * - The tenant's migration command gets a handful of the caller's variables, never the rest:
 *   the caller's environment holds what the operator deploys with (cloud keys, the Pulumi
 *   passphrase, API tokens), and the command is tenant code.
 * - The copy assumes only the owner each schema must have (the environment's DDL role for a
 *   workspace schema, the audit owner for the ledger), whatever the catalog says the owner is.
 * - A record file names only the org's own roles and the move's two clusters: its roles are
 *   compared with the exact set the org's state and naming give, never with the org's name
 *   prefix (`tn_a_` also begins org `a-b`'s roles).
 */

/** The caller's variables the migration command inherits: what finds programs and formats text, nothing that authenticates. */
export const MIGRATION_INHERITED_VARIABLES: readonly string[] = ["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ", "TERM", "TMPDIR"];

/** Only the allowlisted variables of the caller's environment. */
export function inheritedForMigration(base: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const allowed = new Set(MIGRATION_INHERITED_VARIABLES);
  return Object.fromEntries(Object.entries(base).filter(([name, value]) => allowed.has(name) && value !== undefined));
}

/** The one role that must own every table and sequence of each schema the move carries. */
export function expectedOwners(org: string, environments: readonly string[], workspaces: readonly string[]): Map<string, string> {
  const owners = new Map<string, string>([[AUDIT_SCHEMA, orgRoleName(org, "audit")]]);
  for (const env of environments) {
    for (const workspace of workspaces) owners.set(schemaName(workspace, env), environmentRoleName(org, env, "ddl"));
  }
  return owners;
}

export interface OwnedObject {
  readonly schema: string;
  readonly name: string;
  readonly owner: string;
}

/** One line per table or sequence whose owner is not its schema's expected one: the move would otherwise SET ROLE to it. */
export function unexpectedOwners(objects: readonly OwnedObject[], expected: ReadonlyMap<string, string>, side: string): string[] {
  return objects.flatMap((o) => {
    const owner = expected.get(o.schema);
    return owner === o.owner ? [] : [`${o.schema}.${o.name} on the ${side} is owned by ${o.owner}, not by ${owner ?? "any role of the org"}: the move assumes no other role`];
  });
}

export interface RecordAllowlist {
  /** The login roles of the org on each cluster of the move (loginRolesOf on that side's state). */
  readonly sourceLogins: ReadonlySet<string>;
  readonly targetLogins: ReadonlySet<string>;
  /** The roles whose temporary membership a move may journal: the expected owners. */
  readonly owners: ReadonlySet<string>;
  readonly clusters: readonly [string, string];
}

/** Every entry of a record file that names a role or cluster outside the move: an action would ALTER or REVOKE it. */
export function foreignRecordEntries(file: Pick<MoveFile, "sourceLogins" | "targetLogins" | "memberships">, allow: RecordAllowlist): string[] {
  const found: string[] = [];
  for (const [field, recorded, allowed] of [["sourceLogins", file.sourceLogins, allow.sourceLogins], ["targetLogins", file.targetLogins, allow.targetLogins]] as const) {
    for (const entry of recorded ?? []) {
      if (!allowed.has(entry.role)) found.push(`${field}: ${JSON.stringify(entry.role)} is not a login role of this org on that cluster`);
      if (!Number.isInteger(entry.connectionLimit) || entry.connectionLimit < -1) found.push(`${field}: ${JSON.stringify(entry.role)} has connectionLimit ${JSON.stringify(entry.connectionLimit)}, not an integer from -1`);
      if (typeof entry.canLogin !== "boolean") found.push(`${field}: ${JSON.stringify(entry.role)} has canLogin ${JSON.stringify(entry.canLogin)}, not a boolean`);
    }
  }
  for (const m of file.memberships) {
    if (!allow.owners.has(m.role)) found.push(`memberships: ${JSON.stringify(m.role)} is not a table owner of this org`);
    if (!allow.clusters.includes(m.cluster)) found.push(`memberships: ${JSON.stringify(m.cluster)} is neither cluster of this move`);
  }
  return found;
}

/**
 * What no record the command writes can say (startMove refuses it), found in a hand-edited one:
 * a move from a cluster to itself, whose rollback (drop-target) would drop the org's only copy,
 * or a record of another stack.
 */
export function impossibleRecord(record: Pick<MoveRecord, "stack" | "from" | "to">, stack: string): string[] {
  const found: string[] = [];
  if (record.from === record.to) found.push(`record: the move goes from ${record.from} to ${record.to}: dropping its target would drop the org's only copy`);
  if (record.stack !== stack) found.push(`record: it is the move of ${JSON.stringify(record.stack)}, not of ${stack}`);
  return found;
}
