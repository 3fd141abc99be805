import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import { beforeAll, describe, expect, it } from "vitest";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { component, declared } from "../helpers/declared";
import { runOrg } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * The Workers and AWS rules of the pack, over the example org plus an edge built from the
 * providers' real resource classes: first a compliant edge, then one change per test.
 */

const ACCOUNT = "0123456789abcdef0123456789abcdef";
const SECRET_ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tn-acme/prod/runtime-AbCdEf";

type RouterBindings = cloudflare.WorkersScriptArgs["bindings"];

const router = (bindings: RouterBindings) => declared(cloudflare.WorkersScript, "org-acme-edge-router", {
  accountId: ACCOUNT, scriptName: "tn-acme-router", content: "export default {}", mainModule: "router.js", bindings,
});
const ROUTER_BINDINGS = [
  { name: "ORG_SLUG", type: "plain_text", text: "acme" },
  { name: "ORG_CONFIG", type: "json", json: JSON.stringify({ issuer: "https://auth.acme.com/", audience: "tenantry-apps", apps: [{ slug: "storefront", access: { minRole: "developer" } }] }) },
  { name: "IDENTITY_HMAC_KEY", type: "secrets_store_secret", storeId: "store-id", secretName: "tn-acme-identity-hmac" },
  { name: "DISPATCHER", type: "dispatch_namespace", namespace: "tn-acme", outbound: { worker: { service: "tn-acme-outbound" }, params: ["app"] } },
];
const outbound = declared(cloudflare.WorkersScript, "org-acme-edge-outbound", { accountId: ACCOUNT, scriptName: "tn-acme-outbound", content: "export default {}", mainModule: "outbound.js" });
const app = (bindings: { name: string; type: string; text?: string }[]) => component(COMPONENT_TYPES.tenantApp, "org-acme-app-storefront", { slug: "storefront", bindings });
const key = (args: aws.kms.KeyArgs) => declared(aws.kms.Key, "org-acme-secrets-key", { description: "tn-acme secrets", enableKeyRotation: true, deletionWindowInDays: 30, ...args });
const secret = (args: aws.secretsmanager.SecretArgs) => declared(aws.secretsmanager.Secret, "org-acme-secret-prod-runtime", { name: "tn-acme/prod/runtime", kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", recoveryWindowInDays: 30, ...args });
const readPolicy = (statement: object) => declared(aws.iam.Policy, "org-acme-outbound-read-secrets", {
  policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [SECRET_ARN], ...statement }] }),
});

const edge = (): RegisteredResource[] => [router(ROUTER_BINDINGS), outbound, app([{ name: "PUBLIC_BASE_URL", type: "plain_text", text: "https://shop.acme.com" }]), key({}), secret({}), readPolicy({})];

let program: readonly RegisteredResource[];
beforeAll(async () => {
  program = (await runOrg(validOrgInput())).resources;
});

/** The example org plus the edge with `replace` swapped in for the edge resource of the same name. */
async function messages(...replace: RegisteredResource[]): Promise<string[]> {
  const resources = edge().map((r) => replace.find((x) => x.name === r.name) ?? r);
  return (await runPolicies([...program, ...resources, ...replace.filter((x) => !resources.includes(x))])).map((v) => `${v.policy}: ${v.message}`);
}

describe("the Workers rules", () => {
  it("pass a router with config, a secrets-store key and an outbound Worker, and an app without secrets", async () => {
    expect(await messages()).toEqual([]);
  });

  it("refuse a plain_text binding named like a credential, or holding one", async () => {
    expect(await messages(router([...ROUTER_BINDINGS, { name: "UPSTREAM_API_TOKEN", type: "plain_text", text: "abc" }, { name: "REGION", type: "plain_text", text: "AKIAIOSFODNN7EXAMPLE" }]))).toEqual([
      "workers-no-credential-in-plain-binding: org-acme-edge-router: binding UPSTREAM_API_TOKEN is named like a credential: bind credentials as secrets_store_secret on the router or outbound Worker, never as plain_text/json.",
      "workers-no-credential-in-plain-binding: org-acme-edge-router: binding REGION holds an AWS access key id: bind credentials as secrets_store_secret on the router or outbound Worker, never as plain_text/json.",
    ]);
  });

  it("refuse a json binding with a credential-named key or a token value, however deep, without printing the value", async () => {
    const json = JSON.stringify({ upstream: { url: "https://api.acme.com", password: "hunter2" }, hooks: ["eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"] });
    const found = await messages(router([...ROUTER_BINDINGS, { name: "SETTINGS", type: "json", json }]));
    expect(found.map((m) => m.split(": bind")[0])).toEqual([
      "workers-no-credential-in-plain-binding: org-acme-edge-router: SETTINGS.upstream.password is named like a credential",
      "workers-no-credential-in-plain-binding: org-acme-edge-router: SETTINGS.hooks[0] holds a JSON Web Token",
    ]);
    expect(found.join("\n")).not.toContain("hunter2");
  });

  it("refuse a secret bound into a user Worker", async () => {
    expect(await messages(app([{ name: "STRIPE_KEY", type: "secret_text", text: "x" }]))).toEqual([
      "workers-user-worker-holds-no-secret: App org-acme-app-storefront binds secret_text STRIPE_KEY: list it under the org's secrets as a reference for the outbound Worker instead.",
    ]);
  });

  it("refuse a dispatch binding without an outbound Worker, or with one the stack does not declare", async () => {
    const withOutbound = (outboundWorker: object) => router(ROUTER_BINDINGS.map((b) => (b.type === "dispatch_namespace" ? { ...b, outbound: outboundWorker } : b)));
    expect(await messages(withOutbound({}))).toEqual([
      "workers-dispatch-has-outbound: org-acme-edge-router: dispatch_namespace binding DISPATCHER has no outbound Worker: set outbound.worker.service.",
    ]);
    expect(await messages(withOutbound({ worker: { service: "shared-outbound" } }))).toEqual([
      "workers-dispatch-has-outbound: org-acme-edge-router: outbound Worker shared-outbound of binding DISPATCHER is not declared in this stack: declare it here.",
    ]);
  });
});

describe("the AWS rules", () => {
  it("refuse a KMS key without rotation or with a short deletion window", async () => {
    expect(await messages(key({ enableKeyRotation: false, deletionWindowInDays: 3 }))).toEqual([
      "aws-kms-key-rotates: KMS key org-acme-secrets-key must set enableKeyRotation: true.",
      "aws-kms-key-rotates: KMS key org-acme-secrets-key needs deletionWindowInDays of at least 7.",
    ]);
  });

  it("refuse a secret under the AWS-managed key, or without a recovery window", async () => {
    expect(await messages(secret({ kmsKeyId: "alias/aws/secretsmanager", recoveryWindowInDays: 0 }))).toEqual([
      "aws-secret-customer-key-and-recovery: Secret org-acme-secret-prod-runtime must set kmsKeyId to the org's customer-managed KMS key.",
      "aws-secret-customer-key-and-recovery: Secret org-acme-secret-prod-runtime needs recoveryWindowInDays of at least 7 (0 deletes it at once).",
    ]);
    expect(await messages(declared(aws.secretsmanager.Secret, "org-acme-secret-prod-runtime", { name: "tn-acme/prod/runtime" }))).toEqual([
      "aws-secret-customer-key-and-recovery: Secret org-acme-secret-prod-runtime must set kmsKeyId to the org's customer-managed KMS key.",
    ]);
  });

  it("refuse an IAM policy with a wildcard action or resource, and an inline role policy too", async () => {
    expect(await messages(readPolicy({ Action: "secretsmanager:*", Resource: "*" }))).toEqual([
      "aws-iam-no-wildcards: IAM policy org-acme-outbound-read-secrets: statement 1 allows action secretsmanager:*: name the actions and the secret ARNs it needs.",
      "aws-iam-no-wildcards: IAM policy org-acme-outbound-read-secrets: statement 1 allows resource *: name the actions and the secret ARNs it needs.",
    ]);
    const inline = declared(aws.iam.RolePolicy, "org-acme-outbound-inline", { role: "tn-acme-outbound", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "*", Resource: SECRET_ARN }] }) });
    expect(await messages(inline)).toEqual([
      "aws-iam-no-wildcards: IAM policy org-acme-outbound-inline: statement 1 allows action *: name the actions and the secret ARNs it needs.",
    ]);
  });
});
