import * as aws from "@pulumi/aws";
import * as cloudflare from "@pulumi/cloudflare";
import { beforeAll, describe, expect, it } from "vitest";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { TENANTRY_POLICIES } from "../../policies/all";
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
  { name: "IDENTITY_HMAC_KEY", type: "secrets_store_secret", storeId: "store-id", secretName: "tn-acme-identity_hmac_key" },
  { name: "DISPATCHER", type: "dispatch_namespace", namespace: "tn-acme", outbound: { worker: { service: "tn-acme-outbound" }, params: ["app"] } },
];
const outbound = declared(cloudflare.WorkersScript, "org-acme-edge-outbound", { accountId: ACCOUNT, scriptName: "tn-acme-outbound", content: "export default {}", mainModule: "outbound.js" });
const app = (bindings: { name: string; type: string; text?: string }[]) => component(COMPONENT_TYPES.tenantApp, "org-acme-app-storefront", { slug: "storefront", bindings });
const key = (args: aws.kms.KeyArgs) => declared(aws.kms.Key, "org-acme-secrets-key", { description: "tn-acme secrets", enableKeyRotation: true, deletionWindowInDays: 30, ...args });
const secret = (args: aws.secretsmanager.SecretArgs) => declared(aws.secretsmanager.Secret, "org-acme-secret-prod-runtime", { name: "acme/prod/db", kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab", recoveryWindowInDays: 30, ...args });
const readPolicy = (statement: object) => declared(aws.iam.Policy, "org-acme-outbound-read-secrets", {
  policy: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: [SECRET_ARN], ...statement }] }),
});

const edge = (): RegisteredResource[] => [router(ROUTER_BINDINGS), outbound, app([{ name: "PUBLIC_BASE_URL", type: "plain_text", text: "https://shop.acme.com" }]), key({}), secret({}), readPolicy({})];

/**
 * The pack without its type allowlist: these rules also judge AWS types the program does not
 * declare (iam.Policy, iam.Role, ...), as a second line behind stack-resource-types-allowed,
 * which refuses those types in an org stack (policies-resource-types.test.ts).
 */
const RULES = TENANTRY_POLICIES.filter((p) => p.name !== "stack-resource-types-allowed");

let program: readonly RegisteredResource[];
beforeAll(async () => {
  program = (await runOrg(validOrgInput())).resources;
});

/** The example org plus the edge with `replace` swapped in for the edge resource of the same name. */
async function messages(...replace: RegisteredResource[]): Promise<string[]> {
  const resources = edge().map((r) => replace.find((x) => x.name === r.name) ?? r);
  return (await runPolicies([...program, ...resources, ...replace.filter((x) => !resources.includes(x))], RULES)).map((v) => `${v.policy}: ${v.message}`);
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
      "cloudflare-resources-match-org: org-acme-edge-router names shared-outbound as binding DISPATCHER's outbound Worker: org acme's are tn-acme-router or tn-acme-outbound.",
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
      "aws-secret-customer-key-and-recovery: Secret org-acme-secret-prod-runtime needs recoveryWindowInDays of at least 7 (0 deletes it at once).",
      "aws-secret-customer-key-and-recovery: Secret org-acme-secret-prod-runtime must set kmsKeyId to the org's customer-managed KMS key.",
    ]);
    expect(await messages(declared(aws.secretsmanager.Secret, "org-acme-secret-prod-runtime", { name: "acme/prod/db" }))).toEqual([
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

describe("the Workers and AWS rules during a preview, and their messages", () => {
  /** The value Pulumi's wire format uses for "unknown during preview". */
  const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
  const levels = async (...replace: RegisteredResource[]) => {
    const resources = edge().map((r) => replace.find((x) => x.name === r.name) ?? r);
    return (await runPolicies([...program, ...resources, ...replace.filter((x) => !resources.includes(x))], RULES)).map((v) => `${v.enforcementLevel} ${v.policy}`);
  };

  it("refuse a credential-named binding whose value is unknown, and one unknown binding hides no other", async () => {
    expect(await levels(router([...ROUTER_BINDINGS, { name: "DB_PASSWORD", type: "plain_text", text: UNKNOWN }, { name: "OTHER_TOKEN", type: "plain_text", text: "abc" }]))).toEqual([
      "mandatory workers-no-credential-in-plain-binding", "mandatory workers-no-credential-in-plain-binding",
    ]);
  });

  it("judge a secret's recovery window while its key ARN is still unknown", async () => {
    expect(await levels(secret({ kmsKeyId: UNKNOWN, recoveryWindowInDays: 0 }))).toEqual(["mandatory aws-secret-customer-key-and-recovery"]);
  });

  it("judge an IAM policy object whose resource ARN is unknown by its actions, and skip a wholly unknown one with an advisory", async () => {
    const objectPolicy = (action: string) => declared(aws.iam.Policy, "org-acme-outbound-read-secrets", { policy: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: [action], Resource: [UNKNOWN] }] } as never });
    expect(await levels(objectPolicy("secretsmanager:GetSecretValue"))).toEqual([]);
    expect(await levels(objectPolicy("*"))).toEqual(["mandatory aws-iam-no-wildcards"]);
    expect(await levels(declared(aws.iam.Policy, "org-acme-outbound-read-secrets", { policy: UNKNOWN }))).toEqual(["advisory aws-iam-no-wildcards"]);
  });

  it("refuse wildcards in a role's inline policies and an attached AWS-managed policy", async () => {
    const role = declared(aws.iam.Role, "org-acme-outbound-role", {
      assumeRolePolicy: "{}",
      inlinePolicies: [{ name: "read", policy: JSON.stringify({ Statement: [{ Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:tn-*" }] }) }],
    });
    const attachment = declared(aws.iam.RolePolicyAttachment, "org-acme-outbound-admin", { role: "tn-acme-outbound", policyArn: "arn:aws:iam::aws:policy/AdministratorAccess" });
    expect(await messages(role, attachment)).toEqual([
      "aws-iam-no-wildcards: IAM policy org-acme-outbound-role: statement 1 allows resource arn:aws:secretsmanager:eu-west-1:123456789012:secret:tn-*: name the actions and the secret ARNs it needs.",
      "aws-iam-no-wildcards: org-acme-outbound-admin attaches the AWS-managed policy arn:aws:iam::aws:policy/AdministratorAccess: write a policy naming the org's own actions and ARNs.",
    ]);
  });

  it("pass public JSON Web Keys in a json binding, refuse a private one, and never print a key that is itself a token", async () => {
    const jwk = { kty: "EC", crv: "P-256", x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU", y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0" };
    expect(await messages(router([...ROUTER_BINDINGS, { name: "IDENTITY_KEYS", type: "json", json: JSON.stringify({ keys: [jwk] }) }]))).toEqual([]);
    const found = await messages(router([...ROUTER_BINDINGS, { name: "IDENTITY_KEYS", type: "json", json: JSON.stringify({ keys: [{ ...jwk, d: "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI" }] }) }]));
    expect(found.map((m) => m.split(": bind")[0])).toEqual(["workers-no-credential-in-plain-binding: org-acme-edge-router: IDENTITY_KEYS.keys[0] holds a private key"]);
    const token = "ghp_0123456789abcdefghijABCDEFGHIJ";
    const leaky = await messages(router([...ROUTER_BINDINGS, { name: "PARTNERS", type: "json", json: JSON.stringify({ partners: { [token]: { secret: "x" } } }) }]));
    expect(leaky).toHaveLength(1);
    expect(leaky[0]).toContain("PARTNERS.partners.[key].secret is named like a credential");
    expect(leaky.join("\n")).not.toContain(token);
  });
});
