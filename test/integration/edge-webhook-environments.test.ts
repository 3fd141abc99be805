import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { startEdge } from "../../local/edge";
import { acmeSpec, bearer } from "../helpers/acme-edge";
import { OUTBOUND_WEBHOOK_VARIANTS } from "../helpers/outbound-variants";
import { newWhsec } from "../helpers/webhook-senders";

/*
 * One signing secret per environment that has webhook endpoints (property 19), judged by the
 * receivers' own library (standardwebhooks). Tenant app code in dev (no PROD approvals) emits an
 * event; whoever sees the dev delivery forwards it, as is, to the prod receiver: it must not verify
 * there. Each outbound Worker here binds every environment's secret, as the one production outbound
 * Worker does, so the pick by the `environment` param is what is tested.
 */

const WEBHOOKS = [
  { name: "orders", environment: "prod", url: "https://hooks.partner.example/acme", events: ["order.created"] },
  { name: "orders-dev", environment: "dev", url: "https://dev-hooks.partner.example/acme", events: ["order.created"] },
];
const SECRETS = { prod: newWhsec(), dev: newWhsec() };
type Delivery = { body: string; headers: Record<string, string> };

/** One order.created from storefront in each environment, as its endpoint received it. */
async function deliveries(controlOutboundScript?: string): Promise<{ prod: Delivery; dev: Delivery }> {
  const edge = await startEdge({ ...acmeSpec(), webhooks: WEBHOOKS }, {
    secretValues: {}, webhookSigningSecrets: SECRETS,
    deployed: [{ app: "storefront", environment: "prod" }, { app: "storefront", environment: "dev" }],
    ...(controlOutboundScript === undefined ? {} : { controlOutboundScript }),
  });
  try {
    const developer = await edge.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
    const event = encodeURIComponent(JSON.stringify({ type: "order.created", data: { order: "o_forged", amount: 0 } }));
    for (const environment of ["dev", "prod"]) expect((await edge.viaRouter(`/${environment}/storefront/emit?raw=${event}`, bearer(developer))).status).toBe(200);
    const sent = await edge.egressRequests();
    const at = (host: string) => {
      const delivery = sent.find((r) => r.host === host);
      if (delivery === undefined) throw new Error(`nothing was delivered to ${host}`);
      return delivery;
    };
    return { prod: at("hooks.partner.example"), dev: at("dev-hooks.partner.example") };
  } finally {
    await edge.dispose();
  }
}

const verifiesWith = (secret: string, delivery: Delivery) => {
  try {
    new Webhook(secret).verify(delivery.body, delivery.headers);
    return true;
  } catch {
    return false;
  }
};

describe("each environment signs with its own secret", () => {
  it("a dev delivery forwarded to the prod receiver does not verify there; each delivery verifies at its own environment's receiver only", async () => {
    const { prod, dev } = await deliveries();
    expect({
      devAtProd: verifiesWith(SECRETS.prod, dev), devAtDev: verifiesWith(SECRETS.dev, dev),
      prodAtProd: verifiesWith(SECRETS.prod, prod), prodAtDev: verifiesWith(SECRETS.dev, prod),
    }).toEqual({ devAtProd: false, devAtDev: true, prodAtProd: true, prodAtDev: false });
  }, 60_000);

  it("control: an outbound Worker that signs every environment's deliveries with prod's secret lets the dev delivery verify at prod", async () => {
    const { dev } = await deliveries(await OUTBOUND_WEBHOOK_VARIANTS.signsWithProdsSecret());
    expect(verifiesWith(SECRETS.prod, dev)).toBe(true);
  }, 60_000);
});
