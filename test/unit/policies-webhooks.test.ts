import { beforeAll, describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../harness/recording-monitor";
import type { ProgramRun } from "../../harness/run-program";
import { runOrg } from "../helpers/program";
import { scriptNamed, WEBHOOK_ORG } from "../helpers/webhook-org";
import { urnsRefusedBy, withInputs } from "../helpers/verdicts";

/*
 * workers-webhooks-stay-in-org, as the stack-file author (or a program change) that would move
 * the signing key into another Worker, paste a secret value into the router's configuration, or
 * point a delivery at a private host. Each change is refused; the program's own output is not.
 */

const RULE = "workers-webhooks-stay-in-org";
const ORG = WEBHOOK_ORG;

type Binding = Record<string, unknown> & { name: string; json?: string };
let run: ProgramRun;
beforeAll(async () => {
  run = await runOrg(ORG);
});

const script = (name: string): RegisteredResource => scriptNamed(run.resources, name);
const bindings = (r: RegisteredResource) => r.inputs["bindings"] as Binding[];

/** `resource` with its json binding `name` changed by `edit`. */
function withJson(resource: RegisteredResource, name: string, edit: (config: Record<string, unknown>) => void): RegisteredResource {
  return withInputs(resource, {
    bindings: bindings(resource).map((b) => {
      if (b.name !== name) return b;
      const config = JSON.parse(b.json ?? "{}") as Record<string, unknown>;
      edit(config);
      return { ...b, json: JSON.stringify(config) };
    }),
  });
}

describe(RULE, () => {
  it("passes the program's own webhooks and integrations", async () => {
    expect(await urnsRefusedBy(RULE, run.resources)).toEqual([]);
  });

  it("refuses any environment's signing key bound to the router, under its name, another name or the old per-org name", async () => {
    const router = script("tn-acme-router");
    for (const name of ["WEBHOOK_SIGNING_KEY_PROD", "WEBHOOK_SIGNING_KEY_DEV"]) {
      const key = bindings(script("tn-acme-outbound")).find((b) => b.name === name);
      expect(await urnsRefusedBy(RULE, run.resources, withInputs(router, { bindings: [...bindings(router), key] })), name).toEqual([router.urn]);
      expect(await urnsRefusedBy(RULE, run.resources, withInputs(router, { bindings: [...bindings(router), { ...key, name: "HOOK_KEY" }] })), name).toEqual([router.urn]);
    }
    const legacy = { name: "WEBHOOK_SIGNING_KEY", type: "secrets_store_secret", storeId: "s", secretName: "tn-acme-webhook_signing_key" };
    expect(await urnsRefusedBy(RULE, run.resources, withInputs(router, { bindings: [...bindings(router), legacy] }))).toEqual([router.urn]);
  });

  it("refuses an outbound Worker binding one environment's signing key under another's name (it would sign dev deliveries with prod's secret)", async () => {
    const outbound = script("tn-acme-outbound");
    const crossed = bindings(outbound).map((b) => (b.name === "WEBHOOK_SIGNING_KEY_DEV" ? { ...b, secretName: "tn-acme-webhook_signing_key_prod" } : b));
    expect(await urnsRefusedBy(RULE, run.resources, withInputs(outbound, { bindings: crossed }))).toEqual([outbound.urn]);
    const renamed = bindings(outbound).map((b) => (b.name === "WEBHOOK_SIGNING_KEY_DEV" ? { ...b, name: "WEBHOOK_SIGNING_KEY" } : b));
    expect(await urnsRefusedBy(RULE, run.resources, withInputs(outbound, { bindings: renamed }))).toEqual([outbound.urn]);
  });

  it("refuses an integration secret that carries a value, or points at another org or environment", async () => {
    const router = script("tn-acme-router");
    const secrets = [
      { secretName: "acme/prod/stripe", key: "webhook_secret", value: "whsec_pasted" },
      { secretName: "globex/prod/stripe", key: "webhook_secret" },
      { secretName: "acme/dev/stripe", key: "webhook_secret" },
      { secretName: "acme/prod/../dev/stripe", key: "webhook_secret" },
      "whsec_pasted",
    ];
    for (const secret of secrets) {
      const changed = withJson(router, "ORG_CONFIG", (config) => {
        config["integrations"] = (config["integrations"] as Record<string, unknown>[]).map((i) => ({ ...i, secret }));
      });
      expect(await urnsRefusedBy(RULE, run.resources, changed), JSON.stringify(secret)).toEqual([router.urn]);
    }
  });

  it("refuses a webhook endpoint on a private host or IP literal, or in an environment the org lacks", async () => {
    const outbound = script("tn-acme-outbound");
    for (const change of [{ url: "https://169.254.169.254/latest" }, { url: "https://hooks.internal/x" }, { url: "http://hooks.partner.example/" }, { environment: "qa" }]) {
      const changed = withJson(outbound, "SECRETS_CONFIG", (config) => {
        config["webhooks"] = (config["webhooks"] as Record<string, unknown>[]).map((w) => ({ ...w, ...change }));
      });
      expect(await urnsRefusedBy(RULE, run.resources, changed), JSON.stringify(change)).toEqual([outbound.urn]);
    }
  });
});
