import { readFileSync } from "node:fs";
import fc from "fast-check";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { compareDigests, digestSide, ledgerWritersSql, LEDGER_TABLES, PINNED_TEXT_FORMS, tableDigestSql, type Query } from "../../fleet/move-verify";
import { localPaths } from "../../local/paths";
import { adminClient, type ServerInfo } from "../../local/server";
import { TwoDatabases } from "../helpers/two-databases";

/*
 * The move's verification on the real embedded server. Two databases stand in for the source
 * and the target cluster until the two-server local setup lands; the SQL is the same. The copy
 * here is the test's own (each row through its text form, ids kept): what is under test is that the
 * verification passes an exact copy and names every way a copy can differ.
 */

const server = JSON.parse(readFileSync(localPaths(inject("localDir")).serverFile, "utf8")) as ServerInfo;
const SOURCE = "tn_mvtest_source";
const TARGET = "tn_mvtest_target";
const SCHEMAS = ["web_dev", "audit"];
const TENANT_ROLE = "tn_mvtest_dev_runtime";

const SHAPE = `
CREATE SCHEMA web_dev;
CREATE SCHEMA audit;
CREATE TABLE web_dev.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, amount float8, placed timestamptz,
  span interval, note text, payload jsonb, blob bytea, price numeric);
CREATE TABLE web_dev.tags (tag text);
CREATE TABLE audit.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, actor text NOT NULL, operation text NOT NULL, diff jsonb);
CREATE TABLE audit.break_glass_grants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, role text NOT NULL, grantee text NOT NULL);
`;
const TABLES = ["web_dev.orders", "web_dev.tags", "audit.events", "audit.break_glass_grants"];

const databases = new TwoDatabases(server, { source: SOURCE, target: TARGET }, SHAPE);
let source: Client;
let target: Client;
const query = (client: Client): Query => async (sql) => (await client.query(sql)).rows as Record<string, unknown>[];

/** The test's copy: every row through its text form (both sessions pinned alike), identity values kept, each identity sequence set past them. */
async function copyAll(): Promise<void> {
  for (const statement of PINNED_TEXT_FORMS) await Promise.all([source.query(statement), target.query(statement)]);
  for (const table of TABLES) {
    const { rows } = await source.query(`SELECT coalesce(array_agg(t::text), '{}') AS rows FROM ${table} AS t`);
    await target.query(`TRUNCATE ${table}`);
    await target.query(`INSERT INTO ${table} OVERRIDING SYSTEM VALUE SELECT (r::${table}).* FROM unnest($1::text[]) AS r`, [rows[0].rows]);
    if (table !== "web_dev.tags") {
      await target.query(`SELECT setval(pg_get_serial_sequence('${table}', 'id'), greatest((SELECT max(id) FROM ${table}), 1))`);
    }
  }
}

async function verify(): Promise<string[]> {
  const [s, t] = await Promise.all([digestSide(query(source), SCHEMAS), digestSide(query(target), SCHEMAS)]);
  const writers = (await target.query(ledgerWritersSql([TENANT_ROLE], LEDGER_TABLES))).rows;
  return compareDigests(s, t, writers);
}

interface OrderRow {
  amount: number | null;
  placed: Date | null;
  span: string;
  note: string;
  payload: string;
  blob: Buffer;
  price: string;
}

const orderRow: fc.Arbitrary<OrderRow> = fc.record({
  amount: fc.oneof(fc.double(), fc.constant(null)),
  placed: fc.oneof(fc.date({ min: new Date("1900-01-01T00:00:00Z"), max: new Date("2200-01-01T00:00:00Z"), noInvalidDate: true }), fc.constant(null)),
  span: fc.integer({ min: -1_000_000, max: 1_000_000 }).map((s) => `${s} seconds`),
  // Postgres text holds no NUL.
  note: fc.string({ unit: "grapheme" }).map((s) => s.replace(/\0/g, "")),
  payload: fc.jsonValue().map((v) => JSON.stringify(v).replace(/\\u0000/g, "")),
  blob: fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b)),
  price: fc.bigInt({ min: -(10n ** 30n), max: 10n ** 30n }).map((n) => `${n}.${String(n < 0n ? -n : n).slice(0, 5)}`),
});
const orders = fc.array(orderRow, { minLength: 1, maxLength: 40 });
const tags = fc.array(fc.constantFrom("a", "b", "c"), { maxLength: 10 });

async function seed(rows: readonly OrderRow[], tagList: readonly string[]): Promise<void> {
  await source.query("TRUNCATE web_dev.orders, web_dev.tags, audit.events, audit.break_glass_grants RESTART IDENTITY");
  for (const r of rows) {
    await source.query("INSERT INTO web_dev.orders (amount, placed, span, note, payload, blob, price) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      [r.amount, r.placed, r.span, r.note, r.payload, r.blob, r.price]);
    await source.query("INSERT INTO audit.events (actor, operation, diff) VALUES ('tn_mvtest_dev_runtime', 'INSERT', $1)", [r.payload]);
  }
  for (const tag of tagList) await source.query("INSERT INTO web_dev.tags VALUES ($1)", [tag]);
  await source.query("INSERT INTO audit.break_glass_grants (role, grantee) VALUES ('tn_mvtest_breakglass', 'oncall@example.com')");
}

describe("verifying a moved org", () => {
  beforeAll(async () => {
    await databases.reset();
    ({ source, target } = databases);
    await source.query(`DROP ROLE IF EXISTS ${TENANT_ROLE}`);
    await source.query(`CREATE ROLE ${TENANT_ROLE} NOLOGIN`);
  });

  afterAll(async () => {
    await databases.drop();
    const admin = adminClient(server);
    await admin.connect();
    await admin.query(`DROP ROLE IF EXISTS ${TENANT_ROLE}`);
    await admin.end();
  });

  it("passes an exact copy of generated rows, and names the table when one row is lost or one value changed", async () => {
    await fc.assert(fc.asyncProperty(orders, tags, fc.nat(), fc.boolean(), async (rows, tagList, pick, lose) => {
      await seed(rows, tagList);
      await copyAll();
      expect(await verify()).toEqual([]);
      const id = (pick % rows.length) + 1;
      if (lose) await target.query("DELETE FROM web_dev.orders WHERE id = $1", [id]);
      else await target.query("UPDATE web_dev.orders SET note = note || 'x' WHERE id = $1", [id]);
      const found = await verify();
      expect(found).toHaveLength(1);
      expect(found[0]).toMatch(lose ? /^"web_dev"\."orders": \d+ rows on the source, \d+ on the target$/ : /^"web_dev"\."orders": \d+ rows on both sides but their contents differ/);
    }), { numRuns: 12 });
  });

  it("gives the same checksum whatever each session prints dates, floats and bytes as, and only because it pins them (control)", async () => {
    await seed([{ amount: 0.1 + 0.2, placed: new Date("2026-11-27T17:00:00Z"), span: "90 seconds", note: "n", payload: "{}", blob: Buffer.from([1, 2]), price: "1.5" }], []);
    await copyAll();
    await target.query("SET DateStyle = 'German'; SET extra_float_digits = -3; SET TimeZone = 'Asia/Kolkata'; SET bytea_output = 'escape'; SET IntervalStyle = 'sql_standard'");
    const unpinned = async (client: Client) => (await client.query(tableDigestSql({ schema: "web_dev", table: "orders" }))).rows[0].checksum as string;
    expect(await unpinned(source)).not.toBe(await unpinned(target));
    expect(await verify()).toEqual([]);
  });

  it("finds duplicate rows lost in a table without a key", async () => {
    await seed([], ["a", "a", "b"]);
    await copyAll();
    expect(await verify()).toEqual([]);
    await target.query("DELETE FROM web_dev.tags WHERE ctid = (SELECT min(ctid) FROM web_dev.tags WHERE tag = 'a')");
    expect(await verify()).toEqual(['"web_dev"."tags": 3 rows on the source, 2 on the target']);
  });

  it("refuses a ledger with the same events under other ids, a sequence behind its highest id, a table on one side only, and a tenant role that could rewrite it", async () => {
    await seed([{ amount: 1, placed: null, span: "1 second", note: "", payload: "1", blob: Buffer.alloc(0), price: "0" }], []);
    await copyAll();
    expect(await verify()).toEqual([]);

    await target.query("INSERT INTO audit.events OVERRIDING SYSTEM VALUE SELECT id + 100, actor, operation, diff FROM audit.events; DELETE FROM audit.events WHERE id <= 100; SELECT setval(pg_get_serial_sequence('audit.events', 'id'), 200)");
    expect((await verify()).join("\n")).toMatch(/ledger "audit"\."events": not identical \(source 1 events up to id 1, target 1 up to id 101, checksums in id order differ\)/);

    await copyAll();
    await target.query("SELECT setval(pg_get_serial_sequence('audit.events', 'id'), 1, false)");
    expect(await verify()).toEqual(['ledger "audit"."events": the target\'s id sequence (never called) is behind its highest id 1']);

    await copyAll();
    await target.query("CREATE TABLE web_dev.stray (x int)");
    await target.query(`GRANT UPDATE ON audit.events TO ${TENANT_ROLE}`);
    expect(await verify()).toEqual([
      '"web_dev"."stray": on the target only',
      `ledger "audit"."events": ${TENANT_ROLE} holds UPDATE on the target, so it is not append-only`,
    ]);
    await target.query(`DROP TABLE web_dev.stray; REVOKE UPDATE ON audit.events FROM ${TENANT_ROLE}`);
  });
});
