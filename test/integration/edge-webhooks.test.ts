import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { startEdge, type LocalEdge } from "../../local/edge";
import { acmeSpec, bearer } from "../helpers/acme-edge";
import { newWhsec } from "../helpers/webhook-senders";

/*
 * Signed webhooks out through the real outbound Worker in workerd (property 19). The receiver
 * side is the public standardwebhooks package, not our code: it must accept each delivery and
 * refuse it tampered, under another secret, or late. The app names an event type, never a
 * destination, and never holds the org's signing secret.
 */

const SIGNING_SECRET = newWhsec();
const DEV_SIGNING_SECRET = newWhsec();
const WEBHOOKS = [
  { name: "orders", environment: "prod", url: "https://hooks.partner.example/acme", events: ["order.created"] },
  { name: "ledger", environment: "prod", url: "https://ledger.partner.example/in", events: ["order.created", "order.paid"] },
  { name: "orders-dev", environment: "dev", url: "https://dev-hooks.partner.example/acme", events: ["order.created"] },
];
const HOSTS = WEBHOOKS.map((w) => new URL(w.url).hostname);

let edge: LocalEdge;
let developer = "";

beforeAll(async () => {
  const spec = { ...acmeSpec(), webhooks: WEBHOOKS };
  edge = await startEdge(spec, { secretValues: {}, webhookSigningSecrets: { prod: SIGNING_SECRET, dev: DEV_SIGNING_SECRET }, deployed: [{ app: "storefront", environment: "prod" }, { app: "storefront", environment: "dev" }] });
  developer = await edge.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
}, 60_000);
afterAll(async () => edge?.dispose());

const emit = (environment: string, event: unknown) =>
  edge.viaRouter(`/${environment}/storefront/emit?raw=${encodeURIComponent(JSON.stringify(event))}`, bearer(developer));
const deliveries = async () => (await edge.egressRequests()).filter((r) => HOSTS.includes(r.host));

describe("signed webhooks out", () => {
  const marker = `canary-${Math.random().toString(36).slice(2)}`;

  it("delivers an event to every declared endpoint of the app's environment taking its type, which the standardwebhooks package verifies", async () => {
    const before = (await deliveries()).length;
    const response = await emit("prod", { type: "order.created", data: { order: "o_1", marker } });
    expect(response.status).toBe(200);
    const sent = (await deliveries()).slice(before);
    expect(sent.map((r) => r.host).sort()).toEqual(["hooks.partner.example", "ledger.partner.example"]);
    for (const delivery of sent) {
      const verified = new Webhook(SIGNING_SECRET).verify(delivery.body, delivery.headers) as { type: string; data: unknown };
      expect(verified).toMatchObject({ type: "order.created", data: { order: "o_1", marker } });
    }
    // One message: the same id on both deliveries, as Standard Webhooks lets a receiver deduplicate.
    expect(new Set(sent.map((r) => r.headers["webhook-id"])).size).toBe(1);
  });

  it("is refused by the standardwebhooks package when tampered, under another secret, or late", async () => {
    const delivery = (await deliveries()).at(-1);
    if (delivery === undefined) throw new Error("no delivery to check");
    expect(() => new Webhook(SIGNING_SECRET).verify(delivery.body.replace("o_1", "o_2"), delivery.headers)).toThrow();
    expect(() => new Webhook(newWhsec()).verify(delivery.body, delivery.headers)).toThrow();
    vi.useFakeTimers({ now: Date.now() + 6 * 60 * 1000, toFake: ["Date"] });
    try {
      expect(() => new Webhook(SIGNING_SECRET).verify(delivery.body, delivery.headers)).toThrow(/too old/);
    } finally {
      vi.useRealTimers();
    }
  });

  it("never delivers an event type no endpoint of the environment declares, nor to another environment's endpoint", async () => {
    const before = await deliveries();
    expect((await emit("prod", { type: "order.deleted", data: {} })).status).toBe(404);
    expect((await emit("prod", { type: "order.paid", data: {} })).status).toBe(200);
    const sent = (await deliveries()).slice(before.length);
    expect(sent.map((r) => r.host)).toEqual(["ledger.partner.example"]);
    expect((await emit("dev", { type: "order.created", data: {} })).status).toBe(200);
    expect((await deliveries()).slice(before.length + 1).map((r) => r.host)).toEqual(["dev-hooks.partner.example"]);
  });

  it("lets an app name no destination: a body with anything beyond type and data is refused and nothing is sent", async () => {
    const before = (await edge.egressRequests()).length;
    for (const event of [{ type: "order.created", data: {}, url: "https://attacker.example/" }, { type: "order.created" }, ["order.created"], "order.created"]) {
      expect((await emit("prod", event)).status).toBe(400);
    }
    expect((await edge.egressRequests()).length).toBe(before);
  });

  it("keeps the signing secret from the app, and audits each delivery without the payload", async () => {
    expect(await (await edge.viaRouter("/prod/storefront/env", bearer(developer))).json()).toEqual({ bindings: [] });
    const answer = await (await emit("prod", { type: "order.created", data: { marker } })).text();
    expect(answer).not.toContain(SIGNING_SECRET.slice("whsec_".length));
    const events = (await edge.auditEvents()).filter((e) => (e as { kind: string }).kind === "webhook.deliver");
    expect(events.at(-1)).toMatchObject({ kind: "webhook.deliver", org: "acme", app: "storefront", environment: "prod", actor: "dev@acme.com", eventType: "order.created", status: 200 });
    expect(events.length).toBeGreaterThanOrEqual(2);
    const all = JSON.stringify(await edge.auditEvents());
    expect(all).not.toContain(marker);
    expect(all).not.toContain(SIGNING_SECRET.slice("whsec_".length));
  });
});
