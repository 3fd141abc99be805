import { beforeAll, describe, expect, it } from "vitest";
import { Webhook } from "standardwebhooks";
import { standardWebhookSecret } from "../../components/edge-plan";
import { planSecrets } from "../../components/secret-plan";
import { standardWebhookKey } from "../../workers/lib/webhook-signature";
import { isSecretValue, type RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import type { ProgramRun } from "../../harness/run-program";
import { parseOrgSpec } from "../../spec/spec";
import { runOrg } from "../helpers/program";
import { scriptNamed, WEBHOOK_ORG } from "../helpers/webhook-org";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/*
 * Webhooks and integrations as the program declares them (property 19): the signing secret is
 * made platform-side and bound to the outbound Worker alone; integration secrets stay references
 * the router reads with the org's reader, whose policy names them.
 */

const ORG = WEBHOOK_ORG;

type Binding = { name: string; type: string; json?: string };
let run: ProgramRun;
beforeAll(async () => {
  run = await runOrg(ORG);
});

const script = (name: string): RegisteredResource => scriptNamed(run.resources, name);
const bindingNames = (name: string) => (script(name).inputs["bindings"] as Binding[]).map((b) => b.name);

describe("webhooks and integrations in the program", () => {
  it("binds the org's webhook signing secret to the outbound Worker only, from a secret store value", () => {
    expect(bindingNames("tn-acme-outbound")).toContain("WEBHOOK_SIGNING_KEY");
    expect(bindingNames("tn-acme-router")).not.toContain("WEBHOOK_SIGNING_KEY");
    const stored = run.resources.filter((r) => r.type === "cloudflare:index/secretsStoreSecret:SecretsStoreSecret" && r.inputs["name"] === "tn-acme-webhook_signing_key");
    expect(stored).toHaveLength(1);
    expect(isSecretValue(stored[0]?.inputs["value"])).toBe(true);
  });

  it("writes the signing secret in the whsec_ form that the standardwebhooks package and our signer both take", () => {
    const secret = standardWebhookSecret("Ab3".repeat(14) + "x");
    expect(standardWebhookKey(secret)).toHaveLength(43);
    expect(() => new Webhook(secret).sign("msg_1", new Date(), "{}")).not.toThrow();
  });

  it("declares no signing secret for an org without webhooks", async () => {
    const plain = await runOrg(validOrgInput());
    expect(plain.resources.filter((r) => r.name.includes("webhook"))).toEqual([]);
  });

  it("gives the router its integrations as references and the reader to resolve them, never a value", () => {
    const router = script("tn-acme-router");
    expect(bindingNames("tn-acme-router")).toEqual(expect.arrayContaining(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"]));
    const config = JSON.parse((router.inputs["bindings"] as Binding[]).find((b) => b.name === "ORG_CONFIG")?.json ?? "{}") as Record<string, unknown>;
    expect(config["integrations"]).toEqual([{ name: "stripe", app: "storefront", environment: "prod", path: "/stripe", scheme: "stripe", secret: { secretName: "acme/prod/stripe", key: "webhook_secret" } }]);
    const outbound = JSON.parse((script("tn-acme-outbound").inputs["bindings"] as Binding[]).find((b) => b.name === "SECRETS_CONFIG")?.json ?? "{}") as Record<string, unknown>;
    expect(outbound["webhooks"]).toEqual(ORG.webhooks);
  });

  it("puts an integration's secret among those the reader may read", () => {
    const names = planSecrets(parseOrgSpec({ ...ORG, secrets: [] }, { now: NOW })).map((s) => s.secretName);
    expect(names).toContain("acme/prod/stripe");
  });

  it("passes the policy pack", async () => {
    expect((await runPolicies(run.resources)).map((v) => v.message)).toEqual([]);
  });
});

describe("a rotation of the webhook signing secret in the program", () => {
  const rotating = { ...ORG, webhookSigning: { generation: 2, previousUntil: new Date(Date.now() + 7 * 24 * 3600 * 1000).toISOString() } };
  let rotated: ProgramRun;
  beforeAll(async () => {
    rotated = await runOrg(rotating);
  });
  const keysOf = (r: ProgramRun) => r.resources.filter((x) => x.type === "random:index/randomPassword:RandomPassword" && x.name.includes("webhook-key"));
  const storeNames = (r: ProgramRun) => r.resources.filter((x) => x.type === "cloudflare:index/secretsStoreSecret:SecretsStoreSecret" && String(x.inputs["name"]).startsWith("tn-acme-webhook")).map((x) => x.inputs["name"]).sort();
  const outboundBindings = (r: ProgramRun) => (scriptNamed(r.resources, "tn-acme-outbound").inputs["bindings"] as Binding[]).map((b) => b.name);

  it("keeps generation 1's key as it was declared before rotation existed (no keepers), so no stack's secret changes by upgrading", () => {
    expect(keysOf(run).map((k) => [k.name, k.inputs["keepers"]])).toEqual([["org-acme-edge-webhook-key", undefined]]);
  });

  it("during the overlap binds the new and the previous secret to the outbound Worker alone, and tells it until when", () => {
    expect(keysOf(rotated).map((k) => [k.name, k.inputs["keepers"]])).toEqual([["org-acme-edge-webhook-key", undefined], ["org-acme-edge-webhook-key-b", { generation: "2" }]]);
    expect(storeNames(rotated)).toEqual(["tn-acme-webhook_signing_key", "tn-acme-webhook_signing_key_previous"]);
    expect(outboundBindings(rotated)).toEqual(expect.arrayContaining(["WEBHOOK_SIGNING_KEY", "WEBHOOK_SIGNING_KEY_PREVIOUS"]));
    expect((scriptNamed(rotated.resources, "tn-acme-router").inputs["bindings"] as Binding[]).map((b) => b.name).filter((n) => n.startsWith("WEBHOOK"))).toEqual([]);
    const config = JSON.parse((scriptNamed(rotated.resources, "tn-acme-outbound").inputs["bindings"] as Binding[]).find((b) => b.name === "SECRETS_CONFIG")?.json ?? "{}") as Record<string, unknown>;
    expect(config["previousSigningKeyUntil"]).toBe(Date.parse(rotating.webhookSigning.previousUntil));
  });

  it("after the overlap binds only the new secret; the previous one leaves the store", async () => {
    const after = await runOrg({ ...ORG, webhookSigning: { generation: 2 } });
    expect(storeNames(after)).toEqual(["tn-acme-webhook_signing_key"]);
    expect(outboundBindings(after)).not.toContain("WEBHOOK_SIGNING_KEY_PREVIOUS");
  });

  it("gives the receivers' current secret only as a secret stack output, and none to an org without webhooks", async () => {
    expect(rotated.outputs["webhookSigningSecret"]).toBe("[secret]");
    expect(run.outputs["webhookSigningSecret"]).toBe("[secret]");
    expect((await runOrg(validOrgInput())).outputs).not.toHaveProperty("webhookSigningSecret");
  });

  it("passes the policy pack, and the pack refuses the previous secret bound to the router", async () => {
    expect((await runPolicies(rotated.resources)).map((v) => v.message)).toEqual([]);
    const router = scriptNamed(rotated.resources, "tn-acme-router");
    const leaked = { ...router, inputs: { ...router.inputs, bindings: [...(router.inputs["bindings"] as Binding[]), { name: "WEBHOOK_SIGNING_KEY_PREVIOUS", type: "secrets_store_secret", storeId: "s", secretName: "tn-acme-webhook_signing_key_previous" }] } };
    const violations = await runPolicies(rotated.resources.map((r) => (r === router ? leaked : r)));
    expect(violations.map((v) => v.message)).toEqual([expect.stringContaining("binds the org's webhook signing key: only tn-acme-outbound may hold it")]);
  });
});
