import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readStackFile } from "../../harness/stack-file";
import { standInSecretValues, startEdge, type EdgeOptions } from "../../local/edge";
import type { ClaimResult } from "../../local/proof/claim";
import { integrationClaims } from "../../local/proof/integration-claims";
import { webhookClaims } from "../../local/proof/webhook-claims";
import { orgSpecFromStackConfig } from "../../spec/stack-config";
import { newStandardWebhookSecret } from "../../workers/lib/webhook-signature";
import { routerWithoutIntegrationCheck, routerWithoutIntegrationRoutes } from "../helpers/gateway-variants";
import { REPO_DIR } from "../helpers/local";
import { OUTBOUND_WEBHOOK_VARIANTS } from "../helpers/outbound-variants";

/*
 * The proof's claims for webhooks out and integrations in, on the example org as committed, in
 * workerd: each holds against the real bundles, and each fails against a bundle with its one
 * guard edited out (and only the claims that guard carries fail), so none can pass by itself.
 */

const spec = orgSpecFromStackConfig({ ...readStackFile(join(REPO_DIR, "stacks", "Pulumi.org-acme.yaml")), now: new Date() });

const SIGNED = "an app's order.created event reaches orders's URL signed with the prod secret";
const NO_NAMED_URL = "an app cannot send an event to a URL it names";
const NO_OTHER_ENV = "a dev app's event never reaches a prod endpoint";
const NO_SECRET = "the app never receives the webhook signing secret";
const REACHES = "a request stripe signed reaches invoices as from the integration, with no user";
const TAMPERED = "a tampered integration request is refused with 401 before the app";
const WRONG_SECRET = "an integration request signed with another secret is refused with 401 before the app";
const LATE = "an integration request outside the timestamp tolerance is refused with 401 before the app";
const ALL = [SIGNED, NO_NAMED_URL, NO_OTHER_ENV, NO_SECRET, REACHES, TAMPERED, WRONG_SECRET, LATE];

/** The claims against an edge started with `variant` in place of the real bundles. */
async function claimsWith(variant: Pick<EdgeOptions, "controlOutboundScript" | "controlRouterScript"> = {}): Promise<ClaimResult[]> {
  const values = standInSecretValues(spec);
  const signingSecrets = { prod: newStandardWebhookSecret() };
  const edge = await startEdge(spec, { secretValues: values, webhookSigningSecrets: signingSecrets, ...variant });
  try {
    return [...(await webhookClaims(edge, spec, signingSecrets, newStandardWebhookSecret())), ...(await integrationClaims(edge, spec, values, newStandardWebhookSecret()))];
  } finally {
    await edge.dispose();
  }
}

const failing = (rows: readonly ClaimResult[]) => rows.filter((r) => r.status === "fail").map((r) => r.claim);

describe("the proof's webhook and integration claims on the example org", () => {
  it("attempts every claim, and each holds against the real router and outbound Worker", async () => {
    const rows = await claimsWith();
    expect(rows.map((r) => [r.claim, r.status, r.result])).toEqual(ALL.map((claim) => [claim, "pass", expect.any(String)]));
  }, 60_000);
});

describe("(controls) each claim fails when its guard is taken out", () => {
  it.each([
    ["the outbound Worker signs nothing", () => OUTBOUND_WEBHOOK_VARIANTS.signsNothing(), [SIGNED]],
    ["the outbound Worker delivers to a url the app names", () => OUTBOUND_WEBHOOK_VARIANTS.honoursTheAppsUrl(), [NO_NAMED_URL]],
    ["the outbound Worker ignores the endpoint's environment", () => OUTBOUND_WEBHOOK_VARIANTS.ignoresTheEnvironment(), [NO_OTHER_ENV]],
    ["the outbound Worker answers the app with its secret", () => OUTBOUND_WEBHOOK_VARIANTS.answersWithTheSecret(), [NO_SECRET]],
  ] as const)("%s", async (_, variant, expected) => {
    expect(failing(await claimsWith({ controlOutboundScript: await variant() }))).toEqual(expected);
  }, 60_000);

  it.each([
    ["the router dispatches whatever the signature check says", () => routerWithoutIntegrationCheck(), [TAMPERED, WRONG_SECRET, LATE]],
    ["the router no longer knows the integration's route", () => routerWithoutIntegrationRoutes(), [REACHES]],
  ] as const)("%s", async (_, variant, expected) => {
    expect(failing(await claimsWith({ controlRouterScript: await variant() }))).toEqual(expected);
  }, 60_000);
});
