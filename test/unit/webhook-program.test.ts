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
