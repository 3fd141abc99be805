import type { Client } from "pg";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EVENTS_ID_INDEX } from "../../components/audit-sql";
import type { ServerInfo } from "../../local/server";
import { readState } from "../../local/state";
import { upLocal } from "../../local/up";
import { localStack, REPO_DIR, writeStackFile } from "../helpers/local";
import { canonical, recorded, type Row } from "../helpers/ledger-model";
import { replay, tableText, type StoredEvent } from "../helpers/ledger-replay";
import { orgLogin, superuserClient } from "../helpers/org-login";

/*
 * An org deployed before issue 19 has a ledger in format 1 (whole rows on every UPDATE, a b-tree
 * primary key on id) and events in it. Its next apply re-runs the ledger's migration (a new SQL
 * text, so a new version): the old events must stay exactly as they are (append-only), new writes
 * must be in format 2, and a reader must rebuild the table from both. The format-1 ledger is
 * installed from test/fixtures/ledger-format-1.sql, the SQL the migration rendered before.
 */

const ORG = { slug: "upgrade", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: ["upgrade.example"] };
const DATABASE = "tn_upgrade";
const OWNER = "tn_upgrade_audit";
const stack = localStack(writeStackFile(ORG), "upgrade");
let server: ServerInfo;
let admin: Client;
let ddl: Client;
let runtime: Client;

const resources = () => readState(stack.paths).stacks["org-upgrade"]?.resources ?? [];

beforeAll(async () => {
  await upLocal(stack);
  server = JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
  admin = superuserClient(server, DATABASE);
  ddl = orgLogin(stack, server, DATABASE, "tn_upgrade_dev_ddl");
  runtime = orgLogin(stack, server, DATABASE, "tn_upgrade_dev_runtime");
  await Promise.all([admin.connect(), ddl.connect(), runtime.connect()]);
});

afterAll(async () => {
  await Promise.all([admin?.end(), ddl?.end(), runtime?.end()]);
});

const SHAPE = { keys: ["id"], columns: ["id", "holder", "balance", "api_key"] };
const EVENTS = "SELECT * FROM audit.events WHERE table_name = 'accounts' ORDER BY id";

async function asRuntime(correlation: string, statements: readonly string[]): Promise<void> {
  await runtime.query("BEGIN");
  await runtime.query(`SET LOCAL tenantry.correlation_id = '${correlation}'`);
  for (const sql of statements) await runtime.query(sql);
  await runtime.query("COMMIT");
}

describe("the ledger's format change on an org deployed before it", () => {
  it("keeps every format-1 event untouched, writes format 2 from the re-applied migration on, and both rebuild the table", async () => {
    // The org as it was: the format-1 writers, and the primary key in place of the range index
    // (the table, its grants and its row-level security are the same in both; the guard's event
    // triggers are off for the swap, as only the migration's superuser could do).
    const formatOne = readFileSync(join(REPO_DIR, "test", "fixtures", "ledger-format-1.sql"), "utf8").replaceAll(":owner", `"${OWNER}"`);
    await admin.query("BEGIN");
    await admin.query("SET LOCAL session_replication_role = replica");
    await admin.query(`DROP INDEX audit.${EVENTS_ID_INDEX}`);
    await admin.query("ALTER TABLE audit.events ADD CONSTRAINT events_pkey PRIMARY KEY (id)");
    await admin.query(formatOne);
    await admin.query("COMMIT");
    await ddl.query("CREATE TABLE web_dev.accounts (id int PRIMARY KEY, holder text, balance numeric, api_key text)");
    await asRuntime("before-upgrade", [
      "INSERT INTO web_dev.accounts VALUES (1, 'ann', 10, 'key-1'), (2, 'bob', 20, 'key-2'), (3, 'cy', 30, 'key-3')",
      "UPDATE web_dev.accounts SET balance = balance + 1, api_key = 'key-1b' WHERE id = 1",
      "UPDATE web_dev.accounts SET id = 4 WHERE id = 2",
      "DELETE FROM web_dev.accounts WHERE id = 3",
    ]);
    const before = (await admin.query(EVENTS)).rows;
    const update = before.find((e) => e.operation === "UPDATE" && e.primary_key.id === 1);
    // Format 1, as written: the whole rows beside the diff.
    expect(update).toMatchObject({ before: { id: 1, holder: "ann" }, after: { id: 1, holder: "ann" }, diff: { balance: { before: 10, after: 11 } } });

    // The next apply: the ledger's migration as the local engine recorded it.
    const migration = resources().find((r) => r.inputs["migration"] === "upgrade-audit-ledger");
    await admin.query("BEGIN");
    await admin.query(String(migration?.inputs["sql"]));
    await admin.query("COMMIT");

    expect((await admin.query(EVENTS)).rows).toEqual(before);
    const indexes = await admin.query("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'audit' AND tablename = 'events'");
    expect(indexes.rows).toEqual([{ indexname: EVENTS_ID_INDEX, indexdef: expect.stringMatching(/USING brin \(id\)$/) }]);
    expect((await admin.query("SELECT problem FROM audit__guard.drift() AS problem")).rows).toEqual([]);

    await asRuntime("after-upgrade", [
      "UPDATE web_dev.accounts SET holder = 'ann2', api_key = 'key-1c' WHERE id = 1",
      "UPDATE web_dev.accounts SET id = 5 WHERE id = 4",
      "INSERT INTO web_dev.accounts VALUES (6, 'dee', 60, 'key-6')",
      "DELETE FROM web_dev.accounts WHERE id = 1",
    ]);
    const all = (await admin.query(EVENTS)).rows;
    const added = all.slice(before.length);
    // Statements pair rows in any order: compared as a set (the replay below checks the order).
    expect(canonical(added.map(({ operation, primary_key, before: b, after: a, diff }) => ({ operation, primary_key, before: b, after: a, diff })))).toEqual(canonical([
      { operation: "UPDATE", primary_key: { id: 1 }, before: null, after: null,
        diff: { holder: { before: "ann", after: "ann2" }, api_key: { before: "[redacted]", after: "[redacted]" } } },
      { operation: "UPDATE", primary_key: { id: 4 }, before: { id: 4, holder: "bob", balance: 20, api_key: "[redacted]" }, after: null, diff: null },
      { operation: "UPDATE", primary_key: { id: 5 }, before: null, after: { id: 5, holder: "bob", balance: 20, api_key: "[redacted]" }, diff: null },
      { operation: "INSERT", primary_key: { id: 6 }, before: null, after: { id: 6, holder: "dee", balance: 60, api_key: "[redacted]" }, diff: null },
      { operation: "DELETE", primary_key: { id: 1 }, before: { id: 1, holder: "ann2", balance: 11, api_key: "[redacted]" }, after: null, diff: null },
    ]));

    const table = (await admin.query("SELECT to_jsonb(a) AS row FROM web_dev.accounts AS a")).rows.map((r) => recorded(SHAPE, r.row as Row));
    expect(tableText(replay([], all as StoredEvent[]))).toEqual(tableText(table));
    // The environment's roles read both formats, under the row-level security the migration restored.
    expect((await runtime.query("SELECT count(*)::int AS n FROM audit.events WHERE table_name = 'accounts'")).rows).toEqual([{ n: all.length }]);
  });
});
