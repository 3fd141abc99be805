import fc from "fast-check";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { signStandardWebhook, SIGNATURE_TOLERANCE_SECONDS, verifyStandardWebhook, verifyStripe } from "../../workers/lib/webhook-signature";
import { newStripeSecret, newWhsec, standardWebhookHeaders, stripeHeaders } from "../helpers/webhook-senders";

/* The pure verifiers, against senders that are not our code (the standardwebhooks package, Stripe's documented scheme). */

const NOW = 1_780_000_000;
const bytes = (text: string) => new TextEncoder().encode(text);
const body = fc.string({ maxLength: 200 });
const skew = fc.integer({ min: -SIGNATURE_TOLERANCE_SECONDS, max: SIGNATURE_TOLERANCE_SECONDS });
/** A timestamp outside the window, either way: a replay, or one signed ahead to outlive it. */
const outside = fc.oneof(fc.integer({ min: SIGNATURE_TOLERANCE_SECONDS + 1, max: 10_000_000 }), fc.integer({ min: -10_000_000, max: -SIGNATURE_TOLERANCE_SECONDS - 1 }));

/** The body with one character changed, appended or cut. */
const tampered = (text: string, at: number, how: number) => {
  if (text.length === 0 || how === 0) return `${text} `;
  const i = at % text.length;
  return how === 1 ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + String.fromCharCode((text.charCodeAt(i) + 1) % 0xd800) + text.slice(i + 1);
};

const sw = (secret: string, id: string, ts: number, signed: string, sent: string, now = NOW) =>
  verifyStandardWebhook(new Headers(standardWebhookHeaders(secret, id, ts, signed)), bytes(sent), secret, now);
const stripe = (secret: string, ts: number, signed: string, sent: string, now = NOW) =>
  verifyStripe(new Headers(stripeHeaders(secret, ts, signed)), bytes(sent), secret, now);

describe("Standard Webhooks verification", () => {
  it("accepts what the standardwebhooks package signs, within 5 minutes either way", async () => {
    await fc.assert(fc.asyncProperty(body, skew, async (text, s) => {
      expect(await sw(newWhsec(), "msg_1", NOW + s, text, text)).toEqual({ ok: true });
    }), { numRuns: 50 });
  });

  it("refuses a tampered body, whatever the change", async () => {
    await fc.assert(fc.asyncProperty(body, fc.nat(), fc.integer({ min: 0, max: 2 }), async (text, at, how) => {
      expect(await sw(newWhsec(), "msg_1", NOW, text, tampered(text, at, how))).toEqual({ ok: false, reason: "signature does not match" });
    }), { numRuns: 50 });
  });

  it("refuses a signature made with another secret", async () => {
    await fc.assert(fc.asyncProperty(body, async (text) => {
      const headers = new Headers(standardWebhookHeaders(newWhsec(), "msg_1", NOW, text));
      expect((await verifyStandardWebhook(headers, bytes(text), newWhsec(), NOW)).ok).toBe(false);
    }), { numRuns: 30 });
  });

  it("refuses a timestamp outside the window, old (a replay) or in the future", async () => {
    await fc.assert(fc.asyncProperty(body, outside, async (text, s) => {
      expect((await sw(newWhsec(), "msg_1", NOW - s, text, text)).ok).toBe(false);
    }), { numRuns: 50 });
  });

  it("refuses a request missing any of its three headers, or a signature moved to another id", async () => {
    const secret = newWhsec();
    const headers = standardWebhookHeaders(secret, "msg_1", NOW, "{}");
    for (const name of Object.keys(headers)) {
      const without = new Headers(headers);
      without.delete(name);
      expect((await verifyStandardWebhook(without, bytes("{}"), secret, NOW)).ok).toBe(false);
    }
    expect((await verifyStandardWebhook(new Headers({ ...headers, "webhook-id": "msg_2" }), bytes("{}"), secret, NOW)).ok).toBe(false);
  });

  it("signs what the standardwebhooks package verifies", async () => {
    await fc.assert(fc.asyncProperty(body, async (text) => {
      const secret = newWhsec();
      const now = Math.floor(Date.now() / 1000);
      const headers = await signStandardWebhook("msg_x", now, bytes(text), secret);
      // The package throws on any signature it does not accept; jsonParse off, as bodies here are any text.
      expect(() => new Webhook(secret).verify(text, headers, { jsonParse: false })).not.toThrow();
      expect(() => new Webhook(secret).verify(`${text}!`, headers, { jsonParse: false })).toThrow();
    }), { numRuns: 30 });
  });

  it("signs a rotation's delivery under the new and the previous secret: a receiver holding either alone verifies it with the standardwebhooks package, one holding neither does not", async () => {
    await fc.assert(fc.asyncProperty(body, async (text) => {
      const [next, previous] = [newWhsec(), newWhsec()];
      const headers = await signStandardWebhook("msg_rot", Math.floor(Date.now() / 1000), bytes(text), [next, previous]);
      expect(headers["webhook-signature"].split(" ")).toHaveLength(2);
      expect(() => new Webhook(next).verify(text, headers, { jsonParse: false })).not.toThrow();
      expect(() => new Webhook(previous).verify(text, headers, { jsonParse: false })).not.toThrow();
      expect(() => new Webhook(newWhsec()).verify(text, headers, { jsonParse: false })).toThrow();
    }), { numRuns: 30 });
  });
});

describe("Stripe verification", () => {
  it("accepts a request signed by Stripe's documented scheme, within 5 minutes either way", async () => {
    await fc.assert(fc.asyncProperty(body, skew, async (text, s) => {
      expect(await stripe(newStripeSecret(), NOW + s, text, text)).toEqual({ ok: true });
    }), { numRuns: 50 });
  });

  it("refuses a tampered body, another secret, a timestamp outside the window, or no header", async () => {
    await fc.assert(fc.asyncProperty(body, fc.nat(), fc.integer({ min: 0, max: 2 }), outside, async (text, at, how, s) => {
      const secret = newStripeSecret();
      expect((await stripe(secret, NOW, text, tampered(text, at, how))).ok).toBe(false);
      expect((await verifyStripe(new Headers(stripeHeaders(newStripeSecret(), NOW, text)), bytes(text), secret, NOW)).ok).toBe(false);
      expect((await stripe(secret, NOW - s, text, text)).ok).toBe(false);
      expect((await verifyStripe(new Headers(), bytes(text), secret, NOW)).ok).toBe(false);
    }), { numRuns: 50 });
  });

  it("refuses a header with two timestamps, where the attacker would choose which was signed", async () => {
    const secret = newStripeSecret();
    const signed = stripeHeaders(secret, NOW - 3600, "{}")["stripe-signature"] ?? "";
    expect((await verifyStripe(new Headers({ "stripe-signature": `t=${NOW},${signed}` }), bytes("{}"), secret, NOW)).ok).toBe(false);
  });
});
