import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { applyChanges } from "../../local/apply";
import { RefusedChangeError, type Change } from "../../local/changes";
import { attempt } from "../../local/attempt";
import type { ServerInfo } from "../../local/server";
import { readState } from "../../local/state";
import { declareLocal, upLocal, type LocalStack } from "../../local/up";
import { localStack, writeStackFile } from "../helpers/local";
import { deployKeepsItsFooting } from "../../local/proof/deploy-claims";
import type { ProofContext } from "../../local/proof/claim";

/** What a catalog-only claim needs of a proof's context. */
function proofContext(stack: LocalStack, server: ServerInfo): Omit<ProofContext, "providerLogin"> {
  return {
    server, spec: stack.tenant.spec, credentials: new Map(), otherOrgs: [], nonce: "changes",
    willCreate: () => undefined, repairRoles: async () => ({ passwords: [], settings: [] }),
  };
}

/*
 * The local apply behaves like `pulumi up`: the second run changes nothing, a changed spec
 * changes only what it must, and nothing ever drops a protected or retained database.
 */

const base = {
  tier: "production",
  environments: ["dev", "prod"],
  workspaces: [{ slug: "web" }],
  claimedDomains: ["delta.example"],
};

function stackFor(org: { slug: string } & Record<string, unknown>, stateName: string): LocalStack {
  return localStack(writeStackFile({ ...base, ...org }), stateName);
}

const kinds = (changes: readonly Change[]) => [...new Set(changes.map((c) => c.kind))];
const names = (changes: readonly Change[]) => changes.map((c) => ("desired" in c ? c.desired : c.previous).name).sort();

async function asSuperuser(stack: LocalStack, database: string, sql: string) {
  const server = JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
  return attempt(server, { user: server.user, password: server.password }, database, [sql]);
}

describe("applying a stack again", () => {
  it("creates everything once, then finds nothing to change", async () => {
    const stack = stackFor({ slug: "delta" }, "delta");
    const first = await upLocal(stack);
    expect(kinds(first.changes)).toEqual(["create"]);
    expect(first.changes.length).toBeGreaterThan(20);
    expect((await upLocal(stack)).changes).toEqual([]);
  });

  it("keeps the provider login an inheriting member of the owner, and PUBLIC without CONNECT, through a second and a third apply", async () => {
    const stack = stackFor({ slug: "november" }, "november");
    const login = stack.tenant.provider.adminRole;
    const check = `SELECT pg_has_role('${login}', 'tn_november_owner', 'USAGE') AS inherits, has_database_privilege('public', 'tn_november', 'CONNECT') AS public_connects`;
    for (const run of [1, 2, 3]) {
      const applied = await upLocal(stack).catch((error: unknown) => { throw new Error(`apply ${run}: ${String(error)}`); });
      if (run > 1) expect(names(applied.changes), `apply ${run} changes nothing`).toEqual([]);
      expect((await asSuperuser(stack, "postgres", check)).rows, `after apply ${run}`).toEqual([{ inherits: true, public_connects: false }]);
      // The proof's own claims, which every `up --local` runs, say the same.
      const claims = await deployKeepsItsFooting({ ...proofContext(stack, applied.server), providerLogin: login });
      expect(claims.map((c) => [c.claim, c.status]), `proof after apply ${run}`).toEqual([
        ["the provider login is still an inheriting member of the org's owner role after this apply", "pass"],
        ["PUBLIC still holds no privilege on the org database after this apply", "pass"],
      ]);
    }
    // Control: the claim reads the server, it does not echo the plan.
    await asSuperuser(stack, "postgres", "GRANT CONNECT ON DATABASE tn_november TO PUBLIC");
    try {
      const [, publicClaim] = await deployKeepsItsFooting({ ...proofContext(stack, (await upLocal(stack)).server), providerLogin: login });
      expect([publicClaim?.status, publicClaim?.result]).toEqual(["fail", "holds CONNECT"]);
    } finally {
      await asSuperuser(stack, "postgres", "REVOKE CONNECT ON DATABASE tn_november FROM PUBLIC");
    }
  });

  it("changes only the login roles, their timeouts migration and the enforcer's limits when a timeout changes, and the server sees the new value", async () => {
    await upLocal(stackFor({ slug: "kilo" }, "kilo"));
    const changed = await upLocal(stackFor({ slug: "kilo", quotas: { statementTimeoutMs: 4000 } }, "kilo"));
    expect(kinds(changed.changes)).toEqual(["update"]);
    expect(names(changed.changes)).toEqual(["org-kilo-db-dev-ddl", "org-kilo-db-dev-runtime", "org-kilo-db-guardrails", "org-kilo-db-lock-timeouts", "org-kilo-db-prod-ddl", "org-kilo-db-prod-runtime"]);
    const config = await asSuperuser(stackFor({ slug: "kilo" }, "kilo"), "postgres", "SELECT rolconfig FROM pg_roles WHERE rolname = 'tn_kilo_dev_runtime'");
    expect(config.rows[0]?.["rolconfig"]).toContain("statement_timeout=4000");
    const limit = await asSuperuser(stackFor({ slug: "kilo" }, "kilo"), "postgres", "SELECT statement_ms FROM guardrails.limits WHERE role = 'tn_kilo_dev_runtime'");
    expect(limit.rows).toEqual([{ statement_ms: 4000 }]);
  });

  it("only creates a new workspace's schemas and grants, then only deletes them again", async () => {
    await upLocal(stackFor({ slug: "lima" }, "lima"));
    const withApi = stackFor({ slug: "lima", workspaces: [{ slug: "web" }, { slug: "api" }] }, "lima");
    const added = await upLocal(withApi);
    const created = added.changes.filter((c) => c.kind === "create");
    expect(names(created).every((n) => n.includes("api"))).toBe(true);
    expect(created).toHaveLength(2 * 6); // per environment: a schema and five ACL resources
    // ...and the audit ledger's migration, re-run to cover the new schemas.
    expect(names(added.changes.filter((c) => c.kind !== "create"))).toEqual(["org-lima-audit-ledger"]);
    const removed = await upLocal(stackFor({ slug: "lima" }, "lima"));
    expect(names(removed.changes.filter((c) => c.kind === "delete"))).toEqual(names(created));
    expect(names(removed.changes.filter((c) => c.kind !== "delete"))).toEqual(["org-lima-audit-ledger"]);
    expect((await asSuperuser(withApi, "tn_lima", "SELECT nspname FROM pg_namespace WHERE nspname LIKE 'api_%'")).rows).toEqual([]);
  });

  it("never drops a schema that holds a table: the delete fails and the state keeps it", async () => {
    await upLocal(stackFor({ slug: "mike", workspaces: [{ slug: "web" }, { slug: "api" }] }, "mike"));
    const stack = stackFor({ slug: "mike" }, "mike");
    await asSuperuser(stack, "tn_mike", "SET ROLE tn_mike_dev_ddl; CREATE TABLE api_dev.orders (id int)");
    await expect(upLocal(stack)).rejects.toThrowError(/delete org-mike-dev-api: cannot drop schema api_dev because other objects depend on it/);
    expect((await asSuperuser(stack, "tn_mike", "SELECT count(*)::int AS n FROM api_dev.orders")).rows).toEqual([{ n: 0 }]);
    const state = readState(stack.paths).stacks["org-mike"]!;
    expect(state.resources.some((r) => r.name === "org-mike-dev-api")).toBe(true);
    expect(state.pending).toEqual([]);
  });
});

describe("a database is never dropped by accident", () => {
  it("refuses, before running anything, to delete a protected production database", async () => {
    const stack = stackFor({ slug: "echo" }, "echo");
    await upLocal(stack);
    const before = readFileSync(stack.paths.stateFile, "utf8");
    const { desired, generatedPasswords } = await declareLocal(stack);
    const withoutDatabase = desired.filter((r) => r.type !== "postgresql:index/database:Database");
    const { admin, superuser } = await upLocal(stack);
    await expect(applyChanges({ paths: stack.paths, admin, superuser, stack: stack.stackFile.stack, desired: withoutDatabase, generatedPasswords }))
      .rejects.toThrowError(/org-echo-db-database: it is protected and the stack no longer declares it/);
    expect(readFileSync(stack.paths.stateFile, "utf8")).toBe(before);
    expect((await asSuperuser(stack, "postgres", "SELECT 1 AS found FROM pg_database WHERE datname = 'tn_echo'")).rows).toEqual([{ found: 1 }]);
  });

  it("refuses a collation change, which the provider would carry out by dropping and re-creating it", async () => {
    const stack = stackFor({ slug: "echo" }, "echo");
    const { desired, generatedPasswords } = await declareLocal(stack);
    const recollated = desired.map((r) => (r.type === "postgresql:index/database:Database" ? { ...r, inputs: { ...r.inputs, lcCollate: "en_US.UTF-8" }, inputsHash: "changed" } : r));
    const { admin, superuser } = await upLocal(stack);
    await expect(applyChanges({ paths: stack.paths, admin, superuser, stack: stack.stackFile.stack, desired: recollated, generatedPasswords }))
      .rejects.toBeInstanceOf(RefusedChangeError);
  });

  it("keeps a sandbox database on the server when the stack stops declaring it (retainOnDelete)", async () => {
    const stack = stackFor({ slug: "foxtrot", tier: "sandbox" }, "foxtrot");
    const { admin, superuser } = await upLocal(stack);
    const { desired, generatedPasswords } = await declareLocal(stack);
    const database = desired.filter((r) => r.type === "postgresql:index/database:Database");
    const changes = await applyChanges({ paths: stack.paths, admin, superuser, stack: stack.stackFile.stack, desired: desired.filter((r) => !database.includes(r)), generatedPasswords });
    expect(changes.map((c) => c.kind)).toEqual(["retain"]);
    expect((await asSuperuser(stack, "postgres", "SELECT 1 AS found FROM pg_database WHERE datname = 'tn_foxtrot'")).rows).toEqual([{ found: 1 }]);
  });
});
