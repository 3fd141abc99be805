import { randomInt } from "node:crypto";
import { rmSync } from "node:fs";
import { attempt } from "./attempt";
import { quoteIdent } from "../spec/naming";
import { readJsonIfExists, writePrivateJson } from "./private-file";
import { literal } from "./provider-sql/sql";
import type { ServerInfo } from "./server";
import { SQLSTATE } from "./sqlstate";

/*
 * What the proof creates that other sessions must see, and so cannot keep inside a rolled-back
 * transaction: the table each DDL role creates for the runtime role to use, and the role that
 * stands for PUBLIC. Each is written to a journal before it is created. The proof drops what the
 * journal lists when it ends, however it ends; and every `prove` and `up` first drops what an
 * earlier proof, killed before its end, left listed. The journal names the exact objects, so the
 * clean-up can never take a tenant's own table for a proof's.
 *
 * A tenant can get in the way: its DDL login may grant privileges on its objects to the proof's
 * role while that role exists, and may build a view on the proof's table. The role is freed of
 * such grants before it is dropped; what still cannot be dropped (the table, without CASCADE
 * taking the tenant's view with it) stays listed and is reported, and never stops a run.
 */

export type ProofObject =
  | { readonly kind: "table"; readonly database: string; readonly schema: string; readonly table: string }
  | { readonly kind: "role"; readonly role: string };

interface Journal {
  readonly objects: readonly ProofObject[];
}

/** An object the clean-up could not drop, and the server's reason. */
export interface Leftover {
  readonly object: ProofObject;
  readonly reason: string;
}

export interface CleanupReport {
  /** How many objects the journal listed. */
  readonly listed: number;
  /** Those still on the server; the journal now lists exactly these. */
  readonly leftovers: readonly Leftover[];
}

/** The database to connect to and the statement that drops a table, whether or not it still exists. */
function dropTableStatement(object: Extract<ProofObject, { kind: "table" }>): { readonly database: string; readonly sql: string } {
  return { database: object.database, sql: `DROP TABLE IF EXISTS ${quoteIdent(object.schema)}.${quoteIdent(object.table)}` };
}

export function recordedProofObjects(file: string): ProofObject[] {
  return [...(readJsonIfExists<Journal>(file)?.objects ?? [])];
}

/** Write-ahead: called before the object is created, so a kill in between still leaves it listed. */
export function recordProofObject(file: string, object: ProofObject): void {
  writePrivateJson(file, { objects: [...recordedProofObjects(file), object] } satisfies Journal);
}

/**
 * Drops every object the journal lists, as the superuser (a tenant role's password may be what
 * is broken), tables before roles. An object whose database is gone is gone with it. What cannot
 * be dropped is returned, and stays in the journal for the next run; nothing here throws for it.
 */
export async function dropProofObjects(server: ServerInfo, file: string): Promise<CleanupReport> {
  const objects = recordedProofObjects(file);
  if (objects.length === 0) return { listed: 0, leftovers: [] };
  const ordered = [...objects.filter((o) => o.kind === "table"), ...objects.filter((o) => o.kind === "role")];
  const leftovers: Leftover[] = [];
  for (const object of ordered) {
    const reason = object.kind === "table" ? await dropTable(server, object) : await dropRole(server, object.role);
    if (reason !== undefined) leftovers.push({ object, reason });
  }
  if (leftovers.length === 0) rmSync(file, { force: true });
  else writePrivateJson(file, { objects: leftovers.map((l) => l.object) } satisfies Journal);
  return { listed: objects.length, leftovers };
}

/** The one line a run prints about objects a clean-up could not drop; undefined for none. */
export function leftoverWarning(leftovers: readonly Leftover[]): string | undefined {
  if (leftovers.length === 0) return undefined;
  const named = leftovers.map(({ object, reason }) => `${describeObject(object)} (${reason})`).join(", ");
  return `could not drop ${leftovers.length} object(s) a proof created: ${named}; ${leftovers.length === 1 ? "it stays" : "they stay"} listed and the next prove or up tries again`;
}

/**
 * A reporter that tells each leftover once, however many clean-ups of one command meet it
 * (`up` cleans before applying, before proving, and after proving).
 */
export function reportEachLeftoverOnce(warn: (line: string) => void): (leftovers: readonly Leftover[]) => void {
  const reported = new Set<string>();
  return (leftovers) => {
    const fresh = leftovers.filter(({ object }) => !reported.has(JSON.stringify(object)));
    for (const { object } of fresh) reported.add(JSON.stringify(object));
    const line = leftoverWarning(fresh);
    if (line !== undefined) warn(line);
  };
}

function describeObject(object: ProofObject): string {
  return object.kind === "table" ? `table ${object.schema}.${object.table} in ${object.database}` : `role ${object.role}`;
}

const superuserOf = (server: ServerInfo) => ({ user: server.user, password: server.password });

async function dropTable(server: ServerInfo, object: Extract<ProofObject, { kind: "table" }>): Promise<string | undefined> {
  const { database, sql } = dropTableStatement(object);
  const { code, message } = await attempt(server, superuserOf(server), database, [sql]);
  // A table whose database is gone went with it.
  return code === undefined || code === SQLSTATE.noSuchDatabase ? undefined : message ?? code;
}

/** How often the role's clean-up is tried before giving up: a tenant may keep granting to it. */
const ROLE_DROP_ROUNDS = 5;

/**
 * Drops a role after `DROP OWNED BY` in every database where it holds anything. Those databases
 * are read from pg_shdepend, the shared catalog DROP ROLE itself checks, so none is missed: the
 * grants, default privileges and policies that name the role there, and what it owns. The last
 * database's DROP OWNED and the DROP ROLE run in one session, back to back, so a tenant granting
 * in a loop has the narrowest window. If it still gets in (a new grant, or its GRANT and our
 * revoke updating one catalog row at once: "tuple concurrently updated"), the round is repeated:
 * every statement of it is safe to run again. A tenant that grants without pause can still win
 * every round; then the role is reported and stays listed (it holds only what that tenant gave it).
 */
async function dropRole(server: ServerInfo, role: string): Promise<string | undefined> {
  const su = superuserOf(server);
  const dropOwned = `DROP OWNED BY ${quoteIdent(role)}`;
  let reason: string | undefined;
  for (let round = 0; round < ROLE_DROP_ROUNDS; round += 1) {
    const found = await attempt(server, su, "postgres", [
      "SELECT r.oid IS NOT NULL AS exists, coalesce(array_agg(DISTINCT d.datname::text) FILTER (WHERE d.datname IS NOT NULL), '{}') AS databases " +
        `FROM (SELECT ${literal(role)}::text AS name) n LEFT JOIN pg_roles r ON r.rolname = n.name ` +
        "LEFT JOIN pg_shdepend s ON s.refclassid = 'pg_authid'::regclass AND s.refobjid = r.oid LEFT JOIN pg_database d ON d.oid = s.dbid GROUP BY r.oid",
    ]);
    if (found.code !== undefined) {
      reason = found.message ?? found.code;
      continue;
    }
    if (found.rows[0]?.["exists"] !== true) return undefined;
    const databases = found.rows[0]?.["databases"] as string[];
    // Shared objects (a GRANT CONNECT on a database) are recorded with no database: any session frees them.
    const last = databases.at(-1) ?? "postgres";
    for (const database of databases.slice(0, -1)) await attempt(server, su, database, [dropOwned]);
    const dropped = await attempt(server, su, last, [dropOwned, `DROP ROLE IF EXISTS ${quoteIdent(role)}`]);
    // Gone, whether by this DROP ROLE or another's (DROP OWNED then finds no such role).
    if (dropped.code === undefined || dropped.code === SQLSTATE.undefinedObject) return undefined;
    reason = dropped.message ?? dropped.code;
    // A random pause, so the next round does not fall in step with a loop that keeps granting.
    await new Promise((resolve) => setTimeout(resolve, randomInt(5, 25 * (round + 1))));
  }
  return reason;
}
