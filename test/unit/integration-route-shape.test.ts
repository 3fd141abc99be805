import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { RouterIntegration } from "../../workers/dispatch/config";
import { canonicalPath } from "../../workers/lib/canonical-path";
import { integrationAt, integrationRequest, MAX_INTEGRATION_BODY_BYTES, requestProblem, routeOf, verifyIntegration } from "../../workers/lib/integration-route";
import { verifyStandardWebhook } from "../../workers/lib/webhook-signature";
import { newWhsec, standardWebhookHeaders, stripeHeaders, newStripeSecret } from "../helpers/webhook-senders";

/*
 * An integration's route as the machine client and the user who would borrow it see it (B1-B3):
 * only the exact route spelling carries the signature, every other spelling an app's router may
 * map onto it is the router's to refuse, the dispatched request is rebuilt from verified parts,
 * and the app is handed a message id that a captured signature cannot be re-split into.
 */

const integration = (path: string, scheme: RouterIntegration["scheme"] = "stripe"): RouterIntegration =>
  ({ name: path.slice(1).replace(/\//g, "-"), app: "storefront", environment: "prod", path, scheme, secret: { secretName: "acme/prod/x", key: "k" } });
const STRIPE = integration("/stripe");
const PARTNER = integration("/hooks/partner", "standard-webhooks");
const ROUTES = [STRIPE, PARTNER];
const NOW = 1_780_000_000;
const bytes = (text: string) => new TextEncoder().encode(text);

/** One spelling an app's router commonly reads as `route` (or a path a prefix-mounted handler answers below it). */
const variantOf = (route: string) => fc.tuple(
  fc.array(fc.boolean(), { minLength: route.length, maxLength: route.length }),
  fc.array(fc.integer({ min: 0, max: 7 }), { minLength: route.length, maxLength: route.length }),
  fc.constantFrom("", "/", "//", ";jsessionid=1", "/.", "/x", "/x/../", "%2f"),
).map(([upper, ways, tail]) => {
  let out = "";
  for (let i = 0; i < route.length; i++) {
    const c = route[i] ?? "";
    const hex = `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`;
    const way = c === "/" ? (ways[i] ?? 0) % 3 : ways[i] ?? 0;
    // A slash repeated or as a backslash; a letter in either case, percent-encoded once or twice (%2573 is %73 is s).
    out += c === "/" ? ["/", "//", "/\\"][way] : way === 1 ? hex : way === 2 ? hex.replace("%", "%25") : way === 3 ? hex.toUpperCase() : upper[i] ? c.toUpperCase() : c;
  }
  return out + tail;
});

/** The matcher before the fix: the exact spelling only. */
const exactOnly = (pathname: string) => ROUTES.find((i) => pathname === routeOf(i));

describe("which integration a path belongs to", () => {
  it("gives every spelling of a route (case, percent-encoding, repeated slashes, ;params, trailing slash, paths below) to that route, and only the exact spelling as exact", () => {
    const spellings = fc.constantFrom(...ROUTES).chain((target) => fc.tuple(fc.constant(target), variantOf(routeOf(target))));
    fc.assert(fc.property(spellings, ([target, variant]) => {
      const on = integrationAt(ROUTES, variant);
      expect(on?.integration).toBe(target);
      expect(on?.exact).toBe(variant === routeOf(target));
    }), { numRuns: 3000 });
  });

  it("(control) the exact-only matcher the router had lets most of those spellings pass as an ordinary path", () => {
    const variants = fc.sample(variantOf(routeOf(STRIPE)), { numRuns: 300, seed: 17 });
    expect(variants.filter((v) => exactOnly(v) === undefined).length).toBeGreaterThan(250);
  });

  it("leaves the app's other paths alone, including ones that only start with the route's letters", () => {
    for (const path of ["/prod/storefront/whoami", "/prod/storefront/stripes", "/prod/storefront/stripe-connect", "/prod/storefront/hooks/partners", "/prod/storefront/hooks", "/prod/invoices/stripe"]) {
      expect(integrationAt(ROUTES, path)).toBeUndefined();
    }
  });

  it("canonicalises the attack's spellings to the route", () => {
    expect(["/prod/storefront/stripe/", "/prod/storefront/Stripe", "/prod/storefront//stripe", "/prod/storefront/%73tripe", "/prod/storefront/stripe;x=1", "/prod/storefront/%2573tripe", "/prod/storefront/\u017Ftripe"].map(canonicalPath))
      .toEqual(Array(7).fill("/prod/storefront/stripe"));
  });
});

describe("what the router refuses on an integration's route before reading its body", () => {
  const headers = (length?: string) => new Headers(length === undefined ? {} : { "content-length": length });

  it("refuses every method but POST (405), a query (400), a declared length over 1 MiB (413); a chunked body is left to the counting reader", () => {
    for (const method of ["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "post"]) expect(requestProblem(method, "", headers("2"))).toBe(405);
    expect(requestProblem("POST", "?action=refund", headers("2"))).toBe(400);
    expect(requestProblem("POST", "", headers())).toBeUndefined();
    expect(requestProblem("POST", "", headers("-1"))).toBe(400);
    expect(requestProblem("POST", "", headers(String(MAX_INTEGRATION_BODY_BYTES + 1)))).toBe(413);
    expect(requestProblem("POST", "", headers(String(MAX_INTEGRATION_BODY_BYTES)))).toBeUndefined();
  });

  it("builds the app's request from the route, POST, the verified body and allowlisted headers: no query, no signature, no cookie", async () => {
    const received = new Headers({ "content-type": "application/json", cookie: "s=1", authorization: "Bearer t", "stripe-signature": "t=1,v1=00", "webhook-id": "msg_1", "x-shop-locale": "de" });
    const built = integrationRequest("https://acme.apps.example", STRIPE, received, ["x-shop-locale"], bytes("{}"));
    expect([built.method, built.url, await built.text()]).toEqual(["POST", "https://acme.apps.example/prod/storefront/stripe", "{}"]);
    expect([...built.headers.keys()].sort()).toEqual(["content-type", "x-shop-locale"]);
  });
});

describe("the message id the app deduplicates on", () => {
  it("is the webhook-id of a Standard Webhooks delivery and the event id of a Stripe one, with the signed timestamp", async () => {
    const secret = newWhsec();
    const body = '{"type":"invoice.paid"}';
    expect(await verifyIntegration(PARTNER, new Headers(standardWebhookHeaders(secret, "msg_2Kw", NOW, body)), bytes(body), secret, NOW))
      .toEqual({ ok: true, message: { messageId: "msg_2Kw", signedAt: NOW } });
    const stripeSecret = newStripeSecret();
    const event = '{"id":"evt_1Nx","type":"invoice.paid"}';
    expect(await verifyIntegration(STRIPE, new Headers(stripeHeaders(stripeSecret, NOW, event)), bytes(event), stripeSecret, NOW))
      .toEqual({ ok: true, message: { messageId: "evt_1Nx", signedAt: NOW } });
    // Signed, but nothing to deduplicate on: refused.
    expect((await verifyIntegration(STRIPE, new Headers(stripeHeaders(stripeSecret, NOW, "[]")), bytes("[]"), stripeSecret, NOW)).ok).toBe(false);
  });

  it("cannot be re-split out of a captured signature: a webhook-id outside A-Z a-z 0-9 _ - is refused, wherever the split falls", async () => {
    await fc.assert(fc.asyncProperty(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40 }), async (before, after) => {
      const secret = newWhsec();
      const later = NOW;
      // A captured delivery whose body holds ".<later>.": the same HMAC input read as a new id and a later timestamp.
      const capturedBody = `${before}.${later}.${after}`;
      const captured = standardWebhookHeaders(secret, "msg_captured", later - 200, capturedBody);
      const forged = new Headers({ "webhook-id": `msg_captured.${later - 200}.${before}`, "webhook-timestamp": String(later), "webhook-signature": captured["webhook-signature"] ?? "" });
      expect(await verifyStandardWebhook(forged, bytes(after), secret, NOW)).toEqual({ ok: false, reason: "webhook-id is not 1..255 of A-Z a-z 0-9 _ -" });
    }), { numRuns: 100 });
  });
});
