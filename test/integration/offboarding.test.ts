import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applyChanges } from "../../local/apply";
import type { Connection } from "../../local/sql-runner";
import { attempt } from "../../local/attempt";
import { planChanges, RefusedChangeError, type Change } from "../../local/changes";
import { proveOffboarding } from "../../local/proof/offboarding-claims";
import { proveLocal } from "../../local/prove-local";
import { TYPE } from "../../local/provider-sql";
import type { ServerInfo } from "../../local/server";
import { readState } from "../../local/state";
import { upLocal, type LocalStack } from "../../local/up";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * Offboarding on a real Postgres, through the local engine (`tenantry up --local`): marking the
 * org turns its logins off and drops nothing; the destroy that follows forgets every resource and
 * leaves the database, its schemas, roles and rows on the server.
 */

const ORG = {
  slug: "oscar",
  tier: "production",
  environments: ["dev", "prod"],
  workspaces: [{ slug: "web" }],
  claimedDomains: ["oscar.example"],
};
const MARKER = { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31" };

const stackOf = (org: Record<string, unknown>): LocalStack => localStack(writeStackFile({ ...ORG, ...org }), "oscar");
const kinds = (changes: readonly Change[]) => [...new Set(changes.map((c) => c.kind))].sort();
const nameOf = (c: Change) => ("desired" in c ? c.desired : c.previous).name;

function serverOf(stack: LocalStack): ServerInfo {
  return JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
}
async function asSuperuser(stack: LocalStack, database: string, sql: string) {
  const server = serverOf(stack);
  const outcome = await attempt(server, { user: server.user, password: server.password }, database, [sql]);
  expect(outcome.code, outcome.message).toBeUndefined();
  return outcome.rows;
}
const onServer = async (stack: LocalStack) => ({
  database: await asSuperuser(stack, "postgres", "SELECT datname FROM pg_database WHERE datname = 'tn_oscar'"),
  orders: await asSuperuser(stack, "tn_oscar", "SELECT count(*)::int AS n, pg_get_userbyid(relowner) AS owner FROM web_dev.orders, pg_class WHERE oid = 'web_dev.orders'::regclass GROUP BY relowner"),
  roles: await asSuperuser(stack, "postgres", "SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname LIKE 'tn\\_oscar\\_%' ORDER BY rolname"),
});

describe("offboarding through the local engine", () => {
  let admin: Connection;
  let superuser: Connection;

  it("applies the active org and holds data in it; the offboarding proof fails against it (the control)", async () => {
    const active = stackOf({});
    ({ admin, superuser } = await upLocal(active));
    await asSuperuser(active, "tn_oscar", "SET ROLE tn_oscar_dev_ddl; CREATE TABLE web_dev.orders (id int PRIMARY KEY); INSERT INTO web_dev.orders SELECT generate_series(1, 42)");
    const state = readState(active.paths).stacks["org-oscar"]!;
    const credentials = new Map(state.resources.filter((r) => r.type === TYPE.role && typeof r.inputs["password"] === "string")
      .map((r) => [String(r.inputs["name"]), { user: String(r.inputs["name"]), password: String(r.inputs["password"]) }]));
    const results = await proveOffboarding({ server: serverOf(active), spec: active.tenant.spec, credentials, otherOrgs: [] });
    expect(results.filter((r) => r.claim.includes("cannot log in")).map((r) => [r.result, r.status])).toEqual(Array(4).fill(["ALLOWED, expected refused 28000", "fail"]));
    // And a destroy of the active org is refused before anything runs: its database is protected.
    expect(() => planChanges([], state.resources, () => ({ replacesOn: [] }))).toThrowError(RefusedChangeError);
  });

  it("marking it turns every login off and drops nothing: options and role updates only", async () => {
    const marked = stackOf({ offboarding: MARKER });
    const { changes } = await upLocal(marked);
    expect(kinds(changes)).toEqual(["options", "update"]);
    expect(changes.filter((c) => c.kind === "update").map(nameOf).sort()).toEqual(["org-oscar-db-dev-ddl", "org-oscar-db-dev-runtime", "org-oscar-db-prod-ddl", "org-oscar-db-prod-runtime"]);
    const server = await onServer(marked);
    expect(server.database).toEqual([{ datname: "tn_oscar" }]);
    expect(server.orders).toEqual([{ n: 42, owner: "tn_oscar_dev_ddl" }]);
    expect(server.roles.filter((r) => r["rolcanlogin"] === true)).toEqual([]);
    expect((await upLocal(marked)).changes).toEqual([]);
  });

  it("proves it: each role is refused with its own stored password, and the schemas are still there", async () => {
    const results = await proveLocal(stackOf({ offboarding: MARKER }));
    expect(results.filter((r) => r.status === "fail")).toEqual([]);
    expect(results.filter((r) => r.status === "pass").map((r) => r.result)).toEqual([...Array(4).fill("refused 28000"), "all 2 there"]);
  });

  it("lets a login that may read every schema take the final dump's reads (pg_read_all_data, and the audit owner's membership for the ledger), and not without them", async () => {
    const stack = stackOf({ offboarding: MARKER });
    const server = serverOf(stack);
    const [{ n: events }] = await asSuperuser(stack, "tn_oscar", "SELECT count(*)::int AS n FROM audit.events") as [{ n: number }];
    expect(events).toBeGreaterThanOrEqual(42);
    // pg_dump reads with row_security off: a table whose policies would filter what it reads is an error, never a short dump.
    const read = () => attempt(server, admin, "tn_oscar", ["SET row_security = off", "SELECT count(*)::int AS n FROM web_dev.orders", "SELECT count(*)::int AS n FROM audit.events"]);
    expect((await read()).code).toBe("42501");
    await asSuperuser(stack, "postgres", `GRANT pg_read_all_data TO ${admin.user}`);
    try {
      // pg_read_all_data does not bypass row-level security, and no ledger policy names the provider's login.
      expect(await read()).toMatchObject({ code: "42501", message: 'query would be affected by row-level security policy for table "events"' });
      // The ledger's owner is not subject to its policies, nor is a member of it: the provider's login borrows the membership, as the ledger's migration does.
      expect(await attempt(server, admin, "tn_oscar", ["GRANT tn_oscar_audit TO CURRENT_USER"])).toMatchObject({ code: undefined });
      try {
        expect(await read()).toMatchObject({ code: undefined, rows: [{ n: events }] });
      } finally {
        expect(await attempt(server, admin, "tn_oscar", ["REVOKE tn_oscar_audit FROM CURRENT_USER"])).toMatchObject({ code: undefined });
      }
      expect((await read()).code).toBe("42501");
    } finally {
      await asSuperuser(stack, "postgres", `REVOKE pg_read_all_data FROM ${admin.user}`);
    }
  });

  it("the destroy that follows forgets every resource and leaves the database, its roles and its rows on the server", async () => {
    const stack = stackOf({ offboarding: MARKER });
    const changes = await applyChanges({ paths: stack.paths, admin, superuser, stack: "org-oscar", desired: [], generatedPasswords: new Map() });
    expect(kinds(changes)).toEqual(["retain"]);
    expect(changes.length).toBeGreaterThan(20);
    expect(readState(stack.paths).stacks["org-oscar"]?.resources).toEqual([]);
    const server = await onServer(stack);
    expect(server.database).toEqual([{ datname: "tn_oscar" }]);
    expect(server.orders).toEqual([{ n: 42, owner: "tn_oscar_dev_ddl" }]);
    expect(server.roles.map((r) => r["rolname"])).toEqual(["tn_oscar_audit", "tn_oscar_dev_ddl", "tn_oscar_dev_runtime", "tn_oscar_owner", "tn_oscar_prod_ddl", "tn_oscar_prod_runtime"]);
  });
});
