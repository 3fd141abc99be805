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
 * Text format, not binary: binary COPY embeds type OIDs in arrays, which differ between two
 * databases for the tenant's own types; text is portable once both sessions pin how values print.
 */

/** The columns COPY can carry: stored generated columns are computed again on the target. Columns: name, in attnum order. */
export function copyColumnsSql(ref: TableRef): string {
  return `SELECT a.attname AS name FROM pg_attribute AS a
WHERE a.attrelid = ${quoteLiteral(qualified(ref))}::regclass AND a.attnum > 0 AND NOT a.attisdropped AND a.attgenerated = ''
ORDER BY a.attnum`;
}

/** Every sequence of these schemas with its value (null: never called). Columns: schema, name, value. */
export function sequencesSql(schemas: readonly string[]): string {
  return `SELECT schemaname AS schema, sequencename AS name, last_value::text AS value FROM pg_sequences
WHERE schemaname = ANY (ARRAY[${schemas.map(quoteLiteral).join(", ")}]::text[]) ORDER BY 1, 2`;
}

export function copyOutSql(ref: TableRef, columns: readonly string[]): string {
  const list = columns.map(quoteIdent).join(", ");
  // A SELECT, so a partitioned table is read whole through its parent.
  return `COPY (SELECT ${list} FROM ${qualified(ref)}) TO STDOUT`;
}

export function copyInSql(ref: TableRef, columns: readonly string[]): string {
  return `COPY ${qualified(ref)} (${columns.map(quoteIdent).join(", ")}) FROM STDIN`;
}

/** The target's statements around the stream, in one transaction. DELETE, not TRUNCATE: a table referenced by a foreign key cannot be truncated alone. */
export function copyTransactionSql(ref: TableRef): { readonly before: readonly string[]; readonly after: readonly string[] } {
  return {
    before: ["BEGIN", "SET LOCAL session_replication_role = replica", `DELETE FROM ${qualified(ref)}`],
    after: ["COMMIT"],
  };
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
export async function copyTable(source: Client, target: Client, ref: TableRef): Promise<number> {
  const columns = (await source.query(copyColumnsSql(ref))).rows.map((r) => String(r.name));
  const { before, after } = copyTransactionSql(ref);
  for (const statement of before) await target.query(statement);
  try {
    const incoming = target.query(copyFrom(copyInSql(ref, columns)));
    await pipeline(source.query(copyTo(copyOutSql(ref, columns))), incoming);
    for (const statement of after) await target.query(statement);
    return incoming.rowCount;
  } catch (error) {
    await target.query("ROLLBACK").catch(() => undefined);
    throw error;
  }
}

/** Every sequence of these schemas set on the target to its value on the source. */
export async function copySequences(source: Client, target: Client, schemas: readonly string[]): Promise<void> {
  for (const row of (await source.query(sequencesSql(schemas))).rows) {
    await target.query(setSequenceSql(String(row.schema), String(row.name), row.value === null ? null : String(row.value)));
  }
}
