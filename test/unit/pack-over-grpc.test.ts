import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgProviderName, providerType, resourcesOfPackage } from "../../components/provider-plan";
import { providerReference } from "../../harness/provider-reference";
import type { RegisteredResource } from "../../harness/recording-monitor";
import type { ProgramRun } from "../../harness/run-program";
import { TENANTRY_POLICIES } from "../../policies/all";
import { runBuiltOrg, runBuiltPolicies, servePack, type ServedPack } from "../helpers/served-pack";
import { keyedOrgInput } from "../helpers/keyed-org";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * `tenantry check` runs the pack in-process; `pulumi preview --policy-pack` serves it over gRPC
 * and sends each resource with its provider. The same resources, sent both ways, must meet the
 * same verdicts: otherwise the offline harness would not see providers as the engine shows them.
 * The program and both packs run from the build in dist/, as the CLI and `tenantry check` do.
 */

const STACK_POLICIES = new Set(TENANTRY_POLICIES.filter((p) => "validateStack" in p).map((p) => p.name));

let pack: ServedPack;
let acme: ProgramRun;
beforeAll(async () => {
  [pack, acme] = await Promise.all([servePack(), runBuiltOrg(validOrgInput())]);
});
afterAll(() => pack?.close());

/** Stack-policy verdicts of the in-process harness, in the served pack's shape (its server puts the description first). */
async function inProcess(resources: readonly RegisteredResource[]) {
  return (await runBuiltPolicies(resources)).filter((v) => STACK_POLICIES.has(v.policy))
    .map(({ policy, urn, description, message }) => ({ policy, urn: urn ?? "", message: `${description}\n${message}` }));
}

function onProvider(pkg: "aws" | "postgresql" | "cloudflare", provider: RegisteredResource): RegisteredResource[] {
  const moved = new Set(resourcesOfPackage(acme.resources, pkg).slice(0, 2).map((r) => r.urn));
  return [...acme.resources.map((r) => (moved.has(r.urn) ? { ...r, provider: providerReference(provider.urn, `${provider.name}-id`) } : r)), provider];
}

const providerRecord = (pkg: string, name: string, inputs: Record<string, unknown>, urn = `urn:pulumi:org-acme::tenantry::${providerType(pkg)}::${name}`): RegisteredResource =>
  ({ urn, type: providerType(pkg), name, custom: true, parent: undefined, inputs, protect: false, retainOnDelete: false, dependsOn: [] });

describe("the pack served over gRPC, as pulumi preview --policy-pack calls it", () => {
  it("accepts the example org, every resource on its own providers, as the in-process pack does", async () => {
    expect(await pack.analyzeStack(acme.resources)).toEqual([]);
    expect(await inProcess(acme.resources)).toEqual([]);
  });

  const cases: [string, () => RegisteredResource[]][] = [
    ["AWS resources on the engine's default provider", () => onProvider("aws", providerRecord("aws", "default_7_48_0", { region: "eu-west-1", version: "7.48.0" }))],
    ["AWS resources on another org's provider", () => onProvider("aws", providerRecord("aws", orgProviderName("org-globex", "aws"), { region: "eu-west-1", defaultTags: JSON.stringify({ tags: { "tenantry:org": "globex", "tenantry:tier": "production" } }) }))],
    ["the org's AWS provider in another region", () => acme.resources.map((r) => (r.name === "org-acme-aws" ? { ...r, inputs: { ...r.inputs, region: "us-east-1" } } : r))],
    ["Postgres resources on the engine's default provider", () => onProvider("postgresql", providerRecord("postgresql", "default_3_18_1", { host: "pg.elsewhere.example", version: "3.18.1" }))],
    ["the org's Postgres provider as a superuser", () => acme.resources.map((r) => (r.name === "org-acme-postgresql" ? { ...r, inputs: { ...r.inputs, superuser: "true" } } : r))],
    ["Cloudflare resources on the engine's default provider", () => onProvider("cloudflare", providerRecord("cloudflare", "default_6_22_1", { version: "6.22.1" }))],
  ];

  it("accepts an org with API key slots, whose router binds its key store, and refuses the same router without the store among its dependencies (cloudflare-api-key-store-bound reads the engine's dependencies)", async () => {
    const keyed = await runBuiltOrg(keyedOrgInput());
    expect(await pack.analyzeStack(keyed.resources)).toEqual([]);
    const store = keyed.resources.find((r) => r.type === "cloudflare:index/d1Database:D1Database");
    expect(store).toBeDefined();
    const detached = keyed.resources.map((r) => (r.inputs["scriptName"] === "tn-acme-router" ? { ...r, dependsOn: r.dependsOn.filter((urn) => urn !== store?.urn) } : r));
    const served = await pack.analyzeStack(detached);
    expect(served.map((v) => v.policy)).toEqual(["cloudflare-api-key-store-bound"]);
    expect(await inProcess(detached)).toEqual(served);
  });

  it("judges by the provider the engine sends: without it, every Postgres, AWS and Cloudflare resource is refused (control)", async () => {
    const unresolved = acme.resources.map(({ provider: _provider, ...rest }) => rest);
    const served = await pack.analyzeStack(unresolved);
    const orgResources = ["postgresql", "aws", "cloudflare"].flatMap((pkg) => resourcesOfPackage(acme.resources, pkg));
    expect(new Set(served.map((v) => v.urn))).toEqual(new Set(orgResources.map((r) => r.urn)));
    expect(served.every((v) => v.message.endsWith(", but has none."))).toBe(true);
  });

  it.each(cases)("refuses %s with the same verdicts as the in-process pack", async (_what, resources) => {
    const served = await pack.analyzeStack(resources());
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((v) => /-org-provider$/.test(v.policy))).toBe(true);
    expect(await inProcess(resources())).toEqual(served);
  });
});
