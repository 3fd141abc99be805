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
 * Webhooks and integrations as the program declares them (property 19): one signing secret per
 * environment with webhook endpoints (prod and dev here, none for test), made platform-side and
 * bound to the outbound Worker alone under its environment's name; integration secrets stay references
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
  it("binds one signing secret per webhook environment to the outbound Worker only, each from its own secret store value", () => {
    const outbound = script("tn-acme-outbound").inputs["bindings"] as (Binding & { secretName?: string })[];
    expect(outbound.filter((b) => b.name.startsWith("WEBHOOK")).map((b) => [b.name, b.secretName]))
      .toEqual([["WEBHOOK_SIGNING_KEY_DEV", "tn-acme-webhook_signing_key_dev"], ["WEBHOOK_SIGNING_KEY_PROD", "tn-acme-webhook_signing_key_prod"]]);
    expect(bindingNames("tn-acme-router").filter((n) => n.startsWith("WEBHOOK"))).toEqual([]);
    const stored = run.resources.filter((r) => r.type === "cloudflare:index/secretsStoreSecret:SecretsStoreSecret" && String(r.inputs["name"]).startsWith("tn-acme-webhook"));
    expect(stored.map((r) => r.inputs["name"])).toEqual(["tn-acme-webhook_signing_key_dev", "tn-acme-webhook_signing_key_prod"]);
    expect(stored.every((r) => isSecretValue(r.inputs["value"]))).toBe(true);
  });

  it("makes each environment's secret from a random key of its own", () => {
    const keys = run.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword" && r.name.includes("webhook-key"));
    expect(keys.map((k) => k.name)).toEqual(["org-acme-edge-webhook-key-dev", "org-acme-edge-webhook-key-prod"]);
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

  it("declares generation 1's key per environment without keepers", () => {
    expect(keysOf(run).map((k) => [k.name, k.inputs["keepers"]])).toEqual([["org-acme-edge-webhook-key-dev", undefined], ["org-acme-edge-webhook-key-prod", undefined]]);
  });

  it("during the overlap binds each environment's new and previous secret to the outbound Worker alone, and tells it until when", () => {
    expect(keysOf(rotated).map((k) => [k.name, k.inputs["keepers"]]).sort()).toEqual([
      ["org-acme-edge-webhook-key-b-dev", { generation: "2" }], ["org-acme-edge-webhook-key-b-prod", { generation: "2" }],
      ["org-acme-edge-webhook-key-dev", undefined], ["org-acme-edge-webhook-key-prod", undefined],
    ]);
    expect(storeNames(rotated)).toEqual(["tn-acme-webhook_signing_key_dev", "tn-acme-webhook_signing_key_dev_previous", "tn-acme-webhook_signing_key_prod", "tn-acme-webhook_signing_key_prod_previous"]);
    expect(outboundBindings(rotated)).toEqual(expect.arrayContaining(["WEBHOOK_SIGNING_KEY_PROD", "WEBHOOK_SIGNING_KEY_PROD_PREVIOUS", "WEBHOOK_SIGNING_KEY_DEV", "WEBHOOK_SIGNING_KEY_DEV_PREVIOUS"]));
    expect((scriptNamed(rotated.resources, "tn-acme-router").inputs["bindings"] as Binding[]).map((b) => b.name).filter((n) => n.startsWith("WEBHOOK"))).toEqual([]);
    const config = JSON.parse((scriptNamed(rotated.resources, "tn-acme-outbound").inputs["bindings"] as Binding[]).find((b) => b.name === "SECRETS_CONFIG")?.json ?? "{}") as Record<string, unknown>;
    expect(config["previousSigningKeyUntil"]).toBe(Date.parse(rotating.webhookSigning.previousUntil));
  });

  it("after the overlap binds only the new secret; the previous one leaves the store", async () => {
    const after = await runOrg({ ...ORG, webhookSigning: { generation: 2 } });
    expect(storeNames(after)).toEqual(["tn-acme-webhook_signing_key_dev", "tn-acme-webhook_signing_key_prod"]);
    expect(outboundBindings(after).filter((n) => n.endsWith("_PREVIOUS"))).toEqual([]);
  });

  it("gives the receivers' current secrets only as one secret stack output, webhookSigningSecrets, and none to an org without webhooks", async () => {
    expect(rotated.outputs["webhookSigningSecrets"]).toBe("[secret]");
    expect(run.outputs["webhookSigningSecrets"]).toBe("[secret]");
    expect(run.outputs).not.toHaveProperty("webhookSigningSecret");
    expect((await runOrg(validOrgInput())).outputs).not.toHaveProperty("webhookSigningSecrets");
  });

  it("passes the policy pack, and the pack refuses the previous secret bound to the router", async () => {
    expect((await runPolicies(rotated.resources)).map((v) => v.message)).toEqual([]);
    const router = scriptNamed(rotated.resources, "tn-acme-router");
    const leaked = { ...router, inputs: { ...router.inputs, bindings: [...(router.inputs["bindings"] as Binding[]), { name: "WEBHOOK_SIGNING_KEY_PROD_PREVIOUS", type: "secrets_store_secret", storeId: "s", secretName: "tn-acme-webhook_signing_key_prod_previous" }] } };
    const violations = await runPolicies(rotated.resources.map((r) => (r === router ? leaked : r)));
    expect(violations.map((v) => v.message)).toEqual([expect.stringContaining("binds the org's webhook signing key: only tn-acme-outbound may hold it")]);
  });
});
