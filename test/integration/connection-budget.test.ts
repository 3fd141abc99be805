import { Client } from "pg";
import { afterAll, describe, expect, it } from "vitest";
import { planMigrations } from "../../components/migration-plan";
import { orgFactsOf } from "../../components/org-facts";
import { loginsToCheck } from "../../local/logins";
import type { ServerInfo } from "../../local/server";
import { SQLSTATE } from "../../local/sqlstate";
import { readState, stackState } from "../../local/state";
import { upLocal } from "../../local/up";
import { databaseName } from "../../spec/naming";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * Issue 14, finding 7, on a real server: the org's apps hold every connection their runtime and
 * DDL roles may open, and the deploy still connects to the org database. The provider login is
 * no superuser here (the local engine imitates a managed server), so the database's CONNECTION
 * LIMIT counts it as it would on RDS. What a deploy opens is read from its sources: the Postgres
 * provider's pool per database is the stack's postgresql:maxConnections, 20 when unset
 * (cyrilgdn/terraform-provider-postgresql postgresql/provider.go), each org-database SqlMigration
 * holds one connection at a time, and an operator needs one.
 */

const UPSTREAM_DEFAULT_POOL = 20;
const OPERATOR = 1;

const open: Client[] = [];
afterAll(async () => {
  await Promise.all(open.map((client) => client.end().catch(() => undefined)));
});

/** Opens one more connection as `user`, kept open until the file ends; the SQLSTATE when the server refuses it. */
async function connect(server: ServerInfo, user: string, password: string, database: string): Promise<string | undefined> {
  const client = new Client({ host: server.host, port: server.port, user, password, database });
  client.on("error", () => undefined);
  try {
    await client.connect();
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
  open.push(client);
  return undefined;
}

describe("an org database whose apps hold every connection their roles may open", () => {
  it("still applies locally, takes the deploy's provider pool, its migrations' connections and an operator's, and refuses the next", async () => {
    const org = {
      slug: "tally", tier: "production", environments: ["dev", "prod"], workspaces: [{ slug: "web" }],
      claimedDomains: ["tally.example"], quotas: { maxConnections: 9 },
    };
    const stack = localStack(writeStackFile(org), "tally");
    const { server, admin } = await upLocal(stack);
    const database = databaseName(org.slug);

    const logins = loginsToCheck(stackState(readState(stack.paths), stack.stackFile.stack).resources, new Date());
    const limits = await new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: "postgres" });
    await limits.connect();
    const rows = (await limits.query("SELECT rolname, rolconnlimit FROM pg_roles WHERE rolname = ANY($1)", [logins.map((l) => l.role)])).rows as { rolname: string; rolconnlimit: number }[];
    await limits.end();
    expect(rows.map((r) => r.rolname).sort()).toEqual(["tn_tally_dev_ddl", "tn_tally_dev_runtime", "tn_tally_prod_ddl", "tn_tally_prod_runtime"]);

    for (const { role, password } of logins) {
      const limit = rows.find((r) => r.rolname === role)!.rolconnlimit;
      expect(limit, role).toBeGreaterThanOrEqual(1);
      for (let i = 0; i < limit; i++) expect(await connect(server, role, password, database), `${role} connection ${i + 1}`).toBeUndefined();
      // Control: the role really is at its own limit, so the apps hold all they may.
      expect(await connect(server, role, password, database), `${role} past its limit`).toBe(SQLSTATE.tooManyConnections);
    }

    // The local engine applies as the provider login too (at most one connection per database as
    // the login, one as the superuser for elevated steps): it still applies, and closes them.
    const again = await upLocal(stack);
    expect(again.changes).toEqual([]);
    expect(again.drift).toEqual([]);

    const pool = Number(stack.stackFile.values["postgresql:maxConnections"] ?? UPSTREAM_DEFAULT_POOL);
    const migrations = Object.values(planMigrations(orgFactsOf(stack.tenant.spec, { ...stack.tenant.provider, host: server.host, port: server.port }))).filter((m) => m.database === database);
    expect(migrations.map((m) => m.migration).sort()).toEqual(["tally-audit-ledger", "tally-large-objects"]);
    const reserve = pool + migrations.length + OPERATOR;
    for (let i = 0; i < reserve; i++) {
      expect(await connect(server, admin.user, admin.password, database), `the provider login's connection ${i + 1} of ${reserve}`).toBeUndefined();
    }
    // The quota is split exactly: nothing is left beyond the deploy's reserve.
    expect(await connect(server, admin.user, admin.password, database)).toBe(SQLSTATE.tooManyConnections);
  });
});
