import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { freezeSql, loginAttributesSql, unfreezeSql, writerRoles, type LoginAttributes } from "../../fleet/move-freeze";
import { localPaths } from "../../local/paths";
import { ensureProviderAdmin } from "../../local/provider-admin";
import type { Connection } from "../../local/sql-runner";
import type { ServerInfo } from "../../local/server";
import { quoteIdent } from "../../spec/naming";

/*
 * The freeze on the real embedded server, run as the provider login (no superuser, as on RDS):
 * the org's writers are cut off mid-session and cannot log back in until the rollback gives
 * them exactly the attributes they had.
 */

const localDir = inject("localDir");
const server = JSON.parse(readFileSync(localPaths(localDir).serverFile, "utf8")) as ServerInfo;
const ORG = "mvfreeze";
const DATABASE = "tn_mvfreeze";
const ROLES = writerRoles(ORG, ["dev"]);
const [RUNTIME, DDL] = ROLES as [string, string, string];
const PASSWORD = "frozen-test-password";

let provider: Connection;
let admin: Client;
const clients: Client[] = [];

async function connectAs(role: string): Promise<Client> {
  const client = new Client({ host: server.host, port: server.port, user: role, password: PASSWORD, database: DATABASE });
  client.on("error", () => undefined);
  await client.connect();
  clients.push(client);
  return client;
}

async function run(statements: readonly string[]): Promise<Record<string, unknown>[]> {
  let last: Record<string, unknown>[] = [];
  for (const statement of statements) last = (await admin.query(statement)).rows as Record<string, unknown>[];
  return last;
}

async function attributes(): Promise<LoginAttributes[]> {
  return (await admin.query(loginAttributesSql(ROLES))).rows.map((r) => ({ role: r.role, canLogin: r.can_login, connectionLimit: r.connection_limit }));
}

describe("freezing an org's writers", () => {
  beforeAll(async () => {
    provider = await ensureProviderAdmin(localPaths(localDir), server, "tenantry");
    admin = new Client(provider);
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    for (const role of ROLES) await admin.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    await admin.query(`CREATE DATABASE ${DATABASE}`);
    await admin.query(`CREATE ROLE ${RUNTIME} LOGIN PASSWORD '${PASSWORD}' CONNECTION LIMIT 7`);
    await admin.query(`CREATE ROLE ${DDL} LOGIN PASSWORD '${PASSWORD}'`);
    await admin.query(`GRANT CONNECT ON DATABASE ${DATABASE} TO ${RUNTIME}, ${DDL}`);
  });

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.end().catch(() => undefined)));
    await admin?.query(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
    for (const role of ROLES) await admin?.query(`DROP ROLE IF EXISTS ${quoteIdent(role)}`);
    await admin?.end();
  });

  it("names every environment's runtime and DDL role and the break-glass login", () => {
    expect(writerRoles("acme", ["dev", "prod"])).toEqual(["tn_acme_dev_runtime", "tn_acme_dev_ddl", "tn_acme_prod_runtime", "tn_acme_prod_ddl", "tn_acme_breakglass"]);
  });

  it("ends the writers' open sessions, an open transaction's rows with them, and refuses their next login, as the provider login", async () => {
    const runtime = await connectAs(RUNTIME);
    await connectAs(RUNTIME);
    const ddl = await connectAs(DDL);
    await ddl.query("BEGIN");
    await ddl.query("CREATE TEMP TABLE pending (x int)");
    const recorded = await attributes();

    expect(await run(freezeSql(ROLES))).toEqual([]);
    await expect(runtime.query("SELECT 1")).rejects.toThrow();
    await expect(ddl.query("COMMIT")).rejects.toThrow();
    await expect(connectAs(RUNTIME)).rejects.toThrow(/not permitted to log in/);
    await expect(connectAs(DDL)).rejects.toThrow(/not permitted to log in/);
    expect((await attributes()).map((a) => [a.role, a.canLogin, a.connectionLimit])).toEqual([[DDL, false, 0], [RUNTIME, false, 0]]);

    await run(unfreezeSql(recorded));
    expect(await attributes()).toEqual(recorded);
    expect((await (await connectAs(RUNTIME)).query("SELECT current_user AS who")).rows[0].who).toBe(RUNTIME);
  });

  it("control: NOLOGIN alone leaves an open session writing, so the sessions must be ended too", async () => {
    const recorded = await attributes();
    const open = await connectAs(RUNTIME);
    await run(freezeSql(ROLES).filter((statement) => statement.startsWith("DO ")));
    expect((await open.query("SELECT current_user AS who")).rows[0].who).toBe(RUNTIME);
    expect(await run(freezeSql(ROLES))).toEqual([]);
    await expect(open.query("SELECT 1")).rejects.toThrow();
    await run(unfreezeSql(recorded));
  });

  it("gives back exactly the login attributes it found, whatever they were", async () => {
    await fc.assert(fc.asyncProperty(fc.boolean(), fc.integer({ min: -1, max: 500 }), fc.boolean(), async (canLogin, limit, frozenTwice) => {
      await admin.query(`ALTER ROLE ${RUNTIME} ${canLogin ? "LOGIN" : "NOLOGIN"} CONNECTION LIMIT ${limit}`);
      const recorded = await attributes();
      await run(freezeSql(ROLES));
      // A resumed freeze runs again; the attributes to restore are the ones recorded before the first.
      if (frozenTwice) await run(freezeSql(ROLES));
      await run(unfreezeSql(recorded));
      expect(await attributes()).toEqual(recorded);
    }), { numRuns: 15 });
  });
});
