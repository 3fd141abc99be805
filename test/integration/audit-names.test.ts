import fc from "fast-check";
import { Client } from "pg";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerInfo } from "../../local/server";
import { TYPE } from "../../local/provider-sql";
import { readState } from "../../local/state";
import { upLocal } from "../../local/up";
import { quoteIdent } from "../../spec/naming";
import { localStack, writeStackFile } from "../helpers/local";
import { canonical, expectedEvents, type Row, type TableShape } from "../helpers/ledger-model";

/*
 * No identifier is ever a template (issue 13, finding 2). Tables, primary keys and columns named
 * with what a format() string or a SQL text would take for syntax: `%`, `$`, quotes, backslashes,
 * spaces, ` on `, unicode, reserved words, the aliases the ledger's own SQL uses, up to the 63
 * bytes Postgres keeps. The DDL role creates each table (the ledger's event trigger covers it),
 * the runtime role inserts, updates a column, changes a key and deletes, and every event must
 * carry exactly the key, before, after and diff computed from the rows alone (ledger-model.ts).
 */

const ORG = { slug: "nomen", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: ["nomen.example"] };
const SCHEMA = "web_dev";
const MAX_IDENTIFIER_BYTES = 63;

const stack = localStack(writeStackFile(ORG), "nomen");
let ddl: Client;
let runtime: Client;

function connect(server: ServerInfo, role: string): Client {
  const state = readState(stack.paths).stacks["org-nomen"];
  const password = state?.resources.find((r) => r.type === TYPE.role && r.inputs["name"] === role)?.inputs["password"];
  if (typeof password !== "string") throw new Error(`no stored password for ${role}`);
  const client = new Client({ host: server.host, port: server.port, user: role, password, database: "tn_nomen" });
  client.on("error", () => undefined);
  return client;
}

beforeAll(async () => {
  await upLocal(stack);
  const server = JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
  ddl = connect(server, "tn_nomen_dev_ddl");
  runtime = connect(server, "tn_nomen_dev_runtime");
  await Promise.all([ddl.connect(), runtime.connect()]);
});

afterAll(async () => {
  await Promise.all([ddl?.end(), runtime?.end()]);
});

/** Cuts a name to what Postgres keeps (63 bytes), never inside a character. */
function fitted(name: string): string {
  let cut = name;
  while (Buffer.byteLength(cut) > MAX_IDENTIFIER_BYTES) cut = Array.from(cut).slice(0, -1).join("");
  return cut;
}

const PIECES = [
  "%", "%s", "%1$s", "%2$I", "%%", "$", "$1", "$fn$", "'", "''", "\"", "\\", "\\'", " ", " on ", " ON ", "ü", "ß", "日本", "🙂",
  "select", "from", "user", "order", "end", "null", "table", "n", "o", "a", "b", "k", "x", "c", "e", "key", "changed", "id", "idn", "ido",
  "token", "Name", "0", "x".repeat(40), "-", ".", ",", "(", ")", ";", "*", "::", "\t",
];
/** Names Postgres keeps for its own system columns. */
const SYSTEM_COLUMNS = ["tableoid", "xmin", "cmin", "xmax", "cmax", "ctid"];
const identifier = fc.array(fc.constantFrom(...PIECES), { minLength: 1, maxLength: 10 }).map((parts) => fitted(parts.join("")))
  .filter((name) => !SYSTEM_COLUMNS.includes(name));
const value = fc.option(fc.array(fc.constantFrom("%1$s", "'", "\\", "é", "🙂", " on ", "v", "null", "0", "\""), { minLength: 1, maxLength: 4 }).map((p) => p.join("")), { freq: 4 });

interface Case {
  readonly table: string;
  readonly shape: TableShape;
  readonly rows: readonly [Row, Row];
}

const tableCase: fc.Arbitrary<Case> = fc.record({
  table: identifier,
  names: fc.uniqueArray(identifier, { minLength: 2, maxLength: 6 }),
  keyCount: fc.nat({ max: 3 }),
  values: fc.array(fc.tuple(value, value), { minLength: 6, maxLength: 6 }),
}).map(({ table, names, keyCount, values }) => {
  const keys = names.slice(0, Math.min(keyCount, names.length - 1));
  // Key values are distinct per row and never null; other columns may be null.
  const rows = [0, 1].map((r) => Object.fromEntries(names.map((c, i) => [c, keys.includes(c) ? `${r}${values[i]?.[r] ?? ""}` : values[i]?.[r] ?? null]))) as [Row, Row];
  return { table, shape: { keys, columns: names }, rows };
});

const THE_ISSUES_CASE: Case = {
  table: "acct",
  shape: { keys: ["id%1$s"], columns: ["id%1$s", "idn", "ido"] },
  rows: [{ "id%1$s": "k1", idn: "n1", ido: "o1" }, { "id%1$s": "k2", idn: "n2", ido: null }],
};

const q = quoteIdent;
const target = (table: string) => `${q(SCHEMA)}.${q(table)}`;

/** Runs the case as the runtime role, in a transaction rolled back at the end: returns the events it recorded. */
async function recordedEvents(c: Case): Promise<{ expected: string[]; recorded: string[] }> {
  const { shape, rows } = c;
  const [first, second] = rows;
  const columns = shape.columns.map(q).join(", ");
  const placeholders = (offset: number) => shape.columns.map((_, i) => `$${offset + i + 1}`).join(", ");
  const changedColumn = shape.columns.find((col) => !shape.keys.includes(col)) as string;
  const changedValue = (row: Row) => `${row[changedColumn] ?? ""}·`;
  const updated = rows.map((row) => ({ ...row, [changedColumn]: changedValue(row) }));
  const firstKey = shape.keys[0];
  const rekeyed = firstKey === undefined ? updated : [{ ...updated[0], [firstKey]: `${updated[0]?.[firstKey] ?? ""}′` }, updated[1]];
  const expected = [
    ...expectedEvents(shape, "INSERT", [], rows),
    ...expectedEvents(shape, "UPDATE", rows, updated),
    ...(firstKey === undefined ? [] : expectedEvents(shape, "UPDATE", updated, rekeyed as Row[])),
    ...expectedEvents(shape, "DELETE", rekeyed as Row[], []),
  ];
  const correlation = `names-${Math.random().toString(36).slice(2)}`;
  await runtime.query("BEGIN");
  try {
    await runtime.query(`SET LOCAL tenantry.correlation_id = '${correlation}'`);
    await runtime.query(`INSERT INTO ${target(c.table)} (${columns}) VALUES (${placeholders(0)}), (${placeholders(shape.columns.length)})`,
      [...shape.columns.map((col) => first[col]), ...shape.columns.map((col) => second[col])]);
    await runtime.query(`UPDATE ${target(c.table)} SET ${q(changedColumn)} = coalesce(${q(changedColumn)}, '') || '·'`);
    if (firstKey !== undefined) {
      await runtime.query(`UPDATE ${target(c.table)} SET ${q(firstKey)} = ${q(firstKey)} || '′' WHERE ${q(firstKey)} = $1`, [updated[0]?.[firstKey]]);
    }
    await runtime.query(`DELETE FROM ${target(c.table)}`);
    const { rows: events } = await runtime.query(
      "SELECT operation, primary_key, before, after, diff FROM audit.events WHERE correlation_id = $1 AND schema_name = $2 AND table_name = $3 ORDER BY id",
      [correlation, SCHEMA, c.table]);
    return { expected: canonical(expected), recorded: canonical(events) };
  } finally {
    await runtime.query("ROLLBACK");
  }
}

async function onTable<T>(c: Case, run: () => Promise<T>): Promise<T> {
  const key = c.shape.keys.length === 0 ? "" : `, PRIMARY KEY (${c.shape.keys.map(q).join(", ")})`;
  await ddl.query(`CREATE TABLE ${target(c.table)} (${c.shape.columns.map((col) => `${q(col)} text`).join(", ")}${key})`);
  try {
    return await run();
  } finally {
    await ddl.query(`DROP TABLE ${target(c.table)}`);
  }
}

describe("the ledger records tables and columns whatever their names", () => {
  it("keeps the key and values of a key column named id%1$s next to idn and ido (the issue's case)", async () => {
    const { expected, recorded } = await onTable(THE_ISSUES_CASE, () => recordedEvents(THE_ISSUES_CASE));
    expect(recorded).toEqual(expected);
    expect(recorded.some((e) => e.includes('"primary_key":{"id%1$s":"k1"}'))).toBe(true);
  });

  it("records the right key, before, after and diff for generated names, through INSERT, UPDATE, a key change and DELETE", async () => {
    await fc.assert(fc.asyncProperty(tableCase, async (c) => {
      const { expected, recorded } = await onTable(c, () => recordedEvents(c));
      expect(recorded).toEqual(expected);
    }), { numRuns: 60 });
  });
});
