import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { standInSecretValues, startEdge, type LocalEdge } from "../../local/edge";
import type { OrgSpec } from "../../spec/spec";
import { acmeSpec, bearer } from "../helpers/acme-edge";
import { routerWithoutIntegrationCheck } from "../helpers/gateway-variants";
import { newWhsec, standardWebhookHeaders, stripeHeaders } from "../helpers/webhook-senders";

/*
 * Inbound integrations through the real router in workerd (property 19), as the machine client
 * who would replay or forge a signed request: the router verifies before dispatch, answers 401
 * without reaching the app, and hands a verified request over as from the integration, not a user.
 * Requests are signed with the standardwebhooks package and by Stripe's documented scheme.
 */

const STRIPE = { name: "stripe", app: "storefront", environment: "prod", path: "/stripe", scheme: "stripe", secret: "aws-secretsmanager:acme/prod/stripe-hook#webhook_secret" } as const;
const PARTNER = { name: "partner", app: "storefront", environment: "prod", path: "/hooks/partner", scheme: "standard-webhooks", secret: "aws-secretsmanager:acme/prod/partner-hook#signing_secret" } as const;

let spec: OrgSpec;
let edge: LocalEdge;
let stripeSecret = "";
let partnerSecret = "";
let values: Record<string, string> = {};

beforeAll(async () => {
  spec = { ...acmeSpec(), integrations: [STRIPE, PARTNER] };
  values = standInSecretValues(spec);
  stripeSecret = (JSON.parse(values["acme/prod/stripe-hook"] ?? "{}") as Record<string, string>)["webhook_secret"] ?? "";
  partnerSecret = (JSON.parse(values["acme/prod/partner-hook"] ?? "{}") as Record<string, string>)["signing_secret"] ?? "";
  edge = await startEdge(spec, { secretValues: values, deployed: [{ app: "storefront", environment: "prod" }] });
}, 60_000);
afterAll(async () => edge?.dispose());

const now = () => Math.floor(Date.now() / 1000);
const post = (path: string, body: string, headers: Record<string, string>) =>
  edge.viaRouter(`/prod/storefront${path}`, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
const received = async () => (await (await edge.direct("storefront", "prod", "/prod/storefront/received")).json()) as { path: string; headers: Record<string, string>; body: string }[];
const identityOf = (headers: Record<string, string>) => JSON.parse(Buffer.from(headers["x-tenantry-identity"] ?? "", "base64url").toString()) as Record<string, unknown>;

/** Sends `attempt` and says what the app saw of it: the status, and how many requests reached the app meanwhile. */
async function refusedUnseen(attempt: () => Promise<Response>): Promise<[number, number]> {
  const before = (await received()).length;
  const response = await attempt();
  return [response.status, (await received()).length - before];
}

describe("a Standard Webhooks integration at the router", () => {
  const body = JSON.stringify({ type: "invoice.paid", data: { id: "in_1" } });

  it("passes a request the standardwebhooks package signed, as from the integration, without its signature", async () => {
    const response = await post("/hooks/partner", body, standardWebhookHeaders(partnerSecret, "msg_ok", now(), body));
    expect(response.status).toBe(200);
    const seen = (await received()).at(-1);
    expect(seen?.body).toBe(body);
    expect(Object.keys(seen?.headers ?? {}).filter((h) => h.startsWith("webhook-"))).toEqual([]);
    const identity = identityOf(seen?.headers ?? {});
    expect(identity).toMatchObject({ kind: "integration", integration: "partner", org: "acme", app: "storefront", environment: "prod" });
    expect(identity).not.toHaveProperty("email");
    expect(identity).not.toHaveProperty("sub");
  });

  it("refuses with 401, the app seeing nothing, a tampered body, a wrong secret, an old or future timestamp, missing headers", async () => {
    const signed = standardWebhookHeaders(partnerSecret, "msg_1", now(), body);
    const { "webhook-signature": _signature, ...unsigned } = signed;
    expect(await refusedUnseen(() => post("/hooks/partner", body.replace("in_1", "in_2"), signed))).toEqual([401, 0]);
    expect(await refusedUnseen(() => post("/hooks/partner", body, standardWebhookHeaders(newWhsec(), "msg_1", now(), body)))).toEqual([401, 0]);
    expect(await refusedUnseen(() => post("/hooks/partner", body, standardWebhookHeaders(partnerSecret, "msg_1", now() - 301, body)))).toEqual([401, 0]);
    expect(await refusedUnseen(() => post("/hooks/partner", body, standardWebhookHeaders(partnerSecret, "msg_1", now() + 600, body)))).toEqual([401, 0]);
    expect(await refusedUnseen(() => post("/hooks/partner", body, unsigned))).toEqual([401, 0]);
    expect(await refusedUnseen(() => post("/hooks/partner", body, {}))).toEqual([401, 0]);
  });

  it("refuses a user's valid token on an integration's path: only the signature opens it", async () => {
    const developer = await edge.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
    expect(await refusedUnseen(() => edge.viaRouter("/prod/storefront/hooks/partner", { method: "POST", body, ...bearer(developer) }))).toEqual([401, 0]);
  });
});

describe("a Stripe integration at the router", () => {
  const body = JSON.stringify({ id: "evt_1", type: "payment_intent.succeeded" });

  it("passes a request signed by Stripe's scheme, as from the integration, without Stripe-Signature", async () => {
    expect((await post("/stripe", body, stripeHeaders(stripeSecret, now(), body))).status).toBe(200);
    const seen = (await received()).at(-1);
    expect(seen?.body).toBe(body);
    expect(seen?.headers["stripe-signature"]).toBeUndefined();
    expect(identityOf(seen?.headers ?? {})).toMatchObject({ kind: "integration", integration: "stripe" });
  });

  it("refuses with 401, the app seeing nothing, a tampered body, a wrong secret, an old or future timestamp, a missing header", async () => {
    expect(await refusedUnseen(() => post("/stripe", `${body} `, stripeHeaders(stripeSecret, now(), body)))).toEqual([401, 0]);
    expect(await refusedUnseen(() => post("/stripe", body, stripeHeaders(newWhsec(), now(), body)))).toEqual([401, 0]);
    expect(await refusedUnseen(() => post("/stripe", body, stripeHeaders(stripeSecret, now() - 301, body)))).toEqual([401, 0]);
    expect(await refusedUnseen(() => post("/stripe", body, stripeHeaders(stripeSecret, now() + 600, body)))).toEqual([401, 0]);
    expect(await refusedUnseen(() => post("/stripe", body, {}))).toEqual([401, 0]);
  });

  it("does not accept one integration's signature on another's path", async () => {
    expect(await refusedUnseen(() => post("/hooks/partner", body, stripeHeaders(stripeSecret, now(), body)))).toEqual([401, 0]);
    expect(await refusedUnseen(() => post("/stripe", body, standardWebhookHeaders(partnerSecret, "msg_1", now(), body)))).toEqual([401, 0]);
  });
});

describe("(control) the router with the signature check taken out", () => {
  it("lets a tampered, an unsigned and a replayed request reach the app: the refusals above are the check's doing", async () => {
    const body = JSON.stringify({ type: "invoice.paid", data: { id: "in_1" } });
    const control = await startEdge(spec, { secretValues: values, deployed: [{ app: "storefront", environment: "prod" }], controlRouterScript: await routerWithoutIntegrationCheck() });
    try {
      const send = (headers: Record<string, string>, sent = body) => control.viaRouter("/prod/storefront/hooks/partner", { method: "POST", body: sent, headers });
      expect((await send(standardWebhookHeaders(partnerSecret, "msg_1", now(), body), body.replace("in_1", "in_2"))).status).toBe(200);
      expect((await send({})).status).toBe(200);
      expect((await send(standardWebhookHeaders(partnerSecret, "msg_1", now() - 3600, body))).status).toBe(200);
      const seen = (await (await control.direct("storefront", "prod", "/prod/storefront/received")).json()) as unknown[];
      expect(seen).toHaveLength(3);
    } finally {
      await control.dispose();
    }
  }, 60_000);
});
