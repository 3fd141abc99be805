import { beforeAll, describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { offlineOnlyChecks } from "../../harness/offline-checks";
import { runPolicies } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { runOrg, TYPES } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * The policy pack's rules (policies/all.ts), run as `tenantry check` runs them. One happy path,
 * the real program's resources for the example org, and one change per test (STYLE.md 8).
 */

let acme: ProgramRun;
let sandbox: ProgramRun;

beforeAll(async () => {
  acme = await runOrg(validOrgInput());
  sandbox = await runOrg({ ...validOrgInput(), slug: "globex", tier: "sandbox", apps: [], secrets: [], claimedDomains: [] }, "org-globex");
});

/** The happy path with `change` applied to the first resource matching `match`. */
function changed(match: (r: RegisteredResource) => boolean, change: (r: RegisteredResource) => RegisteredResource): RegisteredResource[] {
  const index = acme.resources.findIndex(match);
  expect(index).toBeGreaterThanOrEqual(0);
  return acme.resources.map((r, i) => (i === index ? change(r) : r));
}

const withInputs = (patch: Record<string, unknown>) => (r: RegisteredResource): RegisteredResource => ({ ...r, inputs: { ...r.inputs, ...patch } });
const named = (name: string) => (r: RegisteredResource) => r.name === name;
const messages = async (resources: readonly RegisteredResource[]) => (await runPolicies(resources)).map((v) => `${v.policy}: ${v.message}`);

describe("the policy pack", () => {
  it("passes the example production org and the sandbox org", async () => {
    expect(await messages(acme.resources)).toEqual([]);
    expect(await messages(sandbox.resources)).toEqual([]);
  });

  it("refuses a role with a privileged attribute", async () => {
    expect(await messages(changed(named("org-acme-db-dev-ddl"), withInputs({ superuser: true, createRole: true })))).toEqual([
      "postgres-role-no-privileged-attributes: Role org-acme-db-dev-ddl must not hold superuser, createRole: set them to false.",
    ]);
  });

  it("refuses a login role without a statement timeout or with an unlimited connection limit", async () => {
    expect(await messages(changed(named("org-acme-db-prod-runtime"), withInputs({ statementTimeout: 0, connectionLimit: -1 })))).toEqual([
      "postgres-login-role-guardrails: Login role org-acme-db-prod-runtime needs statementTimeout 100..60000 ms.",
      "postgres-login-role-guardrails: Login role org-acme-db-prod-runtime needs a finite connectionLimit 1..200.",
    ]);
  });

  it("refuses CREATE or TRUNCATE for a runtime role, once", async () => {
    expect(await messages(changed(named("org-acme-prod-web_prod-runtime-tables"), withInputs({ privileges: ["SELECT", "TRUNCATE"] })))).toEqual([
      "postgres-grants-match-allowed-shapes: org-acme-prod-web_prod-runtime-tables gives privileges SELECT, TRUNCATE on every table in schema web_prod of database tn_acme to tn_acme_prod_runtime: the design allows no such grant. Allowed for tn_acme_prod_runtime: Grant SELECT, INSERT, UPDATE, DELETE on every table in web_prod, billing_prod; DefaultPrivileges SELECT, INSERT, UPDATE, DELETE on every table in web_prod, billing_prod (owner tn_acme_prod_ddl); Grant SELECT on audit.events.",
    ]);
  });

  it("refuses two Grants on one (role, database, schema, object type)", async () => {
    const grant = acme.resources.find(named("org-acme-prod-web_prod-runtime-tables"))!;
    const twin = { ...grant, name: "org-acme-twin", urn: `${grant.urn}-twin` };
    expect(await messages([...acme.resources, twin])).toEqual([
      "postgres-one-grant-per-target: org-acme-twin and org-acme-prod-web_prod-runtime-tables both grant table privileges to tn_acme_prod_runtime: keep one.",
    ]);
  });

  it("refuses an org database whose PUBLIC privileges are not revoked", async () => {
    expect(await messages(acme.resources.filter((r) => r.name !== "org-acme-db-public-revoke-database"))).toEqual([
      'postgres-public-revoked: Database tn_acme needs a Grant revoking everything from PUBLIC (role "public", objectType "database", privileges []).',
    ]);
  });

  it("refuses a grant to another org's role, once", async () => {
    expect(await messages(changed(named("org-acme-db-dev-runtime-connect"), withInputs({ role: "tn_globex_dev_runtime" })))).toEqual([
      "postgres-grants-match-allowed-shapes: org-acme-db-dev-runtime-connect gives privileges CONNECT on database tn_acme to tn_globex_dev_runtime: the design allows no such grant. tn_globex_dev_runtime is no role of org acme: grants go only to the runtime and DDL roles of its environments (dev, test, prod), and PUBLIC only ever loses privileges.",
    ]);
  });

  it("refuses a grant to a role of an org whose slug extends this one's (acme-dev is not acme)", async () => {
    expect(await messages(changed(named("org-acme-db-dev-runtime-connect"), withInputs({ role: "tn_acme_dev_owner" })))).toEqual([
      "postgres-grants-match-allowed-shapes: org-acme-db-dev-runtime-connect gives privileges CONNECT on database tn_acme to tn_acme_dev_owner: the design allows no such grant. tn_acme_dev_owner is no role of org acme: grants go only to the runtime and DDL roles of its environments (dev, test, prod), and PUBLIC only ever loses privileges.",
    ]);
  });

  it("refuses a change of the database's collation", async () => {
    expect(await messages(changed((r) => r.type === TYPES.database, withInputs({ lcCollate: "en_US.UTF-8" })))).toEqual([
      "postgres-database-fixed-settings: Database org-acme-db-database must keep lcCollate=C.",
    ]);
  });

  it("refuses an unprotected database in a production org, but not in a sandbox org", async () => {
    expect(await messages(changed((r) => r.type === TYPES.database, (r) => ({ ...r, protect: false })))).toEqual([
      "postgres-production-database-protected: Database org-acme-db-database of a production org must be protected (protect: true).",
    ]);
    expect(sandbox.resources.find((r) => r.type === TYPES.database)?.protect).toBe(false);
  });

  it("refuses a stack with two orgs, and a resource not named after the org", async () => {
    const org = acme.resources.find((r) => r.type === "tenantry:index:OrgTenant")!;
    expect(await messages([...acme.resources, { ...org, urn: `${org.urn}-2` }])).toEqual([
      "postgres-roles-match-allowed-kinds: 8 resources refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).",
      "postgres-grants-match-allowed-shapes: 56 resources refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).",
      "postgres-memberships-match-allowed-shapes: 1 resource refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).",
      "postgres-databases-and-schemas-match-org: 8 resources refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).",
      "postgres-migrations-match-platform-sql: 4 resources refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).",
      "workers-webhooks-stay-in-org: 2 resources refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).",
      "cloudflare-resources-match-org: 6 resources refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).",
      "aws-resources-stay-in-org-region: 11 resources refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).",
      "aws-secret-names-of-org: 3 resources refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).",
      "stack-one-org: A stack must declare exactly one org (found 2).",
    ]);
    expect(await messages(changed(named("org-acme-db-owner"), (r) => ({ ...r, name: "shared-owner" })))).toEqual([
      "stack-names-carry-org-prefix: shared-owner must be named org-acme-...: every resource carries its org's prefix.",
    ]);
  });

  it("refuses a grant beyond SELECT/INSERT on the audit ledger, and a cascading audit schema", async () => {
    expect(await messages(changed(named("org-acme-audit-dev-runtime-events-read"), withInputs({ privileges: ["SELECT", "DELETE"] })))).toEqual([
      "postgres-grants-match-allowed-shapes: org-acme-audit-dev-runtime-events-read gives privileges SELECT, DELETE on table events in schema audit of database tn_acme to tn_acme_dev_runtime: the design allows no such grant. Allowed for tn_acme_dev_runtime: Grant SELECT, INSERT, UPDATE, DELETE on every table in web_dev, billing_dev; DefaultPrivileges SELECT, INSERT, UPDATE, DELETE on every table in web_dev, billing_dev (owner tn_acme_dev_ddl); Grant SELECT on audit.events.",
      "audit-ledger-select-insert-only: org-acme-audit-dev-runtime-events-read grants DELETE on the audit ledger: only SELECT and INSERT are allowed.",
    ]);
    expect(await messages(changed(named("org-acme-audit-schema"), withInputs({ dropCascade: true })))).toEqual([
      "audit-schema-never-cascades: Schema org-acme-audit-schema (audit) must set dropCascade: false.",
    ]);
  });

  it("refuses an org database without the audit ledger", async () => {
    expect(await messages(acme.resources.filter((r) => r.name !== "org-acme-audit-ledger"))).toEqual([
      "postgres-migrations-match-platform-sql: The stack does not declare migration acme-audit-ledger, which the platform renders for org acme: every one of the org's migrations must be in its stack (acme-lock-timeouts, acme-guardrails, acme-large-objects, acme-audit-ledger).",
      "audit-ledger-present: Database tn_acme has no audit ledger: declare an AuditLedger for it.",
    ]);
  });

  it("refuses a break-glass role without an expiry within 24 h, and one in an org whose break-glass is off whatever its expiry", async () => {
    // A break-glass role is a login (DESIGN property 13), with a login's guardrails. Acme keeps
    // break-glass off, so its role is none of acme's (issue 16); break-glass.test.ts has it on.
    const login = acme.resources.find(named("org-acme-db-prod-runtime"))!;
    const role = (validUntil?: string) => ({ ...login, urn: `${login.urn}-bg`, name: "org-acme-db-breakglass", inputs: { ...login.inputs, name: "tn_acme_breakglass", ...(validUntil ? { validUntil } : {}) } });
    const notAcmes = "postgres-roles-match-allowed-kinds: Role org-acme-db-breakglass (tn_acme_breakglass) is none of org acme's roles (tn_acme_owner, tn_acme_audit, tn_acme_dev_runtime, tn_acme_dev_ddl, tn_acme_test_runtime, tn_acme_test_ddl, tn_acme_prod_runtime, tn_acme_prod_ddl).";
    expect(await messages([...acme.resources, role()])).toEqual([
      "postgres-break-glass-expires: Break-glass role org-acme-db-breakglass needs validUntil in the future and at most 24 h ahead.",
      notAcmes,
    ]);
    expect(await messages([...acme.resources, role(new Date(Date.now() + 3_600_000).toISOString())])).toEqual([notAcmes]);
  });
});

describe("the policy pack, further", () => {
  it("refuses a bypass switch in a production org, however deep", async () => {
    expect(await messages(changed(named("org-acme-db-owner"), withInputs({ settings: { tenantBypass: true } })))).toEqual([
      "stack-no-bypass-switches: org-acme-db-owner turns on settings.tenantBypass: a production org has no dev-mode or bypass switch.",
    ]);
  });

  it("skips a rule that reads a value unknown during preview, with an advisory, as the analyzer does", async () => {
    const unknown = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
    const violations = await runPolicies(changed(named("org-acme-db-prod-runtime"), withInputs({ statementTimeout: unknown })));
    expect(violations.map((v) => [v.policy, v.enforcementLevel])).toEqual([["postgres-login-role-guardrails", "advisory"]]);
    expect(violations[0]?.message).toMatch(/^can't run policy 'postgres-login-role-guardrails' during preview/);
  });
});

describe("the offline-only checks of tenantry check", () => {
  it("pass the program's roles, whose passwords are secrets", () => {
    expect(offlineOnlyChecks(acme.resources)).toEqual([]);
  });

  it("refuse a role whose password is registered in plain text", () => {
    const plain = changed(named("org-acme-db-dev-runtime"), withInputs({ password: "hunter2" }));
    expect(offlineOnlyChecks(plain).map((v) => v.message)).toEqual(["org-acme-db-dev-runtime receives a password in plain text: pass it as a Pulumi secret."]);
  });

  it("refuse a provider whose credential is registered in plain text", () => {
    const plain = changed(named("org-acme-postgresql"), withInputs({ password: "hunter2" }));
    expect(offlineOnlyChecks(plain).map((v) => v.message)).toEqual(["org-acme-postgresql receives a password in plain text: pass it as a Pulumi secret."]);
    const token = changed(named("org-acme-cloudflare"), withInputs({ apiToken: "cf-token" }));
    expect(offlineOnlyChecks(token).map((v) => v.urn)).toEqual([acme.resources.find(named("org-acme-cloudflare"))!.urn]);
  });
});
