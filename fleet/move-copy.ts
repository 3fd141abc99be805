import { pipeline } from "node:stream/promises";
import type { Client } from "pg";
import { from as copyFrom, to as copyTo } from "pg-copy-streams";
import { quoteIdent, quoteLiteral } from "../spec/naming";
import { PINNED_TEXT_FORMS, qualified, type TableRef } from "./move-verify";

/*
 * The copy step of a move (docs/move.md): one table at a time, `COPY ... TO STDOUT` on the
 * source streamed into `COPY ... FROM STDIN` on the target, in one target transaction that first
 * empties the table, so a rerun redoes a table whole or not at all.
 *
 * The target session runs with session_replication_role = replica: ordinary triggers (the audit
 * ledger's among them, and foreign-key checks) do not fire for restored rows, so restoring the
 * data adds no event to the ledger, and tables can be filled in any order. The ledger's own
 * tables are copied the same way, ids included (COPY writes identity columns), and every
 * sequence of the org's schemas is set to its source value afterwards.
 *
 * Each side runs as the table's owner (CopyRoles, fleet/move-owners.ts), so nothing the table
 * carries runs with the provider login's rights, and a table whose row-level security only its
 * owner bypasses (the ledger) is read and written whole.
 *
 * Text format, not binary: binary COPY embeds type OIDs in arrays, which differ between two
 * databases for the tenant's own types; text is portable once both sessions pin how values print.
 */

/** The columns COPY can carry: stored generated columns are computed again on the target. Columns: name, in attnum order. */
export function copyColumnsSql(ref: TableRef): string {
  return `SELECT a.attname AS name FROM pg_attribute AS a
WHERE a.attrelid = ${quoteLiteral(qualified(ref))}::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attnum`;
}

/** Every sequence of these schemas. Columns: schema, name. Its value is read as its owner (sequenceValueSql): pg_sequences shows null to a role without rights on it. */
export function sequencesSql(schemas: readonly string[]): string {
  return `SELECT schemaname AS schema, sequencename AS name FROM pg_sequences
WHERE schemaname = ANY (ARRAY[${schemas.map(quoteLiteral).join(", ")}]::text[]) ORDER BY 1, 2`;
}

/** One sequence's value (null: never called). Column: value. */
export function sequenceValueSql(schema: string, name: string): string {
  return `SELECT last_value::text AS value FROM pg_sequences WHERE schemaname = ${quoteLiteral(schema)} AND sequencename = ${quoteLiteral(name)}`;
}

export function copyOutSql(ref: TableRef, columns: readonly string[]): string {
  const list = columns.map(quoteIdent).join(", ");
  // A SELECT, so a partitioned table is read whole through its parent.
  return `COPY (SELECT ${list} FROM ${qualified(ref)}) TO STDOUT`;
}

export function copyInSql(ref: TableRef, columns: readonly string[]): string {
  return `COPY ${qualified(ref)} (${columns.map(quoteIdent).join(", ")}) FROM STDIN`;
}

/**
 * Who each side's session is while it copies a table: the table's owner on that side (fleet/move-owners.ts),
 * so no tenant code runs with the provider login's rights. Absent: the session's own login.
 */
export interface CopyRoles {
  readonly source?: string;
  readonly target?: string;
}

/** The source's statements around its COPY: a read as the table's owner, whose rights alone it uses. */
export function copyOutTransactionSql(role?: string): { readonly before: readonly string[]; readonly after: readonly string[] } {
  return { before: ["BEGIN", ...setRole(role)], after: ["COMMIT"] };
}

/**
 * The target's statements around the stream, in one transaction. session_replication_role is
 * set before SET ROLE: setting it takes the login's own right (rds_superuser's), which the owner
 * has not. DELETE, not TRUNCATE: a table referenced by a foreign key cannot be truncated alone.
 */
export function copyTransactionSql(ref: TableRef, role?: string): { readonly before: readonly string[]; readonly after: readonly string[] } {
  return {
    before: ["BEGIN", "SET LOCAL session_replication_role = replica", ...setRole(role), `DELETE FROM ${qualified(ref)}`],
    after: ["COMMIT"],
  };
}

function setRole(role: string | undefined): string[] {
  return role === undefined ? [] : [`SET LOCAL ROLE ${quoteIdent(role)}`];
}

export function setSequenceSql(schema: string, name: string, value: string | null): string {
  const sequence = quoteLiteral(qualified({ schema, table: name }));
  return value === null
    ? `SELECT setval(${sequence}, (SELECT start_value FROM pg_sequences WHERE schemaname = ${quoteLiteral(schema)} AND sequencename = ${quoteLiteral(name)}), false)`
    : `SELECT setval(${sequence}, ${BigInt(value).toString()}, true)`;
}

/** Pins how values print and parse on a session used for the copy (both sides). */
export async function pinTextForms(client: Client): Promise<void> {
  for (const statement of PINNED_TEXT_FORMS) await client.query(statement);
}

/** Copies one table; returns the rows the target took. The sessions must have been pinned (pinTextForms). */
export async function copyTable(source: Client, target: Client, ref: TableRef, roles: CopyRoles = {}): Promise<number> {
  const columns = (await source.query(copyColumnsSql(ref))).rows.map((r) => String(r.name));
  const out = copyOutTransactionSql(roles.source);
  const { before, after } = copyTransactionSql(ref, roles.target);
  for (const statement of out.before) await source.query(statement);
  try {
    for (const statement of before) await target.query(statement);
    const incoming = target.query(copyFrom(copyInSql(ref, columns)));
    await pipeline(source.query(copyTo(copyOutSql(ref, columns))), incoming);
    for (const statement of after) await target.query(statement);
    for (const statement of out.after) await source.query(statement);
    return incoming.rowCount;
  } catch (error) {
    await target.query("ROLLBACK").catch(() => undefined);
    await source.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** Each side's owner of a sequence or table, by qualified name (fleet/move-owners.ts); a name absent runs as the login. */
export interface OwnersBySide {
  readonly source: ReadonlyMap<string, string>;
  readonly target: ReadonlyMap<string, string>;
}

/** Every sequence of these schemas set on the target to its value on the source, each read and set as its owner on that side. */
export async function copySequences(source: Client, target: Client, schemas: readonly string[], owners?: OwnersBySide): Promise<void> {
  for (const row of (await source.query(sequencesSql(schemas))).rows) {
    const schema = String(row.schema);
    const name = String(row.name);
    const key = qualified({ schema, table: name });
    const [read] = await asRole(source, owners?.source.get(key), [sequenceValueSql(schema, name)]);
    const value = read?.["value"];
    await asRole(target, owners?.target.get(key), [setSequenceSql(schema, name, value === null || value === undefined ? null : String(value))]);
  }
}

/** Runs statements in one transaction as `role` (SET LOCAL ROLE), or as the login; the last statement's rows. */
export async function asRole(client: Client, role: string | undefined, statements: readonly string[]): Promise<readonly Record<string, unknown>[]> {
  await client.query("BEGIN");
  try {
    for (const statement of setRole(role)) await client.query(statement);
    let rows: Record<string, unknown>[] = [];
    for (const statement of statements) rows = (await client.query(statement)).rows as Record<string, unknown>[];
    await client.query("COMMIT");
    return rows;
  } catch (error) {
    await client.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}
