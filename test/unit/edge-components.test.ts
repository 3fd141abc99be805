import { beforeAll, describe, expect, it } from "vitest";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import { isSecretValue, type RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { bundleSource } from "../../workers/build";
import { runOrg } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * The org's edge as the program declares it (DispatchNamespace, SecretBindings, TenantApp),
 * and the policy pack's Workers and AWS rules biting on one-change variants of it.
 */

const T = {
  namespace: "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace",
  script: "cloudflare:index/workersScript:WorkersScript",
  storeSecret: "cloudflare:index/secretsStoreSecret:SecretsStoreSecret",
  key: "aws:kms/key:Key",
  secret: "aws:secretsmanager/secret:Secret",
  version: "aws:secretsmanager/secretVersion:SecretVersion",
  userPolicy: "aws:iam/userPolicy:UserPolicy",
} as const;

let acme: ProgramRun;
beforeAll(async () => {
  acme = await runOrg(validOrgInput());
});

const ofType = (type: string) => acme.resources.filter((r) => r.type === type);
const named = (name: string) => {
  const found = acme.resources.find((r) => r.name === name);
  if (found === undefined) throw new Error(`no resource ${name}`);
  return found;
};
type Binding = { name: string; type: string; json?: string; text?: string; outbound?: { worker?: { service?: string } } };
const bindings = (r: RegisteredResource) => r.inputs["bindings"] as Binding[];

describe("the org's edge", () => {
  it("is one dispatch namespace, a router, an outbound Worker and one TenantApp per app", () => {
    expect(ofType(T.namespace).map((r) => r.inputs["name"])).toEqual(["tn-acme"]);
    expect(ofType(T.script).map((r) => r.inputs["scriptName"]).sort()).toEqual(["tn-acme-outbound", "tn-acme-router"]);
    expect(ofType(COMPONENT_TYPES.tenantApp).map((r) => [r.inputs["slug"], r.inputs["scripts"]])).toEqual([
      ["storefront", ["storefront-dev", "storefront-test", "storefront-prod"]],
      ["finance-console", ["finance-console-dev", "finance-console-test", "finance-console-prod"]],
    ]);
  });

  it("uploads the built bundles, the code the workerd tests run, as ES modules", () => {
    for (const [name, bundle, main] of [["org-acme-edge-router", "dispatch", "dispatch.mjs"], ["org-acme-edge-outbound", "outbound", "outbound.mjs"]] as const) {
      const script = named(name);
      expect([script.inputs["mainModule"], script.inputs["content"]]).toEqual([main, bundleSource(bundle)]);
      expect(String(script.inputs["content"])).toMatch(/^export \{|\nexport \{/m);
    }
  });

  it("keeps its keys in the account's Secrets Store its spec names, and declares no store", () => {
    expect(ofType("cloudflare:index/secretsStore:SecretsStore")).toEqual([]);
    expect(ofType(T.storeSecret).map((r) => r.inputs["storeId"])).toEqual(Array(3).fill("fedcba9876543210fedcba9876543210"));
  });

  it("binds the namespace to the router with the outbound Worker in the path, and keys only from the Secrets Store", () => {
    const router = bindings(named("org-acme-edge-router"));
    expect(router.map((b) => [b.name, b.type])).toEqual([
      ["ORG_CONFIG", "json"], ["DISPATCHER", "dispatch_namespace"], ["IDENTITY_HMAC_KEY", "secrets_store_secret"], ["RATE_LIMITER", "ratelimit"],
    ]);
    expect(router.find((b) => b.name === "DISPATCHER")?.outbound?.worker?.service).toBe("tn-acme-outbound");
    const config = JSON.parse(String(router[0]?.json)) as Record<string, unknown>;
    expect(config).toMatchObject({ org: "acme", environments: ["dev", "test", "prod"], operator: { issuer: "https://operator.tenantry.example/" } });
    expect(bindings(named("org-acme-edge-outbound")).map((b) => [b.name, b.type])).toEqual([
      ["SECRETS_CONFIG", "json"], ["IDENTITY_HMAC_KEY", "secrets_store_secret"], ["AWS_ACCESS_KEY_ID", "secrets_store_secret"], ["AWS_SECRET_ACCESS_KEY", "secrets_store_secret"],
    ]);
    for (const secret of ofType(T.storeSecret)) expect(isSecretValue(secret.inputs["value"]), secret.name).toBe(true);
  });

  it("keeps secrets under a rotated customer key, database logins as secret values, and lets the outbound identity read exactly them", () => {
    expect(ofType(T.key).map((k) => [k.name, k.inputs["enableKeyRotation"], k.inputs["deletionWindowInDays"]])).toEqual([["org-acme-secrets-key", true, 30]]);
    // The mocks give every AWS resource the ARN arn:aws:<service>:mock-region:123456789012:<kind>/<name>.
    const arnOf = (service: string, kind: string, name: string) => `arn:aws:${service}:mock-region:123456789012:${kind}/${name}`;
    const keyArn = arnOf("kms", "key", "org-acme-secrets-key");
    const secrets = ofType(T.secret);
    expect(secrets.map((s) => s.inputs["name"])).toEqual(["acme/dev/db", "acme/test/db", "acme/prod/db"]);
    for (const secret of secrets) expect([secret.inputs["kmsKeyId"], secret.inputs["recoveryWindowInDays"]]).toEqual([keyArn, 30]);
    expect(ofType(T.version).every((v) => isSecretValue(v.inputs["secretString"]))).toBe(true);
    const policy = JSON.parse(String(ofType(T.userPolicy)[0]?.inputs["policy"])) as { Statement: { Action: string[]; Resource: string[] }[] };
    expect(policy.Statement.map((s) => [s.Action, s.Resource])).toEqual([
      [["secretsmanager:GetSecretValue"], secrets.map((s) => arnOf("secretsmanager", "secret", s.name))],
      [["kms:Decrypt"], [keyArn]],
    ]);
  });

  it("is not declared for an org without apps or secrets", async () => {
    const { edge: _edge, ...withoutEdge } = validOrgInput();
    const run = await runOrg({ ...withoutEdge, apps: [], secrets: [] });
    expect(run.resources.filter((r) => r.type.startsWith("cloudflare:") || r.type.startsWith("aws:"))).toEqual([]);
  });
});

describe("the pack's Workers and AWS rules bite on the program's own resources", () => {
  const messages = async (name: string, change: (inputs: Record<string, unknown>) => Record<string, unknown>) => {
    const resources = acme.resources.map((r) => (r.name === name ? { ...r, inputs: change({ ...r.inputs }) } : r));
    return (await runPolicies(resources)).map((v) => v.policy);
  };

  it("passes the program as declared", async () => {
    expect(await runPolicies(acme.resources)).toEqual([]);
  });

  it("refuses a credential bound in plain text into the router", async () => {
    expect(await messages("org-acme-edge-router", (i) => ({ ...i, bindings: [...(i["bindings"] as Binding[]), { name: "UPSTREAM_TOKEN", type: "plain_text", text: "x" }] })))
      .toEqual(["workers-no-credential-in-plain-binding"]);
  });

  it("refuses a secret bound into an app, and a dispatch binding without its outbound Worker", async () => {
    expect(await messages("org-acme-edge-app-storefront", (i) => ({ ...i, bindings: [{ name: "STRIPE", type: "secret_text", text: "x" }] })))
      .toEqual(["workers-user-worker-holds-no-secret"]);
    expect(await messages("org-acme-edge-router", (i) => ({ ...i, bindings: (i["bindings"] as Binding[]).map((b) => (b.type === "dispatch_namespace" ? { ...b, outbound: undefined } : b)) })))
      .toEqual(["workers-dispatch-has-outbound"]);
  });

  it("refuses a secret without the org key, a key without rotation, and a wildcard in the reader's policy", async () => {
    expect(await messages("org-acme-secrets-prod-db", (i) => ({ ...i, kmsKeyId: undefined }))).toEqual(["aws-secret-customer-key-and-recovery"]);
    expect(await messages("org-acme-secrets-key", (i) => ({ ...i, enableKeyRotation: false }))).toEqual(["aws-kms-key-rotates"]);
    expect(await messages("org-acme-secrets-reader-policy", (i) => ({ ...i, policy: String(i["policy"]).replace('"secretsmanager:GetSecretValue"', '"secretsmanager:*"') })))
      .toEqual(["aws-iam-no-wildcards"]);
  });
});
