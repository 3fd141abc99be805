import { AUDIT_SCHEMA } from "../components/audit-sql";
import { BREAK_GLASS_GRANTS_TABLE } from "../components/break-glass-ledger-sql";
import { quoteIdent, quoteLiteral } from "../spec/naming";

/*
 * The verification of a move (docs/move.md): the SQL both sides run, and the comparison of what
 * they answered. Pure: no connection here; the command (and test/integration/move-verify.test.ts)
 * runs the SQL on the source and the target and hands the rows back.
 *
 * A checksum compares text forms, so both sessions first pin every setting that changes how a
 * value prints: otherwise a target whose DateStyle or extra_float_digits differs would fail an
 * exact copy, or (worse) a lossy float copy could pass where the defaults round alike.
 */

/** Run first in each verifying session (SET, not SET LOCAL: the session exists only to verify). */
export const PINNED_TEXT_FORMS: readonly string[] = [
  "SET extra_float_digits = 1",
  "SET DateStyle = 'ISO, YMD'",
  "SET IntervalStyle = 'postgres'",
  "SET TimeZone = 'UTC'",
  "SET bytea_output = 'hex'",
];

export interface TableRef {
  readonly schema: string;
  readonly table: string;
}

/** The org's ledger: compared as a ledger (in id order, with its sequence) on top of its table digest. */
export const LEDGER_TABLES: readonly TableRef[] = [
  { schema: AUDIT_SCHEMA, table: "events" },
  { schema: AUDIT_SCHEMA, table: BREAK_GLASS_GRANTS_TABLE },
];

/**
 * Every table the move carries: ordinary and partitioned tables of the given schemas (a
 * partition is counted through its parent, not twice). Columns: schema, table.
 */
export function inventorySql(schemas: readonly string[]): string {
  const list = schemas.map(quoteLiteral).join(", ");
  return `SELECT n.nspname AS schema, c.relname AS table
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (ARRAY[${list}]::text[]) AND c.relkind IN ('r', 'p') AND NOT c.relispartition
ORDER BY n.nspname COLLATE "C", c.relname COLLATE "C"`;
}

/**
 * A table's row count and checksum: md5 over the sorted md5s of its rows' text forms. Sorting
 * the per-row hashes (32 bytes each) rather than the rows bounds the aggregate's memory and
 * makes the order rows come back in irrelevant; "C" keeps the servers' collations out of it.
 * Duplicate rows count: string_agg keeps each. Columns: rows (text, a bigint), checksum.
 */
export function tableDigestSql(ref: TableRef): string {
  return `SELECT count(*)::text AS rows, md5(coalesce(string_agg(row_hash, '' ORDER BY row_hash COLLATE "C"), '')) AS checksum
FROM (SELECT md5(t::text) AS row_hash FROM ${qualified(ref)} AS t) AS hashed`;
}

/**
 * A ledger table's digest in id order: the same events with other ids (or in another order)
 * are a different ledger. `sequence` is the identity's last value, which must not be behind
 * the highest id, or the target's next event would collide or reuse a number.
 * Columns: rows, max_id, sequence (text, null when never called), checksum.
 */
export function ledgerDigestSql(ref: TableRef): string {
  const table = qualified(ref);
  return `SELECT count(*)::text AS rows, coalesce(max(l.id), 0)::text AS max_id,
  (SELECT s.last_value::text FROM pg_sequences AS s
    WHERE format('%I.%I', s.schemaname, s.sequencename) = pg_get_serial_sequence(${quoteLiteral(table)}, 'id')) AS sequence,
  md5(coalesce(string_agg(md5(l::text), '' ORDER BY l.id), '')) AS checksum
FROM ${table} AS l`;
}

/** Each (role, table, privilege) by which a tenant role could rewrite the ledger. Columns: role, table, privilege. */
export function ledgerWritersSql(roles: readonly string[], ledger: readonly TableRef[]): string {
  const roleList = roles.map(quoteLiteral).join(", ");
  const tableList = ledger.map((ref) => quoteLiteral(qualified(ref))).join(", ");
  return `SELECT r.rolname AS role, l.name AS table, p.privilege
FROM pg_roles AS r
CROSS JOIN unnest(ARRAY[${tableList}]::text[]) AS l(name)
CROSS JOIN (VALUES ('UPDATE'), ('DELETE'), ('TRUNCATE')) AS p(privilege)
WHERE r.rolname = ANY (ARRAY[${roleList}]::text[]) AND has_table_privilege(r.oid, l.name, p.privilege)
ORDER BY 1, 2, 3`;
}

export interface TableDigest extends TableRef {
  readonly rows: string;
  readonly checksum: string;
}

export interface LedgerDigest extends TableDigest {
  readonly maxId: string;
  readonly sequence: string | null;
}

export interface SideDigest {
  readonly tables: readonly TableDigest[];
  readonly ledger: readonly LedgerDigest[];
}

export interface LedgerWriter {
  readonly role: string;
  readonly table: string;
  readonly privilege: string;
}

/** Every difference that fails the move, each naming the table and both sides' numbers; [] means verified. */
export function compareDigests(source: SideDigest, target: SideDigest, targetLedgerWriters: readonly LedgerWriter[] = []): string[] {
  const found: string[] = [];
  const byName = (digests: readonly TableDigest[]) => new Map(digests.map((d) => [qualified(d), d]));
  const sourceTables = byName(source.tables);
  const targetTables = byName(target.tables);
  for (const [name, s] of sourceTables) {
    const t = targetTables.get(name);
    if (t === undefined) found.push(`${name}: missing on the target (${s.rows} rows on the source)`);
    else if (s.rows !== t.rows) found.push(`${name}: ${s.rows} rows on the source, ${t.rows} on the target`);
    else if (s.checksum !== t.checksum) found.push(`${name}: ${s.rows} rows on both sides but their contents differ (checksum ${s.checksum} on the source, ${t.checksum} on the target)`);
  }
  for (const name of targetTables.keys()) {
    if (!sourceTables.has(name)) found.push(`${name}: on the target only`);
  }
  const targetLedger = byName(target.ledger) as Map<string, LedgerDigest>;
  for (const s of source.ledger) {
    const name = qualified(s);
    const t = targetLedger.get(name);
    if (t === undefined) found.push(`ledger ${name}: missing on the target`);
    else {
      if (s.rows !== t.rows || s.maxId !== t.maxId || s.checksum !== t.checksum) {
        found.push(`ledger ${name}: not identical (source ${s.rows} events up to id ${s.maxId}, target ${t.rows} up to id ${t.maxId}${s.checksum === t.checksum ? "" : ", checksums in id order differ"})`);
      }
      if (BigInt(t.sequence ?? "0") < BigInt(t.maxId)) found.push(`ledger ${name}: the target's id sequence (${t.sequence ?? "never called"}) is behind its highest id ${t.maxId}`);
    }
  }
  for (const w of targetLedgerWriters) found.push(`ledger ${w.table}: ${w.role} holds ${w.privilege} on the target, so it is not append-only`);
  return found;
}

/** Runs one statement on one side and returns its rows (the command's and the test's connection, whatever it is). */
export type Query = (sql: string) => Promise<readonly Record<string, unknown>[]>;

/**
 * One side's digest: its inventory of `schemas`, each table's digest and the ledger's. The
 * session's text forms are pinned first, so call it on a connection of its own. With `owners`
 * (qualified name to owner, fleet/move-owners.ts), each table is read as its owner: the ledger's
 * row-level security hides rows from any other role, and the provider login must not run what a
 * tenant table carries with its own rights.
 */
export async function digestSide(query: Query, schemas: readonly string[], ledger: readonly TableRef[] = LEDGER_TABLES, owners?: ReadonlyMap<string, string>): Promise<SideDigest> {
  for (const statement of PINNED_TEXT_FORMS) await query(statement);
  const inventory = (await query(inventorySql(schemas))).map((row) => ({ schema: String(row.schema), table: String(row.table) }));
  const asOwner = async (ref: TableRef, sql: string) => {
    const owner = owners?.get(qualified(ref));
    if (owner === undefined) return query(sql);
    await query(`SET ROLE ${quoteIdent(owner)}`);
    try {
      return await query(sql);
    } finally {
      await query("RESET ROLE");
    }
  };
  const tables: TableDigest[] = [];
  for (const ref of inventory) {
    const [row] = await asOwner(ref, tableDigestSql(ref));
    tables.push({ ...ref, rows: String(row!.rows), checksum: String(row!.checksum) });
  }
  const present = new Set(inventory.map(qualified));
  const ledgerDigests: LedgerDigest[] = [];
  for (const ref of ledger.filter((l) => present.has(qualified(l)))) {
    const [row] = await asOwner(ref, ledgerDigestSql(ref));
    ledgerDigests.push({ ...ref, rows: String(row!.rows), maxId: String(row!.max_id), sequence: row!.sequence === null ? null : String(row!.sequence), checksum: String(row!.checksum) });
  }
  return { tables, ledger: ledgerDigests };
}

/** The table's quoted, schema-qualified name. */
export function qualified(ref: TableRef): string {
  return `${quoteIdent(ref.schema)}.${quoteIdent(ref.table)}`;
}
