import { join } from "node:path";
import * as postgresql from "@pulumi/postgresql";
import { beforeAll, describe, expect, it } from "vitest";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import { RecordingMonitor, type RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { runProgram, type ProgramRun } from "../../harness/run-program";
import { readStackFile } from "../../harness/stack-file";
import { TENANTRY_POLICIES } from "../../policies/all";
import { GRANT_SHAPES, MEMBERSHIP_SHAPES, ROLE_KINDS } from "../../policies/grant-shapes";
import { postgresGrantsMatchAllowedShapes, postgresMembershipsMatchAllowedShapes } from "../../policies/grants";
import { orgRoles, type OrgFacts } from "../../policies/org-roles";
import { postgresRolesMatchAllowedKinds } from "../../policies/postgres";
import { allowedGrantShape, allowedMembership } from "../../policies/shape-match";
import { declared } from "../helpers/declared";

/*
 * The pack judges grants, memberships and roles by allowlist (issue 12, item 6): the example
 * orgs as their stack files declare them, the three PUBLIC grants the pack used to accept, and
 * one violating and one compliant case per rule. Generated input: policies-grants-generated.test.ts.
 */

const STACKS = join(__dirname, "..", "..", "stacks");
const ALLOWLIST_RULES = [postgresGrantsMatchAllowedShapes, postgresMembershipsMatchAllowedShapes, postgresRolesMatchAllowedKinds];
const GRANT = "postgresql:index/grant:Grant";
const DEFAULT_PRIVILEGES = "postgresql:index/defaultPrivileges:DefaultPrivileges";

/** Records the outputs a component registers: what the engine's stack analysis reads as its props. */
class OutputRecordingMonitor extends RecordingMonitor {
  public readonly outputs = new Map<string, Record<string, unknown>>();
  override registerResourceOutputs(req: { getUrn(): string; getOutputs(): { toJavaScript(): Record<string, unknown> } | undefined }, callback: unknown): void {
    this.outputs.set(req.getUrn(), req.getOutputs()?.toJavaScript() ?? {});
    (super.registerResourceOutputs as (req: unknown, callback: unknown) => void)(req, callback);
  }
}

let acme: ProgramRun;
let globex: ProgramRun;
let acmeOutputs: OutputRecordingMonitor;

beforeAll(async () => {
  acmeOutputs = new OutputRecordingMonitor();
  acme = await runProgram(readStackFile(join(STACKS, "Pulumi.org-acme.yaml")), { monitor: acmeOutputs });
  globex = await runProgram(readStackFile(join(STACKS, "Pulumi.org-globex.yaml")));
});

const messages = async (resources: readonly RegisteredResource[], policies = TENANTRY_POLICIES) =>
  (await runPolicies(resources, policies)).map((v) => `${v.policy}: ${v.message}`);
const publicGrant = (name: string, args: postgresql.GrantArgs) => declared(postgresql.Grant, name, args);

describe("the allowlist over the example orgs", () => {
  it("passes acme and globex, as their stack files declare them, with no violation from any rule of the pack", async () => {
    expect(await messages(acme.resources)).toEqual([]);
    expect(await messages(globex.resources)).toEqual([]);
  });

  it("uses every shape of its table in the example org: it allows nothing the program does not declare", () => {
    const org = acme.resources.find((r) => r.type === COMPONENT_TYPES.orgTenant)!.inputs as unknown as OrgFacts;
    const acls = acme.resources.filter((r) => r.type === GRANT || r.type === DEFAULT_PRIVILEGES);
    const used = new Set(acls.map((r) => allowedGrantShape({ resource: r.type === GRANT ? "Grant" : "DefaultPrivileges", ...r.inputs }, org)));
    expect(used.has(undefined)).toBe(false);
    // The example org keeps break-glass off; test/unit/break-glass.test.ts uses its shapes.
    expect(used.size).toBe(GRANT_SHAPES.filter((shape) => shape.grantee !== "break-glass").length);
    const memberships = acme.resources.filter((r) => r.type === "postgresql:index/grantRole:GrantRole");
    expect(new Set(memberships.map((r) => allowedMembership(r.inputs, org)))).toEqual(new Set(MEMBERSHIP_SHAPES));
    const roleNames = acme.resources.filter((r) => r.type === "postgresql:index/role:Role").map((r) => r.inputs["name"]);
    const kinds = new Set(orgRoles(org).filter((role) => roleNames.includes(role.name)).map((role) => role.kind));
    // Break-glass is off in the example org, so its role is not declared (break-glass.test.ts enables it).
    expect([...kinds].sort()).toEqual(Object.keys(ROLE_KINDS).filter((kind) => kind !== "break-glass").sort());
  });

  it("registers the org's facts among the OrgTenant's outputs, which is what the engine's stack analysis reads", () => {
    const org = acme.resources.find((r) => r.type === COMPONENT_TYPES.orgTenant)!;
    expect(acmeOutputs.outputs.get(org.urn)).toMatchObject({
      slug: "acme", tier: "production", environments: ["dev", "test", "prod"], workspaces: ["web", "billing"], providerLogin: "tenantry",
    });
  });
});

describe("the three PUBLIC grants the pack used to accept (issue 12)", () => {
  const createOnSchema = publicGrant("org-acme-public-create", { role: "public", database: "tn_acme", schema: "web_prod", objectType: "schema", privileges: ["CREATE"] });
  const dmlOnTables = publicGrant("org-acme-public-dml", { role: "public", database: "tn_acme", schema: "web_prod", objectType: "table", privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"] });
  const defaultToPublic = declared(postgresql.DefaultPrivileges, "org-acme-public-default", {
    role: "public", owner: "tn_acme_prod_ddl", database: "tn_acme", schema: "web_prod", objectType: "table", privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"],
  });
  const PUBLIC_ALLOWED = "Allowed for PUBLIC: Grant privileges [] (a revoke) on database tn_acme; Grant privileges [] (a revoke) on schema public.";

  it("refuses CREATE on a schema for PUBLIC", async () => {
    expect(await messages([...acme.resources, createOnSchema])).toEqual([
      `postgres-grants-match-allowed-shapes: org-acme-public-create gives privileges CREATE on schema web_prod of database tn_acme to public: the design allows no such grant. Allowed for PUBLIC: Grant privileges [] (a revoke) on schema public.`,
    ]);
  });

  it("refuses DML on a schema's tables for PUBLIC", async () => {
    expect(await messages([...acme.resources, dmlOnTables])).toEqual([
      `postgres-grants-match-allowed-shapes: org-acme-public-dml gives privileges SELECT, INSERT, UPDATE, DELETE on every table in schema web_prod of database tn_acme to public: the design allows no such grant. ${PUBLIC_ALLOWED}`,
    ]);
  });

  it("refuses default privileges for PUBLIC", async () => {
    expect(await messages([...acme.resources, defaultToPublic])).toEqual([
      `postgres-grants-match-allowed-shapes: org-acme-public-default gives default privileges SELECT, INSERT, UPDATE, DELETE on every table tn_acme_prod_ddl creates in schema web_prod of database tn_acme to public: the design allows no such grant. ${PUBLIC_ALLOWED}`,
    ]);
  });

  it("control: without the allowlist rules the rest of the pack accepts all three, as issue 12 found", async () => {
    const others = TENANTRY_POLICIES.filter((policy) => !ALLOWLIST_RULES.some((rule) => rule === policy));
    expect(await messages([...acme.resources, createOnSchema, dmlOnTables, defaultToPublic], others)).toEqual([]);
  });
});

describe("each allowlist rule, one change at a time", () => {
  const withInputs = (name: string, patch: Record<string, unknown>) =>
    acme.resources.map((r) => (r.name === name ? { ...r, inputs: { ...r.inputs, ...patch } } : r));

  it("refuses a runtime role's grant on another environment's schema", async () => {
    expect(await messages(withInputs("org-acme-dev-web_dev-runtime-tables", { schema: "web_prod" }), [postgresGrantsMatchAllowedShapes])).toEqual([
      "postgres-grants-match-allowed-shapes: org-acme-dev-web_dev-runtime-tables gives privileges SELECT, INSERT, UPDATE, DELETE on every table in schema web_prod of database tn_acme to tn_acme_dev_runtime: the design allows no such grant. Allowed for tn_acme_dev_runtime: Grant SELECT, INSERT, UPDATE, DELETE on every table in web_dev, billing_dev; DefaultPrivileges SELECT, INSERT, UPDATE, DELETE on every table in web_dev, billing_dev (owner tn_acme_dev_ddl); Grant SELECT on audit.events.",
    ]);
  });

  it("refuses default privileges keyed to another environment's DDL role", async () => {
    expect(await messages(withInputs("org-acme-dev-web_dev-runtime-default-tables", { owner: "tn_acme_prod_ddl" }), [postgresGrantsMatchAllowedShapes])).toHaveLength(1);
  });

  it("refuses a grant WITH GRANT OPTION, and accepts the same grant without it", async () => {
    expect(await messages(withInputs("org-acme-db-dev-runtime-connect", { withGrantOption: true }), [postgresGrantsMatchAllowedShapes])).toHaveLength(1);
    expect(await messages(withInputs("org-acme-db-dev-runtime-connect", { withGrantOption: false }), [postgresGrantsMatchAllowedShapes])).toEqual([]);
  });

  it("refuses the provider login's membership with admin option, and a membership in the org owner for a tenant login", async () => {
    expect(await messages(withInputs("org-acme-db-admin-owns", { withAdminOption: true }), [postgresMembershipsMatchAllowedShapes])).toEqual([
      "postgres-memberships-match-allowed-shapes: org-acme-db-admin-owns makes tenantry a member of tn_acme_owner WITH ADMIN OPTION: the only membership allowed is the provider login tenantry in tn_acme_owner, without admin option.",
    ]);
    expect(await messages(withInputs("org-acme-db-admin-owns", { role: "tn_acme_prod_ddl" }), [postgresMembershipsMatchAllowedShapes])).toEqual([
      "postgres-memberships-match-allowed-shapes: org-acme-db-admin-owns makes tn_acme_prod_ddl a member of tn_acme_owner: the only membership allowed is the provider login tenantry in tn_acme_owner, without admin option.",
    ]);
  });

  it("refuses an owner role that can log in, and a login role that is a member of another role", async () => {
    expect(await messages(withInputs("org-acme-db-owner", { login: true }), [postgresRolesMatchAllowedKinds])).toEqual([
      "postgres-roles-match-allowed-kinds: Role org-acme-db-owner (tn_acme_owner) must be NOLOGIN (login: false): the org owner owns the database, and nobody logs in as it.",
    ]);
    expect(await messages(withInputs("org-acme-db-prod-ddl", { roles: ["tn_acme_owner"] }), [postgresRolesMatchAllowedKinds])).toEqual([
      "postgres-roles-match-allowed-kinds: Role org-acme-db-prod-ddl (tn_acme_prod_ddl) must not list roles: a membership is a GrantRole, and none makes a tenant role a member.",
    ]);
  });

  it("refuses a privileged attribute set to anything but false or nothing, the string \"true\" included", async () => {
    expect(await messages(withInputs("org-acme-db-dev-ddl", { createRole: "true" }))).toEqual([
      "postgres-role-no-privileged-attributes: Role org-acme-db-dev-ddl must not hold createRole: set them to false.",
    ]);
  });

  it("holds a role to a login's guardrails unless it is explicitly NOLOGIN", async () => {
    expect(await messages(withInputs("org-acme-db-dev-runtime", { login: "true", statementTimeout: 0 }))).toEqual([
      "postgres-login-role-guardrails: Login role org-acme-db-dev-runtime needs statementTimeout 100..60000 ms.",
      "postgres-roles-match-allowed-kinds: Role org-acme-db-dev-runtime (tn_acme_dev_runtime) must be LOGIN (login: true): a runtime role is the app pool's login.",
    ]);
  });

  it("refuses MAINTAIN (PG 17) for a runtime role, a privilege the old list of bad ones never named", async () => {
    expect(await messages(withInputs("org-acme-prod-web_prod-runtime-tables", { privileges: ["SELECT", "MAINTAIN"] }))).toEqual([
      "postgres-grants-match-allowed-shapes: org-acme-prod-web_prod-runtime-tables gives privileges SELECT, MAINTAIN on every table in schema web_prod of database tn_acme to tn_acme_prod_runtime: the design allows no such grant. Allowed for tn_acme_prod_runtime: Grant SELECT, INSERT, UPDATE, DELETE on every table in web_prod, billing_prod; DefaultPrivileges SELECT, INSERT, UPDATE, DELETE on every table in web_prod, billing_prod (owner tn_acme_prod_ddl); Grant SELECT on audit.events.",
    ]);
  });

  it("allows nothing in a stack without exactly one org", async () => {
    const withoutOrg = acme.resources.filter((r) => r.type !== COMPONENT_TYPES.orgTenant);
    const violations = await runPolicies(withoutOrg, ALLOWLIST_RULES);
    const count = (...types: string[]) => withoutOrg.filter((r) => types.includes(r.type)).length;
    const refused = (n: number) => `${n} resource${n === 1 ? "" : "s"} refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).`;
    // Once per rule, each naming how many of its resources it refused.
    expect(violations.map((v) => [v.policy, v.message]).sort()).toEqual([
      ["postgres-grants-match-allowed-shapes", refused(count(GRANT, DEFAULT_PRIVILEGES))],
      ["postgres-memberships-match-allowed-shapes", refused(count("postgresql:index/grantRole:GrantRole"))],
      ["postgres-roles-match-allowed-kinds", refused(count("postgresql:index/role:Role"))],
    ]);
  });
});

describe("values unknown during preview", () => {
  const UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";
  const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

  it("skip only the grant that holds one, with an advisory, and still refuse a bad grant beside it", async () => {
    const resources = acme.resources.map((r) => {
      if (r.name === "org-acme-dev-web_dev-runtime-tables") return { ...r, inputs: { ...r.inputs, privileges: UNKNOWN_ARRAY } };
      if (r.name === "org-acme-db-dev-runtime-connect") return { ...r, inputs: { ...r.inputs, privileges: ["CONNECT", "TEMPORARY"] } };
      return r;
    });
    const violations = await runPolicies(resources, [postgresGrantsMatchAllowedShapes]);
    expect(violations.map((v) => [v.enforcementLevel, v.urn === undefined ? "the rule" : v.urn.split("::").pop()])).toEqual([
      ["mandatory", "org-acme-db-dev-runtime-connect"],
      ["advisory", "the rule"],
    ]);
    expect(violations[1]?.message).toMatch(/^can't run policy 'postgres-grants-match-allowed-shapes' during preview/);
  });

  it("do not make a compliant role or membership a violation", async () => {
    const resources = acme.resources.map((r) =>
      r.name === "org-acme-db-owner" || r.name === "org-acme-db-admin-owns" ? { ...r, inputs: { ...r.inputs, [r.name.endsWith("owner") ? "name" : "grantRole"]: UNKNOWN_STRING } } : r);
    const violations = await runPolicies(resources, ALLOWLIST_RULES);
    expect(violations.map((v) => v.enforcementLevel)).toEqual(["advisory", "advisory"]);
  });
});
