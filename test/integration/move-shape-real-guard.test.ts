import { readFileSync } from "node:fs";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { refusedShapes, shapeRefusalsSql, type ShapeRefusalRow } from "../../fleet/move-shape";
import { TYPE } from "../../local/provider-sql";
import { adminClient, type ServerInfo } from "../../local/server";
import { readState } from "../../local/state";
import { upLocal } from "../../local/up";
import { AUDIT_TRIGGERS } from "../../spec/platform-names";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * The refusals against an org applied by `up` with the real audit guard (move-shape-refusals.test.ts
 * imitates the guard's triggers): a table the tenant's DDL login creates is covered by the guard
 * and accepted; the guard's triggers are enabled ORIGIN and stay quiet under replica, where the
 * copy restores rows; a CHECK with the tenant's own function is refused.
 */

const ORG = { slug: "mvshape", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: ["mvshape.example"] };
const DATABASE = "tn_mvshape";
const stack = localStack(writeStackFile(ORG), "mvshape");
let ddl: Client;
let admin: Client;

function ddlClient(server: ServerInfo): Client {
  const role = "tn_mvshape_dev_ddl";
  const state = readState(stack.paths).stacks["org-mvshape"];
  const password = state?.resources.find((r) => r.type === TYPE.role && r.inputs["name"] === role)?.inputs["password"];
  if (typeof password !== "string") throw new Error(`no stored password for ${role}`);
  return new Client({ host: server.host, port: server.port, user: role, password, database: DATABASE });
}

async function refusals(client: Client): Promise<string[]> {
  return refusedShapes((await client.query(shapeRefusalsSql(["web_dev"]))).rows as ShapeRefusalRow[]);
}

async function events(): Promise<number> {
  return Number((await admin.query("SELECT count(*) AS n FROM audit.events WHERE table_name = 'orders'")).rows[0].n);
}

beforeAll(async () => {
  await upLocal(stack);
  const server = JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
  ddl = ddlClient(server);
  admin = adminClient(server, DATABASE);
  await Promise.all([ddl.connect(), admin.connect()]);
  await ddl.query(`CREATE TABLE web_dev.orders (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, email text NOT NULL CHECK (length(email) > 3),
    placed timestamptz NOT NULL DEFAULT now(), doc jsonb)`);
  await ddl.query("CREATE INDEX orders_email ON web_dev.orders (lower(email))");
}, 120_000);

afterAll(async () => {
  await Promise.all([ddl?.end(), admin?.end()]);
});

describe("the refusals on an org applied with the real audit guard", () => {
  it("accepts a built-in-only table the guard covered, its triggers enabled ORIGIN", async () => {
    const { rows } = await admin.query("SELECT tgname, tgenabled FROM pg_trigger WHERE tgrelid = 'web_dev.orders'::regclass AND NOT tgisinternal ORDER BY tgname");
    expect(rows).toEqual([...AUDIT_TRIGGERS].sort().map((tgname) => ({ tgname, tgenabled: "O" })));
    expect(await refusals(ddl)).toEqual([]);
  });

  it("writes no event for rows inserted under session_replication_role = replica, and one for an ordinary insert", async () => {
    const before = await events();
    await admin.query("BEGIN; SET LOCAL session_replication_role = replica; INSERT INTO web_dev.orders (email) VALUES ('restored@example.com'); COMMIT");
    expect(await events()).toBe(before);
    await admin.query("INSERT INTO web_dev.orders (email) VALUES ('live@example.com')");
    expect(await events()).toBe(before + 1);
  });

  it("refuses the table once the tenant's migration adds a CHECK calling its own function", async () => {
    await ddl.query("CREATE FUNCTION web_dev.valid(text) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$ SELECT true $$");
    await ddl.query("ALTER TABLE web_dev.orders ADD CONSTRAINT orders_valid CHECK (web_dev.valid(email))");
    expect(await refusals(ddl)).toEqual([
      '"web_dev"."orders": constraint orders_valid on table web_dev.orders depends on function web_dev.valid(text), which is not built into Postgres',
    ]);
  });
});
