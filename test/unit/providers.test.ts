import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { resourcesOfPackage } from "../../components/provider-plan";
import { isSecretValue } from "../../harness/recording-monitor";
import { runProgram, type ProgramRun } from "../../harness/run-program";
import { runOrg } from "../helpers/program";
import { providerOf, providerSettings, providersOfPackage } from "../helpers/providers";
import { stackConfigFor, validOrgInput } from "../helpers/spec-builder";

/*
 * The org's explicit providers, as the real program registers them under the mock monitor.
 * Every claim is made over every registered resource of a package, never a hand-picked one.
 */

let acme: ProgramRun;
beforeAll(async () => {
  acme = await runOrg(validOrgInput());
});

/** The example org under another slug, tier and AWS region (secret references follow the slug). */
function orgIn(slug: string, tier: string, awsRegion: string): Record<string, unknown> {
  const org = validOrgInput();
  return {
    ...org,
    slug,
    tier,
    secrets: [{ name: "DATABASE_URL", scope: "prod", ref: `aws-secretsmanager:${slug}/prod/db#url` }],
    edge: { ...(org["edge"] as Record<string, unknown>), awsRegion },
  };
}

describe("the org's AWS provider", () => {
  it("is one explicit provider, named after the org component, in the org's edge.awsRegion, tagging the org and tier", () => {
    const [provider, ...others] = providersOfPackage(acme, "aws");
    expect(others).toEqual([]);
    expect(provider!.name).toBe("org-acme-aws");
    expect(providerSettings(provider!)).toMatchObject({
      region: "eu-west-1",
      defaultTags: { tags: { "tenantry:org": "acme", "tenantry:tier": "production" } },
      skipRegionValidation: "false",
    });
  });

  it("manages every AWS resource of the org; none is left to a default provider", () => {
    const awsResources = resourcesOfPackage(acme.resources, "aws");
    expect(awsResources.length).toBeGreaterThanOrEqual(7);
    for (const resource of awsResources) expect([resource.name, providerOf(acme, resource).name]).toEqual([resource.name, "org-acme-aws"]);
  });

  it("puts every AWS resource of any org in that org's region, with that org's tags", async () => {
    const slug = fc.stringMatching(/^[a-z][a-z0-9]{1,10}(-[a-z0-9]{1,6})?$/);
    const region = fc.tuple(fc.constantFrom("eu", "us", "ap", "ca", "me", "sa"), fc.constantFrom("west", "east", "central", "south", "northeast"), fc.integer({ min: 1, max: 9 }))
      .map(([area, direction, n]) => `${area}-${direction}-${n}`);
    await fc.assert(fc.asyncProperty(slug, fc.constantFrom("production", "sandbox"), region, async (org, tier, awsRegion) => {
      const run = await runOrg(orgIn(org, tier, awsRegion), `org-${org}`);
      const awsResources = resourcesOfPackage(run.resources, "aws");
      expect(awsResources.length).toBeGreaterThan(0);
      for (const resource of awsResources) {
        const provider = providerOf(run, resource);
        expect(provider.name).toBe(`org-${org}-aws`);
        expect(providerSettings(provider)).toMatchObject({ region: awsRegion, defaultTags: { tags: { "tenantry:org": org, "tenantry:tier": tier } } });
      }
    }), { numRuns: 12 });
  });

  it("is not declared for an org without an edge, so no AWS provider takes its region from the environment", async () => {
    const { edge: _edge, ...withoutEdge } = validOrgInput();
    const run = await runOrg({ ...withoutEdge, apps: [], secrets: [] });
    expect([providersOfPackage(run, "aws"), resourcesOfPackage(run.resources, "aws")]).toEqual([[], []]);
    expect([providersOfPackage(run, "cloudflare"), resourcesOfPackage(run.resources, "cloudflare")]).toEqual([[], []]);
  });
});

describe("the org's Postgres provider", () => {
  it("is one explicit provider built from the validated postgresql:* settings, never a superuser", () => {
    const [provider, ...others] = providersOfPackage(acme, "postgresql");
    expect(others).toEqual([]);
    expect(provider!.name).toBe("org-acme-postgresql");
    expect(providerSettings(provider!)).toMatchObject({
      host: "pg.tenants.internal", port: "5432", username: "tenantry", database: "postgres", sslmode: "require", superuser: "false",
    });
  });

  it("manages every Postgres resource of the org", () => {
    const postgresResources = resourcesOfPackage(acme.resources, "postgresql");
    expect(postgresResources.length).toBeGreaterThan(50);
    const providers = new Set(postgresResources.map((r) => providerOf(acme, r).name));
    expect([...providers]).toEqual(["org-acme-postgresql"]);
  });

  it("gets the stack's password as a Pulumi secret, and none without one (the plugin then reads PGPASSWORD)", async () => {
    const config = stackConfigFor(validOrgInput(), { "postgresql:password": "from-the-stack-config" }, ["postgresql:password"]);
    const withPassword = providersOfPackage(await runProgram(config), "postgresql")[0]!;
    expect(isSecretValue(withPassword.inputs["password"])).toBe(true);
    expect(providerSettings(withPassword)["password"]).toBe("from-the-stack-config");
    expect(providersOfPackage(acme, "postgresql")[0]!.inputs).not.toHaveProperty("password");
  });
});

describe("the org's Cloudflare provider", () => {
  it("is one explicit provider holding no credential (the API token comes from the deploy environment)", () => {
    const [provider, ...others] = providersOfPackage(acme, "cloudflare");
    expect(others).toEqual([]);
    expect(provider!.name).toBe("org-acme-cloudflare");
    expect(Object.keys(provider!.inputs)).toEqual(["version"]);
  });

  it("manages every Cloudflare resource of the org, each naming the org's account", () => {
    const cloudflareResources = resourcesOfPackage(acme.resources, "cloudflare");
    expect(cloudflareResources.length).toBeGreaterThanOrEqual(5);
    for (const resource of cloudflareResources) {
      expect([resource.name, providerOf(acme, resource).name, resource.inputs["accountId"]]).toEqual([resource.name, "org-acme-cloudflare", "0123456789abcdef0123456789abcdef"]);
    }
  });
});

describe("default providers", () => {
  it("remain only for random and the dynamic SqlMigration, whose providers read no configuration", () => {
    const onDefault = acme.resources.filter((r) => r.provider !== undefined && providerOf(acme, r).name.startsWith("default"));
    expect(new Set(onDefault.map((r) => r.type.split(":")[0]))).toEqual(new Set(["random", "pulumi-nodejs"]));
  });
});
