import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { startEdge } from "../../local/edge";
import type { OrgSpec } from "../../spec/spec";
import { acmeSpec, bearer } from "../helpers/acme-edge";
import { newWhsec } from "../helpers/webhook-senders";

/*
 * A rotation of the org's webhook signing secret, through the real outbound Worker in workerd
 * (property 19), judged by receivers that use the public standardwebhooks package: during the
 * overlap a receiver still holding the previous secret and one already holding the new one both
 * verify every delivery; after it only the new one does, even while the previous secret is still
 * bound (the Worker ends the overlap at its declared time by itself).
 */

const NEXT = newWhsec();
const PREVIOUS = newWhsec();

/** One delivery of order.created to acme's declared endpoint, from an edge whose overlap ends at `previousUntil`. */
async function deliveryWith(previousUntil: string | undefined, previousBound: boolean): Promise<{ body: string; headers: Record<string, string> }> {
  const base = acmeSpec();
  const spec: OrgSpec = { ...base, webhookSigning: { generation: 2, ...(previousUntil === undefined ? {} : { previousUntil }) } };
  const edge = await startEdge(spec, {
    secretValues: {}, webhookSigningSecrets: { prod: NEXT }, ...(previousBound ? { previousWebhookSigningSecrets: { prod: PREVIOUS } } : {}),
    deployed: [{ app: "storefront", environment: "prod" }],
  });
  try {
    const developer = await edge.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
    expect((await edge.viaRouter("/prod/storefront/emit?type=order.created", bearer(developer))).status).toBe(200);
    const delivery = (await edge.egressRequests()).find((r) => r.host === "hooks.partner.example");
    if (delivery === undefined) throw new Error("nothing was delivered");
    return delivery;
  } finally {
    await edge.dispose();
  }
}

const verifiesWith = (secret: string, delivery: { body: string; headers: Record<string, string> }) => {
  try {
    new Webhook(secret).verify(delivery.body, delivery.headers);
    return true;
  } catch {
    return false;
  }
};

describe("rotating the webhook signing secret", () => {
  it("during the overlap, a receiver holding only the previous secret and one holding only the new one both verify the delivery", async () => {
    const delivery = await deliveryWith(new Date(Date.now() + 60 * 60 * 1000).toISOString(), true);
    expect(delivery.headers["webhook-signature"]?.split(" ")).toHaveLength(2);
    expect([verifiesWith(NEXT, delivery), verifiesWith(PREVIOUS, delivery), verifiesWith(newWhsec(), delivery)]).toEqual([true, true, false]);
  }, 60_000);

  it("after the overlap's time, only the new secret verifies, though the previous one is still bound", async () => {
    const delivery = await deliveryWith(new Date(Date.now() - 1000).toISOString(), true);
    expect(delivery.headers["webhook-signature"]?.split(" ")).toHaveLength(1);
    expect([verifiesWith(NEXT, delivery), verifiesWith(PREVIOUS, delivery)]).toEqual([true, false]);
  }, 60_000);

  it("once the overlap is removed from the spec (and the binding with it), only the new secret verifies", async () => {
    const delivery = await deliveryWith(undefined, false);
    expect([verifiesWith(NEXT, delivery), verifiesWith(PREVIOUS, delivery)]).toEqual([true, false]);
  }, 60_000);

  it("rotates per environment: during the overlap a dev delivery verifies with dev's new and previous secrets, and with neither of prod's", async () => {
    const [devNext, devPrevious] = [newWhsec(), newWhsec()];
    const base = acmeSpec();
    const webhooks = [...base.webhooks, { name: "orders-dev", environment: "dev", url: "https://dev-hooks.partner.example/acme", events: ["order.created"] }];
    const spec: OrgSpec = { ...base, webhooks, webhookSigning: { generation: 2, previousUntil: new Date(Date.now() + 60 * 60 * 1000).toISOString() } };
    const edge = await startEdge(spec, {
      secretValues: {}, webhookSigningSecrets: { prod: NEXT, dev: devNext }, previousWebhookSigningSecrets: { prod: PREVIOUS, dev: devPrevious },
      deployed: [{ app: "storefront", environment: "dev" }],
    });
    try {
      const developer = await edge.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
      expect((await edge.viaRouter("/dev/storefront/emit?type=order.created", bearer(developer))).status).toBe(200);
      const delivery = (await edge.egressRequests()).find((r) => r.host === "dev-hooks.partner.example");
      if (delivery === undefined) throw new Error("nothing was delivered");
      expect([devNext, devPrevious, NEXT, PREVIOUS].map((secret) => verifiesWith(secret, delivery))).toEqual([true, true, false, false]);
    } finally {
      await edge.dispose();
    }
  }, 60_000);
});
