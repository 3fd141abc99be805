import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { SpecError } from "../../spec/spec-errors";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { runProgram } from "../../harness/run-program";
import { readStackFile } from "../../harness/stack-file";
import platform from "../../platform/program";
import { withPlatformConfig } from "../helpers/platform-config";

/* The platform stack: promotion gates as code, and the pack's GitHub rules over them. */

const STACK_FILE = join(__dirname, "..", "..", "platform", "Pulumi.platform.yaml");
const ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment";
const PROTECTION = "github:index/branchProtection:BranchProtection";
const STORE = "cloudflare:index/secretsStore:SecretsStore";
const ACCOUNT = "0123456789abcdef0123456789abcdef";

let resources: readonly RegisteredResource[];
let outputs: Readonly<Record<string, unknown>>;
beforeAll(async () => {
  ({ resources, outputs } = await runProgram(readStackFile(STACK_FILE), { program: platform }));
});

const changed = (name: string, patch: (inputs: Record<string, unknown>) => Record<string, unknown>) =>
  resources.map((r) => (r.name === name ? { ...r, inputs: patch({ ...r.inputs }) } : r));
const messages = async (rs: readonly RegisteredResource[]) => (await runPolicies(rs)).map((v) => `${v.policy}: ${v.message}`);

describe("the platform stack", () => {
  it("declares dev, test and prod environments and the protection of main", () => {
    expect(resources.filter((r) => r.type === ENVIRONMENT).map((r) => [r.inputs["environment"], r.inputs["preventSelfReview"], r.inputs["reviewers"]])).toEqual([
      ["preview", false, undefined],
      ["dev", false, undefined],
      ["test", true, [{ users: [1000001], teams: [] }]],
      ["prod", true, [{ users: [1000002, 1000003], teams: [2000001] }]],
    ]);
    const main = resources.find((r) => r.type === PROTECTION);
    expect(main?.inputs).toMatchObject({ pattern: "main", enforceAdmins: true, allowsForcePushes: false, requiredPullRequestReviews: [{ requiredApprovingReviewCount: 2, dismissStaleReviews: true, requireCodeOwnerReviews: true }] });
  });

  it("lets pull-request previews deploy from any branch, and dev, test and prod from the branches their custom policy names", () => {
    // GitHub's API: no policy (null) admits every branch; a policy sets exactly one of its two flags.
    expect(resources.filter((r) => r.type === ENVIRONMENT).map((r) => [r.inputs["environment"], r.inputs["deploymentBranchPolicy"]])).toEqual([
      ["preview", undefined],
      ["dev", { protectedBranches: false, customBranchPolicies: true }],
      ["test", { protectedBranches: false, customBranchPolicies: true }],
      ["prod", { protectedBranches: false, customBranchPolicies: true }],
    ]);
  });

  it("passes the policy pack", async () => {
    expect(await messages(resources)).toEqual([]);
  });

  it("is refused with one prod reviewer, self-review allowed, or admins bypassing", async () => {
    expect(await messages(changed("platform-promotion-prod", (i) => ({ ...i, reviewers: [{ users: [1000002], teams: [] }], preventSelfReview: false, canAdminsBypass: true })))).toEqual([
      "github-promotion-gates: Environment prod (platform-promotion-prod) needs at least 2 reviewer(s) (has 1).",
      "github-promotion-gates: Environment prod (platform-promotion-prod) must set preventSelfReview: true: an author never approves their own change.",
      "github-promotion-gates: Environment prod (platform-promotion-prod) must set canAdminsBypass: false.",
    ]);
  });

  it("is refused with a test environment nobody approves, deployable from any protected branch", async () => {
    expect(await messages(changed("platform-promotion-test", (i) => ({ ...i, reviewers: undefined, deploymentBranchPolicy: { protectedBranches: true, customBranchPolicies: false } })))).toEqual([
      "github-promotion-gates: Environment test (platform-promotion-test) needs at least 1 reviewer(s) (has 0).",
      "github-promotion-gates: Environment test (platform-promotion-test) must deploy from main only (deploymentBranchPolicy: customBranchPolicies true with a RepositoryEnvironmentDeploymentPolicy for main).",
    ]);
  });

  it("is refused when a gate is removed: the prod environment, its main-only policy, or main's protection", async () => {
    expect(await messages(resources.filter((r) => r.name !== "platform-promotion-prod" && r.name !== "platform-promotion-prod-main"))).toEqual([
      "github-promotion-gates-complete: The promotion gates have no prod environment: declare it with its reviewers.",
    ]);
    expect(await messages(resources.filter((r) => r.name !== "platform-promotion-test-main"))).toEqual([
      "github-promotion-gates-complete: Environment test has no deployment policy for main: declare a RepositoryEnvironmentDeploymentPolicy with branchPattern main.",
    ]);
    expect(await messages(resources.filter((r) => r.name !== "platform-promotion-main"))).toEqual([
      "github-promotion-gates-complete: The promotion gates do not protect main: declare its BranchProtection.",
    ]);
  });

  it("is refused whenever an environment's branch policy sets both flags or neither, as GitHub's API refuses it", async () => {
    const environments = ["platform-promotion-preview", "platform-promotion-dev", "platform-promotion-test", "platform-promotion-prod"];
    await fc.assert(fc.asyncProperty(fc.constantFrom(...environments), fc.boolean(), fc.boolean(), async (name, protectedBranches, customBranchPolicies) => {
      const environment = resources.find((r) => r.name === name)?.inputs["environment"];
      const refused = (await messages(changed(name, (i) => ({ ...i, deploymentBranchPolicy: { protectedBranches, customBranchPolicies } }))))
        .filter((m) => m.startsWith("github-deployment-branch-policy-valid:"));
      expect(refused).toEqual(protectedBranches === customBranchPolicies
        ? [`github-deployment-branch-policy-valid: Environment ${String(environment)} (${name}) sets protectedBranches ${protectedBranches} and customBranchPolicies ${customBranchPolicies}: GitHub takes exactly one of them true, or no deploymentBranchPolicy to admit every branch.`]
        : []);
    }), { numRuns: 40 });
  });

  it("is refused when main merges on one approval, or without a code owner's", async () => {
    expect(await messages(changed("platform-promotion-main", (i) => ({ ...i, requiredPullRequestReviews: [{ requiredApprovingReviewCount: 1, dismissStaleReviews: true }] })))).toEqual([
      "github-main-needs-two-approvals: Branch protection platform-promotion-main needs requiredApprovingReviewCount of at least 2.",
      "github-main-needs-two-approvals: Branch protection platform-promotion-main must require a code owner's review (.github/CODEOWNERS).",
    ]);
  });

  it("declares the Secrets Store of each listed Cloudflare account once, protected, retained and on its own Cloudflare provider, and exports its id", () => {
    const stores = resources.filter((r) => r.type === STORE);
    expect(stores.map((r) => [r.name, r.inputs["accountId"], r.inputs["name"], r.protect, r.retainOnDelete])).toEqual([
      [`platform-secrets-stores-${ACCOUNT}`, ACCOUNT, "tenantry", true, true],
    ]);
    // An explicit provider holding nothing but the SDK's version: a default one would read cloudflare:* keys of the stack file.
    const provider = resources.find((r) => stores[0]?.provider?.startsWith(`${r.urn}::`));
    expect([provider?.type, provider?.name, provider?.inputs]).toEqual(["pulumi:providers:cloudflare", "platform-secrets-stores-cloudflare", { version: expect.any(String) }]);
    expect(outputs["secretsStoreIds"]).toEqual({ [ACCOUNT]: `platform-secrets-stores-${ACCOUNT}-id` });
  });

  it("is refused with a second Secrets Store in one account, or an unprotected one", async () => {
    const [store] = resources.filter((r) => r.type === STORE);
    if (store === undefined) throw new Error("the platform stack declares no Secrets Store");
    const second = { ...store, name: "platform-secrets-stores-again", urn: store.urn.replace(/::[^:]+$/, "::platform-secrets-stores-again") };
    expect(await messages([...resources, second])).toEqual([
      `cloudflare-platform-secrets-stores: platform-secrets-stores-again is a second Secrets Store in Cloudflare account ${ACCOUNT}: Cloudflare allows one per account, and every org on it shares it.`,
    ]);
    expect(await messages(resources.map((r) => (r === store ? { ...r, protect: false } : r)))).toEqual([
      `cloudflare-platform-secrets-stores: ${store.name} must be protected (protect: true): deleting or replacing the store deletes the secrets of every org on account ${ACCOUNT}.`,
    ]);
  });

  it("is refused with a Secrets Store on a provider that holds a setting, or on one the platform's component did not declare", async () => {
    const [store] = resources.filter((r) => r.type === STORE);
    const provider = resources.find((r) => store?.provider?.startsWith(`${r.urn}::`));
    if (store === undefined || provider === undefined) throw new Error("the platform stack declares no Secrets Store on its own provider");
    expect(await messages(resources.map((r) => (r === provider ? { ...r, inputs: { ...r.inputs, baseUrl: "https://api.example.net/client/v4" } } : r)))).toEqual([
      `cloudflare-platform-secrets-stores: ${store.name} uses platform-secrets-stores-cloudflare, whose inputs hold baseUrl, which tenantry never sets on a cloudflare provider: remove it.`,
    ]);
    const stray = { ...provider, name: "platform-stray-cloudflare", urn: provider.urn.replace(/::[^:]+$/, "::platform-stray-cloudflare") };
    expect(await messages([...resources, stray].map((r) => (r === store ? { ...r, provider: `${stray.urn}::stray-id` } : r)))).toEqual([
      `cloudflare-platform-secrets-stores: ${store.name} must be declared by the platform's AccountSecretsStores component, on its own Cloudflare provider (it uses pulumi:providers:cloudflare::platform-stray-cloudflare).`,
    ]);
  });

  it("refuses a configuration that lists a Cloudflare account twice, before registering anything", async () => {
    const file = readStackFile(STACK_FILE);
    const outcome = await runProgram(withPlatformConfig(file, (p) => ({ ...p, cloudflareAccounts: [ACCOUNT, ACCOUNT] })), { program: platform }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(SpecError);
    expect((outcome as SpecError).problems.map((p) => p.message)).toEqual([
      `tenantry:platform.cloudflareAccounts[1] lists account ${ACCOUNT} again: Cloudflare allows one Secrets Store per account, so each account is listed once`,
    ]);
  });

  it("refuses a configuration with fewer than two prod reviewers before registering anything", async () => {
    const file = readStackFile(STACK_FILE);
    const outcome = await runProgram(withPlatformConfig(file, (p) => ({ ...p, prodReviewers: { users: [1000002] } })), { program: platform }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(SpecError);
    expect((outcome as SpecError).problems.map((p) => p.message)).toEqual(["tenantry:platform.prodReviewers must name at least 2 reviewers (users or teams)"]);
  });
});

describe("the platform stack's operator gateway", () => {
  const D1 = "cloudflare:index/d1Database:D1Database";
  const SCRIPT = "cloudflare:index/workersScript:WorkersScript";
  const gatewayScript = () => resources.find((r) => r.type === SCRIPT && r.inputs["scriptName"] === "tenantry-operator-gateway");

  it("declares the allowlist in D1, protected, retained and without read replicas, bound to the gateway Worker, routed, and exports its id", () => {
    const stores = resources.filter((r) => r.type === D1);
    expect(stores.map((r) => [r.inputs["name"], r.inputs["readReplication"], r.protect, r.retainOnDelete])).toEqual([["tenantry-operator-allowlist", { mode: "disabled" }, true, true]]);
    const bindings = gatewayScript()?.inputs["bindings"] as Record<string, unknown>[];
    expect(bindings.map((b) => [b["name"], b["type"]])).toEqual([["GATEWAY_CONFIG", "json"], ["ALLOWLIST", "d1"], ["IDENTITY_HMAC_KEY", "secrets_store_secret"], ["AUDIT", "service"]]);
    expect(JSON.parse(String(bindings[0]?.["json"]))).toMatchObject({ consoleOrigin: "https://console.internal.example", issuer: "https://operators.example/", audience: "tenantry-operator-console" });
    expect(resources.filter((r) => r.type === "cloudflare:index/workersRoute:WorkersRoute").map((r) => [r.inputs["pattern"], r.inputs["script"]])).toEqual([["ops.example.com/*", "tenantry-operator-gateway"]]);
    expect(outputs["operatorAllowlistDatabaseId"]).toEqual(expect.any(String));
    // The console verifies the identity headers with this key: exported, and only as a secret.
    expect(outputs["operatorIdentityKey"]).toBe("[secret]");
  });

  it("is refused when any other Worker binds a D1 database, whatever its binding name", async () => {
    const script = gatewayScript();
    if (script === undefined) throw new Error("the platform stack declares no gateway Worker");
    await fc.assert(fc.asyncProperty(fc.stringMatching(/^[a-z][a-z0-9-]{1,20}$/), fc.stringMatching(/^[A-Z][A-Z_]{0,10}$/), async (scriptName, binding) => {
      fc.pre(scriptName !== "tenantry-operator-gateway");
      const rogue = { ...script, name: "rogue", urn: script.urn.replace(/::[^:]+$/, "::rogue"), inputs: { ...script.inputs, scriptName, bindings: [{ name: binding, type: "d1", id: "platform-operator-gateway-allowlist-id" }] } };
      expect(await messages([...resources, rogue])).toContain(`cloudflare-operator-allowlist-private: rogue binds a D1 database (${binding}): only the operator gateway (tenantry-operator-gateway) may bind the operator allowlist.`);
    }), { numRuns: 10 });
  });

  it("is refused with an unprotected allowlist, or one with read replicas", async () => {
    const [store] = resources.filter((r) => r.type === D1);
    if (store === undefined) throw new Error("the platform stack declares no allowlist");
    expect(await messages(resources.map((r) => (r === store ? { ...r, protect: false } : r)))).toEqual([`cloudflare-operator-allowlist-private: ${store.name} must be protected (protect: true): it is the operator allowlist.`]);
    expect(await messages(changed(store.name, (inputs) => ({ ...inputs, readReplication: { mode: "auto" } })))).toEqual([`cloudflare-operator-allowlist-private: ${store.name} must set readReplication: { mode: "disabled" }: a replica can serve an entry after its revocation.`]);
  });

  it("binds the gateway's AUDIT to the audit sink Worker the config names, so every decision reaches it", () => {
    const bindings = gatewayScript()?.inputs["bindings"] as Record<string, unknown>[];
    expect(bindings.filter((b) => b["name"] === "AUDIT")).toEqual([{ name: "AUDIT", type: "service", service: "tenantry-audit-sink" }]);
  });

  it("is refused when the gateway drops its audit binding, binds it as anything but a service, or binds itself", async () => {
    const script = gatewayScript();
    if (script === undefined) throw new Error("the platform stack declares no gateway Worker");
    const withAudit = (audit: Record<string, unknown>[]) => changed(script.name, (inputs) => ({ ...inputs, bindings: [...(inputs["bindings"] as Record<string, unknown>[]).filter((b) => b["name"] !== "AUDIT"), ...audit] }));
    const missing = `cloudflare-operator-gateway-audited: ${script.name} must bind its audit sink as a service binding named AUDIT (tenantry:platform.operators.auditService).`;
    // Control: the stack as declared passes.
    expect(await messages(resources)).toEqual([]);
    expect(await messages(withAudit([]))).toEqual([missing]);
    await fc.assert(fc.asyncProperty(fc.constantFrom("plain_text", "json", "d1", "kv_namespace", "secret_text", "queue"), async (type) => {
      expect(await messages(withAudit([{ name: "AUDIT", type, text: "tenantry-audit-sink" }]))).toEqual([missing]);
    }), { numRuns: 6 });
    expect(await messages(withAudit([{ name: "AUDIT", type: "service", service: "tenantry-operator-gateway" }]))).toEqual([
      `cloudflare-operator-gateway-audited: ${script.name} binds AUDIT to "tenantry-operator-gateway": it must name another Worker, the platform's audit sink.`,
    ]);
  });

  it("refuses operators without an audit sink, or with the gateway as its own, before registering anything", async () => {
    const file = readStackFile(STACK_FILE);
    const declared = (JSON.parse(file.values["tenantry:platform"] ?? "{}") as { operators: Record<string, unknown> }).operators;
    const { auditService: _omitted, ...operators } = declared;
    for (const [value, message] of [
      [operators, "tenantry:platform.operators.auditService must name the Worker that receives the gateway's audit events"],
      [{ ...operators, auditService: "tenantry-operator-gateway" }, "tenantry:platform.operators.auditService must be another Worker than the gateway itself: the gateway cannot be its own audit sink"],
    ] as const) {
      const outcome = await runProgram(withPlatformConfig(file, (p) => ({ ...p, operators: value })), { program: platform }).catch((error: unknown) => error);
      expect(outcome).toBeInstanceOf(SpecError);
      expect((outcome as SpecError).problems.map((p) => p.message)).toEqual([message]);
    }
  });

  it("refuses operators on an account the platform stack does not list, before registering anything", async () => {
    const file = readStackFile(STACK_FILE);
    const moved = withPlatformConfig(file, (p) => ({ ...p, operators: { ...(p["operators"] as object), accountId: "f".repeat(32), consoleOrigin: "http://console.internal.example/path" } }));
    const outcome = await runProgram(moved, { program: platform }).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(SpecError);
    expect((outcome as SpecError).problems.map((p) => p.field).sort()).toEqual(["tenantry:platform.operators.accountId", "tenantry:platform.operators.consoleOrigin"]);
  });

  it("refuses a stack file without tenantry:platform, and names each setting still under the old tenantry-platform:* keys", async () => {
    const file = readStackFile(STACK_FILE);
    const { "tenantry:platform": platformObject = "{}", ...others } = file.values;
    const missing = await runProgram({ ...file, values: others }, { program: platform }).catch((error: unknown) => error);
    expect((missing as SpecError).problems.map((p) => p.field)).toEqual(["tenantry:platform"]);
    // The layout before the settings became one object: each key is named, none is ignored.
    const old = Object.fromEntries(Object.entries(JSON.parse(platformObject) as Record<string, unknown>).map(([key, value]) => [`tenantry-platform:${key}`, typeof value === "string" ? value : JSON.stringify(value)]));
    const legacy = await runProgram({ ...file, values: { ...others, ...old } }, { program: platform }).catch((error: unknown) => error);
    expect((legacy as SpecError).problems.map((p) => p.message)).toEqual(["repository", "testReviewers", "prodReviewers", "cloudflareAccounts", "operators"].map((key) => `tenantry-platform:${key} is now tenantry:platform.${key}: move it under the one tenantry:platform object`));
  });
});
