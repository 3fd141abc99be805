import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { planLifecycle } from "../../components/lifecycle-plan";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import type { RegisteredResource } from "../../harness/recording-monitor";
import type { ProgramRun } from "../../harness/run-program";
import { input, ofType, runOrg, TYPES } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * What the program declares for an org marked for offboarding (DESIGN property 15): its edge
 * and every way in are gone, and everything that holds its data is still declared, retained on
 * delete, so neither the marker's `pulumi up` nor a later destroy drops anything.
 */

const MARKER = { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31", ticket: "OPS-1234" };

/** The components whose descendants hold the org's data (database, roles, schemas, grants, ledger). */
const DATA_COMPONENTS = new Set<string>([COMPONENT_TYPES.orgDatabase, COMPONENT_TYPES.environmentSchemas, COMPONENT_TYPES.auditLedger]);
/** Everything that lets a request, a Worker or an AWS identity in. */
const EDGE = /^cloudflare:|^aws:iam\/|^tenantry:index:(DispatchNamespace|TenantApp)$/;

function dataSide(run: ProgramRun): RegisteredResource[] {
  const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
  const underData = (r: RegisteredResource): boolean => {
    for (let parent = r.parent; parent !== undefined; parent = byUrn.get(parent)?.parent) {
      if (DATA_COMPONENTS.has(byUrn.get(parent)?.type ?? "")) return true;
    }
    return false;
  };
  return run.resources.filter((r) => r.custom && underData(r));
}

const loginRoles = (run: ProgramRun) => ofType(run, TYPES.role).filter((r) => input(r, "login") === true);
const edgeResources = (run: ProgramRun) => run.resources.filter((r) => EDGE.test(r.type)).map((r) => r.name);

let active: ProgramRun;
let marked: ProgramRun;
beforeAll(async () => {
  active = await runOrg(validOrgInput());
  marked = await runOrg({ ...validOrgInput(), offboarding: MARKER });
});

describe("an org marked for offboarding", () => {
  it("declares no edge: no dispatch namespace, Worker, app, Secrets Store or IAM identity", () => {
    expect(edgeResources(marked)).toEqual([]);
    // The control: the same org, unmarked, has all of them.
    expect(edgeResources(active).length).toBeGreaterThan(10);
  });

  it("keeps the KMS key and the Secrets Manager secrets (deleted only by a destroy, with AWS's recovery window)", () => {
    const kept = (run: ProgramRun) => run.resources.filter((r) => /^aws:(kms|secretsmanager)\//.test(r.type)).map((r) => r.name).sort();
    expect(kept(marked)).toEqual(kept(active));
    expect(kept(marked)).toContain("org-acme-secrets-key");
  });

  it("still declares its database, unprotected so a destroy can finish, and retained so it never drops it", () => {
    const [database, ...others] = ofType(marked, TYPES.database);
    expect(others).toEqual([]);
    expect(input(database!, "name")).toBe("tn_acme");
    expect([database!.protect, database!.retainOnDelete]).toEqual([false, true]);
  });

  it("retains every resource that holds or guards its data, so a destroy drops no schema or role and revokes no grant", () => {
    const side = dataSide(marked);
    expect(side.filter((r) => !r.retainOnDelete).map((r) => r.name)).toEqual([]);
    // Everything Postgres is on that side: no Postgres resource escapes the retention.
    expect(marked.resources.filter((r) => r.type.startsWith("postgresql:")).every((r) => side.includes(r))).toBe(true);
    // The same set of resources as the active org: nothing is dropped by the marker's own up.
    expect(side.map((r) => r.name).sort()).toEqual(dataSide(active).map((r) => r.name).sort());
    // The control: an active org's schemas and roles are not retained (a removed workspace drops its schema).
    expect(dataSide(active).filter((r) => !r.retainOnDelete).length).toBeGreaterThan(20);
  });

  it("turns every login off (NOLOGIN), so no retained password opens the retained data", () => {
    expect(loginRoles(marked)).toEqual([]);
    expect(ofType(marked, TYPES.role).filter((r) => /_(runtime|ddl)$/.test(input<string>(r, "name")))).toHaveLength(6);
    expect(loginRoles(active)).toHaveLength(6);
  });

  it("tells the pack it is offboarding, on the OrgTenant component", () => {
    const org = (run: ProgramRun) => ofType(run, COMPONENT_TYPES.orgTenant)[0]?.inputs;
    expect(org(marked)).toMatchObject({ slug: "acme", tier: "production", offboarding: true });
    expect(org(active)).toMatchObject({ slug: "acme", tier: "production", offboarding: false });
  });
});

describe("the lifecycle plan", () => {
  it("protects only an active production database, and retains the whole data side only while offboarding", () => {
    expect(planLifecycle({ tier: "production", offboarding: undefined })).toEqual({ offboarding: false, edge: true, logins: true, protectDatabase: true, retainDatabaseSide: false });
    expect(planLifecycle({ tier: "sandbox", offboarding: undefined })).toMatchObject({ protectDatabase: false, retainDatabaseSide: false });
    expect(planLifecycle({ tier: "production", offboarding: MARKER })).toEqual({ offboarding: true, edge: false, logins: false, protectDatabase: false, retainDatabaseSide: true });
  });
});

/** Valid marked orgs of every shape: tier, environments, workspaces, apps, secrets, with or without an edge. */
const markedOrg = fc.record({
  tier: fc.constantFrom("production", "sandbox"),
  environments: fc.subarray(["dev", "test", "prod"], { minLength: 1 }),
  extraWorkspaces: fc.subarray(["api", "reports", "ops"]),
  apps: fc.subarray([0, 1]),
  withEdge: fc.boolean(),
  reason: fc.string({ minLength: 10, maxLength: 500 }),
  ticket: fc.option(fc.stringMatching(/^[\x21-\x7e]{1,200}$/), { nil: undefined }),
}).map(({ tier, environments, extraWorkspaces, apps, withEdge, reason, ticket }) => {
  const base = validOrgInput();
  const env = environments.at(-1) ?? "dev";
  return {
    ...base,
    tier,
    environments,
    workspaces: [{ slug: "web" }, { slug: "billing" }, ...extraWorkspaces.map((slug) => ({ slug }))],
    apps: withEdge ? apps.map((i) => (base["apps"] as unknown[])[i]) : [],
    secrets: withEdge ? [{ name: "DATABASE_URL", scope: env, ref: `aws-secretsmanager:acme/${env}/db#url` }] : [],
    ...(withEdge ? {} : { edge: undefined }),
    offboarding: { requestedBy: "ops@tenantry.example", reason, ...(ticket === undefined ? {} : { ticket }) },
  };
});

describe("any org marked for offboarding (generated)", () => {
  it("declares no edge and no login, and declares and retains its database and everything in it", async () => {
    await fc.assert(fc.asyncProperty(markedOrg, async (org) => {
      const run = await runOrg(JSON.parse(JSON.stringify(org)));
      expect(edgeResources(run)).toEqual([]);
      expect(loginRoles(run)).toEqual([]);
      const databases = ofType(run, TYPES.database);
      expect(databases.map((d) => [d.protect, d.retainOnDelete])).toEqual([[false, true]]);
      expect(run.resources.filter((r) => r.type.startsWith("postgresql:") && !r.retainOnDelete).map((r) => r.name)).toEqual([]);
    }), { numRuns: 25 });
  });
});
