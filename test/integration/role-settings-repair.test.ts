import { readFileSync } from "node:fs";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServerInfo } from "../../local/server";
import { TYPE } from "../../local/provider-sql";
import { readState } from "../../local/state";
import { upLocal } from "../../local/up";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * Review item 5 of issue 13: the local repair of role settings (local/role-settings.ts). It reset
 * every setting in one transaction and declared them again in others, so a session connecting in
 * between got no temp_file_limit; and it compared settings in catalog order, so a role whose
 * settings were only reordered was reported as changed. Here the org's own roles change their
 * settings and a superuser watches the catalog while `up --local` repairs them.
 */

const ORG = { slug: "resettle", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: ["resettle.example"] };
const RUNTIME = "tn_resettle_dev_runtime";
const DDL = "tn_resettle_dev_ddl";
const stack = localStack(writeStackFile(ORG), "resettle");
let server: ServerInfo;

function login(role: string, database = "tn_resettle"): Client {
  const password = readState(stack.paths).stacks["org-resettle"]?.resources.find((r) => r.type === TYPE.role && r.inputs["name"] === role)?.inputs["password"];
  if (typeof password !== "string") throw new Error(`no stored password for ${role}`);
  return new Client({ host: server.host, port: server.port, user: role, password, database });
}

async function asRole(role: string, statements: readonly string[]): Promise<void> {
  const client = login(role);
  await client.connect();
  try {
    for (const sql of statements) await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(async () => {
  await upLocal(stack);
  server = JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
});

afterAll(async () => {
  await upLocal(stack);
});

describe("the local repair of role settings", () => {
  it("reports no role whose settings were only reordered, and leaves nothing for the drift queries", async () => {
    await asRole(RUNTIME, [`ALTER ROLE ${RUNTIME} RESET statement_timeout`, `ALTER ROLE ${RUNTIME} SET statement_timeout = 5000`]);
    const result = await upLocal(stack);
    expect(result.restored).toEqual([]);
    expect(result.drift).toEqual([]);
  });

  it("names a role that lifted its own timeouts, role-wide and in one database, and repairs it before the drift queries run", async () => {
    await asRole(DDL, [`ALTER ROLE ${DDL} SET statement_timeout = 0`, `ALTER ROLE ${DDL} IN DATABASE tn_resettle SET lock_timeout = 0`, `ALTER ROLE ${DDL} SET work_mem = '1GB'`]);
    const result = await upLocal(stack);
    expect(result.restored).toEqual([DDL]);
    expect(result.drift).toEqual([]);
    const client = new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: "postgres" });
    await client.connect();
    try {
      const { rows } = await client.query<{ db: string; entry: string }>(
        "SELECT s.setdatabase::text AS db, c AS entry FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole, unnest(s.setconfig) c WHERE r.rolname = $1 ORDER BY 1, 2", [DDL]);
      expect(rows).toEqual(["idle_in_transaction_session_timeout=10000", "lock_timeout=2000", "statement_timeout=5000", "temp_file_limit=512MB"].map((entry) => ({ db: "0", entry })));
    } finally {
      await client.end();
    }
  });

  it("never leaves a login role without its temp_file_limit while it repairs, as a session connecting meanwhile would see", async () => {
    await asRole(RUNTIME, [`ALTER ROLE ${RUNTIME} SET statement_timeout = 0`]);
    const watcher = new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: "postgres" });
    await watcher.connect();
    const missing: string[] = [];
    let watching = true;
    let looks = 0;
    const watch = (async () => {
      while (watching) {
        const { rows } = await watcher.query<{ rolname: string }>(
          `SELECT r.rolname FROM pg_roles r WHERE r.rolname = ANY ($1) AND NOT EXISTS (
             SELECT 1 FROM pg_db_role_setting s, unnest(s.setconfig) c WHERE s.setrole = r.oid AND s.setdatabase = 0 AND c LIKE 'temp\\_file\\_limit=%')`, [[RUNTIME, DDL]]);
        missing.push(...rows.map((r) => r.rolname));
        looks += 1;
      }
    })();
    try {
      const result = await upLocal(stack);
      expect(result.restored).toEqual([RUNTIME]);
    } finally {
      watching = false;
      await watch;
      await watcher.end();
    }
    expect(looks).toBeGreaterThan(10);
    expect(missing).toEqual([]);
  });
});
