import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { attempt } from "../../local/attempt";
import type { ServerInfo } from "../../local/server";
import { SQLSTATE } from "../../local/sqlstate";
import { readState } from "../../local/state";
import { upLocal, type LocalStack } from "../../local/up";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * Break-glass applied by the local engine to the embedded server (issue 16 item 2, step 1): the
 * role exists with its bounds, and the catalog gives it exactly its environment, read only.
 * Read off the server's catalog, not the plan; and past its expiry the login is refused by Postgres
 * itself. The login-level proof claims are local/proof/break-glass-claims.ts.
 */

async function asSuperuser(stack: LocalStack, database: string, sql: string) {
  const server = JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
  return attempt(server, { user: server.user, password: server.password }, database, [sql]);
}

describe("break-glass on the embedded server", () => {
  it("creates one bounded login reaching only its environment's schemas, then finds nothing to change", async () => {
    const expiresAt = new Date(Date.now() + 3 * 3_600_000).toISOString();
    const stack = localStack(writeStackFile({
      slug: "bravo", tier: "production", environments: ["dev", "prod"], workspaces: [{ slug: "web" }], claimedDomains: ["bravo.example"],
      breakGlass: { enabled: true, grantee: "oncall@bravo.example", reason: "restore billing after incident 42", expiresAt, environment: "prod", access: "read" },
    }), "bravo");
    await upLocal(stack);
    const role = await asSuperuser(stack, "postgres", `SELECT rolcanlogin, rolconnlimit, rolvaliduntil = '${expiresAt}'::timestamptz AS expires_at_spec,
      rolsuper OR rolcreaterole OR rolcreatedb OR rolreplication OR rolbypassrls AS privileged FROM pg_roles WHERE rolname = 'tn_bravo_breakglass'`);
    expect(role.rows).toEqual([{ rolcanlogin: true, rolconnlimit: 1, expires_at_spec: true, privileged: false }]);
    const reach = await asSuperuser(stack, "tn_bravo", `SELECT
      has_schema_privilege('tn_bravo_breakglass', 'web_prod', 'USAGE') AS prod_usage,
      has_schema_privilege('tn_bravo_breakglass', 'web_prod', 'CREATE') AS prod_create,
      has_schema_privilege('tn_bravo_breakglass', 'web_dev', 'USAGE') AS dev_usage,
      has_database_privilege('tn_bravo_breakglass', 'tn_bravo', 'CONNECT') AS connects,
      has_database_privilege('tn_bravo_breakglass', 'tn_bravo', 'CREATE') AS creates_schemas,
      has_database_privilege('tn_bravo_breakglass', 'tn_bravo', 'TEMPORARY') AS temporary`);
    expect(reach.rows).toEqual([{ prod_usage: true, prod_create: false, dev_usage: false, connects: true, creates_schemas: false, temporary: false }]);
    expect((await upLocal(stack)).changes).toEqual([]);
  });
});

describe("a break-glass login past its expiry", () => {
  it("is refused at login (28P01) once VALID UNTIL passes, with no apply in between, and a later apply of the same spec drops exactly it, recording the revocation", async () => {
    const org = { slug: "lima", tier: "production", environments: ["prod"], workspaces: [{ slug: "web" }], claimedDomains: ["lima.example"] };
    const expiresAt = new Date(Date.now() + 12_000).toISOString();
    const stack = localStack(writeStackFile({ ...org, breakGlass: { enabled: true, grantee: "oncall@lima.example", reason: "near expiry on purpose", expiresAt, environment: "prod", access: "read" } }), "lima");
    await upLocal(stack);
    const server = JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
    const stored = readState(stack.paths).stacks["org-lima"]!.resources.find((r) => r.inputs["name"] === "tn_lima_breakglass" && typeof r.inputs["password"] === "string")!;
    const login = { user: "tn_lima_breakglass", password: stored.inputs["password"] as string };
    // Control: the same password logs in while VALID UNTIL is ahead.
    expect((await attempt(server, login, "tn_lima", ["SELECT 1"])).code).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, Date.parse(expiresAt) - Date.now() + 500)));
    expect((await attempt(server, login, "tn_lima", ["SELECT 1"])).code).toBe(SQLSTATE.invalidPassword);
    // The stack file still says enabled: true; its expiry has passed, which means off (no edit, no refusal).
    const dropped = await upLocal(stack);
    const deleted = dropped.changes.flatMap((c) => (c.kind === "delete" ? [c.previous] : []));
    expect(deleted.every((r) => r.name.includes("breakglass"))).toBe(true);
    expect(deleted.map((r) => r.type).sort()).toEqual(["postgresql:index/grant:Grant", "postgresql:index/grant:Grant", "postgresql:index/grant:Grant", "postgresql:index/grant:Grant",
      "postgresql:index/role:Role", "random:index/randomPassword:RandomPassword"]);
    expect(dropped.changes.filter((c) => c.kind !== "delete").map((c) => ("desired" in c ? c.desired.inputs["migration"] : c.previous.name)).sort())
      .toEqual(["lima-audit-ledger", "lima-guardrails", "lima-lock-timeouts"]);
    expect((await asSuperuser(stack, "postgres", "SELECT count(*)::int AS n FROM pg_roles WHERE rolname = 'tn_lima_breakglass'")).rows).toEqual([{ n: 0 }]);
    const ledger = await asSuperuser(stack, "tn_lima", "SELECT count(*) FILTER (WHERE revoked_at IS NULL)::int AS live, count(*)::int AS recorded FROM audit.break_glass_grants");
    expect(ledger.rows).toEqual([{ live: 0, recorded: 1 }]);
    expect((await upLocal(stack)).changes).toEqual([]);
  }, 60_000);
});
