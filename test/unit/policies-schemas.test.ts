import * as postgresql from "@pulumi/postgresql";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { TENANTRY_POLICIES } from "../../policies/all";
import { declared } from "../helpers/declared";
import { runOrg } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";
import { rulesRefusing, urnsRefusedBy, withInputs } from "../helpers/verdicts";

/*
 * An attacker's pass on the grant allowlist (issue 12, item 6) gave PUBLIC and another org's
 * role CREATE and USAGE through a Schema's `policies` input, which the grant allowlist never
 * read; an owner is a grant it never read either. Every Database and Schema is now one the
 * program gives the org, owned by its designed owner, with no policies.
 */

const RULE = "postgres-databases-and-schemas-match-org";
const ROLES = ["public", "PUBLIC", "tenantry", "postgres", "tn_acme_owner", "tn_acme_audit", "tn_acme_dev_runtime", "tn_acme_dev_ddl", "tn_acme_prod_runtime",
  "tn_acme_prod_ddl", "tn_acme_dev_owner", "tn_globex_prod_runtime", "tn_globex_owner"];

let acme: ProgramRun;
beforeAll(async () => {
  acme = await runOrg(validOrgInput());
});

const named = (name: string) => acme.resources.find((r) => r.name === name)!;
const schemas = () => acme.resources.filter((r) => r.type === "postgresql:index/schema:Schema");

const FINDINGS: [string, () => RegisteredResource][] = [
  ["web_prod with policies giving CREATE and USAGE to PUBLIC", () => withInputs(named("org-acme-prod-web"), { policies: [{ role: "public", create: true, usage: true }] })],
  ["a new schema whose policies give USAGE to another org's role", () => declared(postgresql.Schema, "org-acme-shop-prod", {
    name: "shop_prod", database: "tn_acme", owner: "tn_acme_prod_ddl", policies: [{ role: "tn_globex_prod_runtime", usage: true }],
  })],
];

describe("the Schema findings of the attacker's pass", () => {
  it.each(FINDINGS)("refuses %s, by one rule", async (_finding, resource) => {
    expect(await rulesRefusing(acme.resources, resource())).toEqual([RULE]);
  });

  it("says what is wrong with each", async () => {
    const rule = TENANTRY_POLICIES.filter((p) => p.name === RULE);
    expect((await runPolicies([...acme.resources.filter((r) => r.name !== "org-acme-prod-web"), ...FINDINGS.map(([, r]) => r())], rule)).map((v) => v.message)).toEqual([
      "Schema org-acme-prod-web (web_prod) sets policies, which grant privileges on it: a schema's privileges are Grants, judged by postgres-grants-match-allowed-shapes.",
      "Schema org-acme-shop-prod (shop_prod) is none of org acme's schemas (web_dev, billing_dev, web_test, billing_test, web_prod, billing_prod, audit).",
      "Schema org-acme-shop-prod (shop_prod) sets policies, which grant privileges on it: a schema's privileges are Grants, judged by postgres-grants-match-allowed-shapes.",
    ]);
  });

  it("control: without the rule the rest of the pack accepts both, as the pass found", async () => {
    const others = TENANTRY_POLICIES.filter((policy) => policy.name !== RULE);
    for (const [, resource] of FINDINGS) expect(await rulesRefusing(acme.resources, resource(), others)).toEqual([]);
  });
});

describe("Schemas", () => {
  it("are refused with any policies list, whoever it names and whatever it gives", async () => {
    const policy = fc.record({ role: fc.constantFrom(...ROLES), create: fc.boolean(), usage: fc.boolean(), createWithGrant: fc.boolean(), usageWithGrant: fc.boolean() }, { requiredKeys: ["role"] });
    await fc.assert(fc.asyncProperty(fc.nat({ max: 6 }), fc.array(policy, { minLength: 1, maxLength: 3 }), async (i, policies) => {
      const schema = withInputs(schemas()[i]!, { policies });
      expect(await urnsRefusedBy(RULE, acme.resources, schema)).toEqual([schema.urn]);
    }), { numRuns: 150 });
  });

  it("are accepted only with the owner the design gives each: its environment's DDL role, the audit owner for the ledger", async () => {
    expect(schemas().map((s) => [s.inputs["name"], s.inputs["owner"]])).toContainEqual(["audit", "tn_acme_audit"]);
    expect(schemas().filter((s) => s.inputs["name"] === "web_dev").map((s) => s.inputs["owner"])).toEqual(["tn_acme_dev_ddl"]);
    await fc.assert(fc.asyncProperty(fc.nat({ max: 6 }), fc.constantFrom(...ROLES), async (i, owner) => {
      const schema = schemas()[i]!;
      expect(await urnsRefusedBy(RULE, acme.resources, withInputs(schema, { owner }))).toEqual(owner === schema.inputs["owner"] ? [] : [schema.urn]);
    }), { numRuns: 150 });
  });

  it("are refused under a name the org does not have, or in another database", async () => {
    const own = ["web_dev", "web_test", "web_prod", "billing_dev", "billing_test", "billing_prod", "audit"];
    const name = fc.oneof(fc.constantFrom("shop_prod", "web_staging", "web", "public", "audit_guard", "tn_acme_prod_ddl"), fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/))
      .filter((n) => !own.includes(n));
    await fc.assert(fc.asyncProperty(name, async (schemaName) => {
      const schema = declared(postgresql.Schema, "org-acme-generated-schema", { name: schemaName, database: "tn_acme", owner: "tn_acme_prod_ddl" });
      expect(await urnsRefusedBy(RULE, acme.resources, schema)).toEqual([schema.urn]);
    }), { numRuns: 100 });
    const elsewhere = withInputs(named("org-acme-prod-web"), { database: "tn_globex" });
    expect(await urnsRefusedBy(RULE, acme.resources, elsewhere)).toEqual([elsewhere.urn]);
  });
});

describe("the database", () => {
  it("is refused when owned by anyone but the org owner", async () => {
    const database = named("org-acme-db-database");
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ROLES), async (owner) => {
      expect(await urnsRefusedBy(RULE, acme.resources, withInputs(database, { owner }))).toEqual(owner === "tn_acme_owner" ? [] : [database.urn]);
    }), { numRuns: 40 });
  });

  it("is the only one an org stack declares", async () => {
    const other = declared(postgresql.Database, "org-acme-second-db", { name: "tn_acme_shadow", owner: "tn_acme_owner" });
    expect(await urnsRefusedBy(RULE, acme.resources, other)).toEqual([other.urn]);
  });
});
