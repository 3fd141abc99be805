import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { ORG_PROVIDER_PACKAGES, orgProviderName, providerType, resourcesOfPackage, type OrgProviderPackage } from "../../components/provider-plan";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { TENANTRY_POLICIES } from "../../policies/all";
import { runOrg } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";
import { withInputs } from "../helpers/verdicts";

/*
 * An attacker's pass on the explicit providers (issue 12, item 4) changed the org's own
 * providers' settings, which the pack read only a few of: the AWS provider assuming a role in
 * another account, or with an endpoint override; the Postgres provider reaching another host as
 * `postgres`; the Cloudflare provider with another API base URL. Each gave no violation. A
 * provider's inputs may now hold only the keys tenantry sets, each with the org's value.
 */

const RULE: Record<OrgProviderPackage, string> = { aws: "aws-org-provider", postgresql: "postgres-org-provider", cloudflare: "cloudflare-org-provider" };
/** What tenantry sets on each provider (components/provider-plan.ts), what the SDK adds itself, and the engine's `version`. */
const SET_BY_TENANTRY: Record<OrgProviderPackage, readonly string[]> = {
  aws: ["region", "defaultTags", "skipRegionValidation", "skipCredentialsValidation", "version"],
  postgresql: ["host", "port", "username", "database", "sslmode", "superuser", "maxConnections", "password", "connectTimeout", "version"],
  cloudflare: ["version"],
};

let acme: ProgramRun;
beforeAll(async () => {
  acme = await runOrg(validOrgInput());
});

const orgProvider = (pkg: OrgProviderPackage) => acme.resources.find((r) => r.type === providerType(pkg) && r.name === orgProviderName("org-acme", pkg))!;
/** The URNs `pkg`'s provider rule refuses with the org's own provider's inputs changed by `patch`. */
async function refusedWith(pkg: OrgProviderPackage, patch: Record<string, unknown>): Promise<Set<string>> {
  const own = orgProvider(pkg);
  const resources = acme.resources.map((r) => (r.urn === own.urn ? withInputs(r, patch) : r));
  const violations = await runPolicies(resources, TENANTRY_POLICIES.filter((p) => p.name === RULE[pkg]));
  return new Set(violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.urn ?? ""));
}
const everyResourceOf = (pkg: OrgProviderPackage) => new Set(resourcesOfPackage(acme.resources, pkg).map((r) => r.urn));

const FINDINGS: [string, OrgProviderPackage, Record<string, unknown>][] = [
  ["the AWS provider assuming a role in another account", "aws", { assumeRoles: JSON.stringify([{ roleArn: "arn:aws:iam::999999999999:role/elsewhere" }]) }],
  ["the AWS provider with an endpoint override", "aws", { endpoints: JSON.stringify([{ secretsmanager: "https://secrets.evil.example" }]) }],
  ["the Postgres provider reaching another host as postgres", "postgresql", { host: "evil.example", username: "postgres" }],
  ["the Cloudflare provider with another API base URL", "cloudflare", { baseUrl: "https://api.evil.example/client/v4" }],
];

describe("the provider findings of the attacker's pass", () => {
  it.each(FINDINGS)("refuses every resource on %s", async (_finding, pkg, patch) => {
    expect(await refusedWith(pkg, patch)).toEqual(everyResourceOf(pkg));
  });

  it("says which setting is not the org's", async () => {
    const own = orgProvider("postgresql");
    const resources = acme.resources.map((r) => (r.urn === own.urn ? withInputs(r, { host: "evil.example", username: "postgres" }) : r));
    const messages = (await runPolicies(resources, TENANTRY_POLICIES.filter((p) => p.name === RULE.postgresql))).map((v) => v.message);
    expect(messages[0]).toBe("org-acme-db-owner uses org-acme-postgresql, whose host is evil.example: it must be the stack's postgresql:host pg.tenants.internal.");
    expect(messages[1]).toBe("org-acme-db-owner uses org-acme-postgresql, whose username is postgres: it must be the stack's postgresql:username tenantry.");
  });
});

/** Every input the package's SDK can send for its provider, read from the SDK itself. */
function sdkProviderInputs(pkg: OrgProviderPackage): string[] {
  const source = readFileSync(join(__dirname, "..", "..", "node_modules", "@pulumi", pkg, "provider.js"), "utf8");
  return [...new Set([...source.matchAll(/resourceInputs\["(\w+)"\]/g)].map((match) => match[1]!))];
}

const anyValue = fc.oneof(fc.string(), fc.boolean(), fc.integer(), fc.constantFrom("true", "false", "", "0", "{}", "[]"));

describe("an org provider's settings", () => {
  it("accept the program's own, for every package", async () => {
    for (const pkg of ORG_PROVIDER_PACKAGES) expect([pkg, await refusedWith(pkg, {})]).toEqual([pkg, new Set()]);
  });

  it("refuse any input of the SDK's that tenantry does not set, whatever its value", async () => {
    const foreignInput = fc.constantFrom(...ORG_PROVIDER_PACKAGES).chain((pkg) => fc.record({
      pkg: fc.constant(pkg),
      key: fc.constantFrom(...sdkProviderInputs(pkg).filter((key) => !SET_BY_TENANTRY[pkg].includes(key))),
      value: anyValue,
    }));
    expect(sdkProviderInputs("aws").length).toBeGreaterThan(20);
    await fc.assert(fc.asyncProperty(foreignInput, async ({ pkg, key, value }) => {
      expect(await refusedWith(pkg, { [key]: value })).toEqual(everyResourceOf(pkg));
    }), { numRuns: 200 });
  });

  it("refuse any input the SDK does not even know", async () => {
    const unknownKey = fc.stringMatching(/^[a-z][a-zA-Z]{0,15}$/).filter((key) => ORG_PROVIDER_PACKAGES.every((pkg) => !SET_BY_TENANTRY[pkg].includes(key)));
    await fc.assert(fc.asyncProperty(fc.constantFrom(...ORG_PROVIDER_PACKAGES), unknownKey, anyValue, async (pkg, key, value) => {
      expect(await refusedWith(pkg, { [key]: value })).toEqual(everyResourceOf(pkg));
    }), { numRuns: 60 });
  });

  it("refuse each input tenantry sets when it holds anything but the org's value", async () => {
    const changes = fc.oneof(
      fc.record({ pkg: fc.constant("postgresql" as const), patch: fc.oneof(
        fc.constantFrom("pg.other.internal", "PG.TENANTS.INTERNAL", "").map((host) => ({ host })),
        fc.constantFrom("5433", 6432, "").map((port) => ({ port })),
        fc.constantFrom("postgres", "tn_acme_owner", "rdsadmin").map((username) => ({ username })),
        fc.constantFrom("tn_globex", "template1").map((database) => ({ database })),
        fc.constantFrom("verify-full", "prefer", "disable").map((sslmode) => ({ sslmode })),
        fc.constantFrom("true", true, 1).map((superuser) => ({ superuser })),
        fc.constantFrom("0", -1, "soon").map((connectTimeout) => ({ connectTimeout })),
        // Absent is the upstream default pool of 20, and 0 or -1 is unlimited (postgresql/provider.go).
        fc.constantFrom(undefined, "20", 20, "0", "-1", "1", "3", "two").map((maxConnections) => ({ maxConnections })),
      ) }),
      fc.record({ pkg: fc.constant("aws" as const), patch: fc.oneof(
        fc.constantFrom("us-east-1", "EU-WEST-1", "").map((region) => ({ region })),
        fc.constantFrom("true", true).map((skipRegionValidation) => ({ skipRegionValidation })),
        fc.constantFrom("true", true).map((skipCredentialsValidation) => ({ skipCredentialsValidation })),
        fc.constantFrom(
          JSON.stringify({ tags: { "tenantry:org": "globex", "tenantry:tier": "production" } }),
          JSON.stringify({ tags: { "tenantry:org": "acme", "tenantry:tier": "production", owner: "someone-else" } }),
          JSON.stringify({ tags: { "tenantry:org": "acme", "tenantry:tier": "production" }, extra: true }),
          undefined,
        ).map((defaultTags) => ({ defaultTags })),
      ) }),
    );
    await fc.assert(fc.asyncProperty(changes, async ({ pkg, patch }) => {
      expect(await refusedWith(pkg, patch)).toEqual(everyResourceOf(pkg));
    }), { numRuns: 120 });
  });

  it("refuse the org's Postgres provider without maxConnections: its pool per database would be the upstream default of 20", async () => {
    const own = orgProvider("postgresql");
    const { maxConnections: _pool, ...unbounded } = own.inputs;
    const resources = acme.resources.map((r) => (r.urn === own.urn ? { ...r, inputs: unbounded } : r));
    const violations = await runPolicies(resources, TENANTRY_POLICIES.filter((p) => p.name === RULE.postgresql));
    expect(new Set(violations.map((v) => v.urn))).toEqual(everyResourceOf("postgresql"));
    expect(violations[0]?.message).toBe("org-acme-db-owner uses org-acme-postgresql, whose maxConnections is undefined: it must be 2, the provider's pool the connection budget reserves (spec/connection-budget.ts).");
  });

  it("accept the values the SDK may send in either form: text or number, text or boolean, JSON text or object", async () => {
    expect(await refusedWith("postgresql", { port: 5432, superuser: false, connectTimeout: 30, maxConnections: 2 })).toEqual(new Set());
    expect(await refusedWith("aws", { skipRegionValidation: false, defaultTags: { tags: { "tenantry:org": "acme", "tenantry:tier": "production" } } })).toEqual(new Set());
  });
});

describe("the provider rules, as before", () => {
  it("still refuse resources on any provider that is not the org's own", async () => {
    const foreign: RegisteredResource = { ...orgProvider("aws"), urn: "urn:pulumi:org-acme::tenantry::pulumi:providers:aws::default_7_48_0", name: "default_7_48_0", inputs: { region: "eu-west-1" } };
    const [first] = resourcesOfPackage(acme.resources, "aws");
    const resources = [...acme.resources.map((r) => (r.urn === first!.urn ? { ...r, provider: `${foreign.urn}::id` } : r)), foreign];
    const violations = await runPolicies(resources, TENANTRY_POLICIES.filter((p) => p.name === RULE.aws));
    expect(violations.map((v) => v.urn)).toEqual([first!.urn]);
  });
});
