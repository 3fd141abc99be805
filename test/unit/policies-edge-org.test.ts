import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { resourcesOfPackage } from "../../components/provider-plan";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { TENANTRY_POLICIES } from "../../policies/all";
import { declared } from "../helpers/declared";
import { runOrg } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";
import { rulesRefusing, urnsRefusedBy, withInputs } from "../helpers/verdicts";

/*
 * An attacker's pass on the explicit providers (issue 12, item 4) kept every resource on the
 * org's own providers and moved it by its own inputs instead: an AWS resource's `region` (every
 * resource has one in pulumi-aws 7), a secret's `replicas`, a Worker in another Cloudflare account
 * named after another org, a secret named after another org. Each gave no violation. Now every
 * AWS resource stays in the org's region, every secret is one the program would give the org, and
 * every Cloudflare resource is in the org's account under a name the program gives the org.
 */

const REGION_RULE = "aws-resources-stay-in-org-region";
const SECRET_NAMES_RULE = "aws-secret-names-of-org";
const CLOUDFLARE_RULE = "cloudflare-resources-match-org";
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const KMS_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

let acme: ProgramRun;
beforeAll(async () => {
  acme = await runOrg(validOrgInput());
});

const named = (name: string) => acme.resources.find((r) => r.name === name)!;

const FINDINGS: [string, () => RegisteredResource, string[]][] = [
  ["the org's KMS key moved to us-east-1", () => withInputs(named("org-acme-secrets-key"), { region: "us-east-1" }), [REGION_RULE]],
  ["the org's prod secret moved to us-east-1", () => withInputs(named("org-acme-secrets-prod-db"), { region: "us-east-1" }), [REGION_RULE]],
  ["a new secret in us-east-1", () => declared(aws.secretsmanager.Secret, "org-acme-secrets-prod-copy", {
    name: "acme/prod/copy", kmsKeyId: KMS_ARN, recoveryWindowInDays: 30, region: "us-east-1",
  }), [REGION_RULE, SECRET_NAMES_RULE]],
  ["the org's prod secret replicated to us-east-1", () => withInputs(named("org-acme-secrets-prod-db"), { replicas: [{ region: "us-east-1" }] }), [REGION_RULE]],
  ["a router named tn-globex-router in another account", () => declared(cloudflare.WorkersScript, "org-acme-edge-globex-router", {
    accountId: "fedcba9876543210fedcba9876543210", scriptName: "tn-globex-router", content: "export default {}", mainModule: "router.mjs",
  }), [CLOUDFLARE_RULE]],
  ["a secret named globex/prod/db", () => declared(aws.secretsmanager.Secret, "org-acme-secrets-globex", {
    name: "globex/prod/db", kmsKeyId: KMS_ARN, recoveryWindowInDays: 30,
  }), [SECRET_NAMES_RULE]],
];

describe("the edge findings of the attacker's pass", () => {
  it.each(FINDINGS)("refuses %s", async (_finding, resource, rules) => {
    expect((await rulesRefusing(acme.resources, resource())).sort()).toEqual([...rules].sort());
  });

  it("control: without the new rules the rest of the pack accepts every one of them, as the pass found", async () => {
    const others = TENANTRY_POLICIES.filter((p) => ![REGION_RULE, SECRET_NAMES_RULE, CLOUDFLARE_RULE].includes(p.name));
    for (const [, resource] of FINDINGS) expect(await rulesRefusing(acme.resources, resource(), others)).toEqual([]);
  });

  it("says what is not the org's", async () => {
    const messages = async (rule: string, resource: RegisteredResource) =>
      (await runPolicies([...acme.resources.filter((r) => r.urn !== resource.urn), resource], TENANTRY_POLICIES.filter((p) => p.name === rule))).map((v) => v.message);
    const [, , copy, replicated, router, globex] = FINDINGS.map(([, resource]) => resource());
    expect(await messages(REGION_RULE, copy!)).toEqual(["org-acme-secrets-prod-copy sets region us-east-1: every AWS resource of org acme is in its edge.awsRegion eu-west-1 (leave region unset)."]);
    expect(await messages(REGION_RULE, replicated!)).toEqual(["org-acme-secrets-prod-db replicates to other regions (replicas): a secret of org acme stays in eu-west-1."]);
    expect(await messages(SECRET_NAMES_RULE, globex!)).toEqual([
      "Secret org-acme-secrets-globex is named globex/prod/db, which the program does not give org acme (acme/dev/db, acme/test/db, acme/prod/db).",
    ]);
    expect(await messages(CLOUDFLARE_RULE, router!)).toEqual([
      "org-acme-edge-globex-router is in Cloudflare account fedcba9876543210fedcba9876543210: org acme's edge is in its edge.accountId 0123456789abcdef0123456789abcdef.",
      "org-acme-edge-globex-router is named tn-globex-router: a WorkersScript of org acme is named tn-acme-router or tn-acme-outbound.",
    ]);
  });
});

const awsResources = () => resourcesOfPackage(acme.resources, "aws");
const cloudflareResources = () => resourcesOfPackage(acme.resources, "cloudflare");
const region = fc.tuple(fc.constantFrom("eu", "us", "ap", "ca"), fc.constantFrom("west", "east", "central", "south"), fc.integer({ min: 1, max: 3 })).map(([a, d, n]) => `${a}-${d}-${n}`);

describe("AWS resources", () => {
  it("are refused with a region of their own, any but the org's; the org's own, or none, is accepted", async () => {
    await fc.assert(fc.asyncProperty(fc.nat({ max: 100 }), fc.oneof(region, fc.constant("EU-WEST-1")), async (i, r) => {
      const resource = withInputs(awsResources()[i % awsResources().length]!, { region: r });
      expect(await urnsRefusedBy(REGION_RULE, acme.resources, resource)).toEqual(r === "eu-west-1" ? [] : [resource.urn]);
    }), { numRuns: 150 });
  });

  it("hold no secret that replicates anywhere", async () => {
    const replicas = fc.array(fc.record({ region, kmsKeyId: fc.constantFrom(undefined, KMS_ARN) }, { requiredKeys: ["region"] }), { minLength: 1, maxLength: 3 });
    const secrets = () => acme.resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret");
    await fc.assert(fc.asyncProperty(fc.nat({ max: 2 }), replicas, async (i, list) => {
      const secret = withInputs(secrets()[i]!, { replicas: list });
      expect(await urnsRefusedBy(REGION_RULE, acme.resources, secret)).toEqual([secret.urn]);
    }), { numRuns: 60 });
    expect(await urnsRefusedBy(REGION_RULE, acme.resources, withInputs(secrets()[0]!, { replicas: [] }))).toEqual([]);
  });

  it("name a secret only as the program would for the org: its environments' database secrets and the secrets its references name", async () => {
    const planned = ["acme/dev/db", "acme/test/db", "acme/prod/db"];
    const name = fc.oneof(
      fc.tuple(fc.constantFrom("acme", "globex", "acme-dev", "ACME", "tn-acme"), fc.constantFrom("dev", "test", "prod", "staging"), fc.constantFrom("db", "stripe", "db/extra", "")).map((parts) => parts.join("/")),
      fc.string({ maxLength: 30 }),
    );
    await fc.assert(fc.asyncProperty(name, async (secretName) => {
      const secret = declared(aws.secretsmanager.Secret, "org-acme-secrets-generated", { name: secretName, kmsKeyId: KMS_ARN, recoveryWindowInDays: 30 });
      expect(await urnsRefusedBy(SECRET_NAMES_RULE, acme.resources, secret)).toEqual(planned.includes(secretName) ? [] : [secret.urn]);
    }), { numRuns: 200 });
  });

  it("name the secrets a stack's references add, for any org", async () => {
    const org = { ...validOrgInput(), secrets: [{ name: "STRIPE_API_KEY", scope: "prod", ref: "aws-secretsmanager:acme/prod/stripe#api_key" }] };
    const run = await runOrg(org);
    expect(run.resources.filter((r) => r.type === "aws:secretsmanager/secret:Secret").map((r) => r.inputs["name"])).toContain("acme/prod/stripe");
    expect(await urnsRefusedBy(SECRET_NAMES_RULE, run.resources)).toEqual([]);
  });
});

describe("Cloudflare resources", () => {
  it("are refused in any account but the org's", async () => {
    const account = fc.stringMatching(/^[0-9a-f]{32}$/).filter((a) => a !== ACCOUNT);
    await fc.assert(fc.asyncProperty(fc.nat({ max: 100 }), fc.oneof(account, fc.constantFrom("", ACCOUNT.toUpperCase())), async (i, accountId) => {
      const resource = withInputs(cloudflareResources()[i % cloudflareResources().length]!, { accountId });
      expect(await urnsRefusedBy(CLOUDFLARE_RULE, acme.resources, resource)).toEqual([resource.urn]);
    }), { numRuns: 100 });
  });

  it("are refused under any name the program does not give the org, another org's and a longer slug's look-alike included", async () => {
    const nameOf: Record<string, string> = {
      "cloudflare:index/workersScript:WorkersScript": "scriptName",
      "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace": "name",
      "cloudflare:index/secretsStoreSecret:SecretsStoreSecret": "name",
    };
    const own = new Set(cloudflareResources().map((r) => r.inputs[nameOf[r.type]!]));
    const name = fc.oneof(
      fc.tuple(fc.constantFrom("tn-acme", "tn-globex", "tn-acme-dev", "tn-acm", "acme"), fc.constantFrom("", "-router", "-outbound", "-secrets", "-identity_hmac_key", "-x")).map(([a, b]) => a + b),
      fc.stringMatching(/^[a-z0-9_-]{1,30}$/),
    ).filter((n) => !own.has(n));
    await fc.assert(fc.asyncProperty(fc.nat({ max: 100 }), name, async (i, newName) => {
      const original = cloudflareResources()[i % cloudflareResources().length]!;
      const resource = withInputs(original, { [nameOf[original.type]!]: newName });
      expect(await urnsRefusedBy(CLOUDFLARE_RULE, acme.resources, resource)).toEqual([resource.urn]);
    }), { numRuns: 200 });
  });

  it("are refused when a binding names another org's namespace, Worker or store secret", async () => {
    const router = named("org-acme-edge-router");
    const bindings = router.inputs["bindings"] as Record<string, unknown>[];
    const changes: Record<string, unknown>[][] = [
      bindings.map((b) => (b["type"] === "dispatch_namespace" ? { ...b, namespace: "tn-globex" } : b)),
      bindings.map((b) => (b["type"] === "dispatch_namespace" ? { ...b, outbound: { worker: { service: "tn-globex-outbound" } } } : b)),
      bindings.map((b) => (b["type"] === "secrets_store_secret" ? { ...b, secretName: "tn-globex-identity_hmac_key" } : b)),
      [...bindings, { name: "GLOBEX", type: "service", service: "tn-globex-outbound" }],
    ];
    for (const changed of changes) {
      const resource = withInputs(router, { bindings: changed });
      expect(await urnsRefusedBy(CLOUDFLARE_RULE, acme.resources, resource)).toEqual([resource.urn]);
    }
  });

  it("accept the example org as the program declares it", async () => {
    expect(await urnsRefusedBy(CLOUDFLARE_RULE, acme.resources)).toEqual([]);
  });
});
