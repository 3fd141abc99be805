import fc from "fast-check";
import { jwtVerify, SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import { MAX_TOKEN_AGE } from "../../workers/lib/token-age";
import { stillValid, verifiedTokens, verifiedTokensFor, type TimedClaims } from "../../workers/lib/verified-tokens";

/*
 * The router's per-isolate cache of verified tokens (workers/lib/verified-tokens.ts), attacked as
 * the holder of a stolen or expired token would: nothing the cache answers may be something a
 * fresh verification would refuse. Times are seconds since the epoch, generated.
 */

const NOW = 1_800_000_000;
type Claims = TimedClaims & { readonly sub: string };
const claims = (sub: string, iat: number, exp: number): Claims => ({ sub, iat, exp });

/** A token-shaped string: three base64url parts. */
const tokens = fc.tuple(fc.base64String({ minLength: 4, maxLength: 24 }), fc.base64String({ minLength: 4, maxLength: 40 }), fc.base64String({ minLength: 4, maxLength: 40 }))
  .map((parts) => parts.map((p) => p.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")).join("."));

describe("the verified-token cache", () => {
  it("refuses a cached token from the second its exp passes, whatever its lifetime", () => {
    fc.assert(fc.property(tokens, fc.integer({ min: 1, max: MAX_TOKEN_AGE - 1 }), fc.integer({ min: 0, max: 10 * MAX_TOKEN_AGE }), (token, lifetime, later) => {
      const cache = verifiedTokens<Claims>(16);
      cache.set(token, claims("alice", NOW, NOW + lifetime));
      expect(cache.get(token, NOW)?.sub).toBe("alice");
      expect(cache.get(token, NOW + lifetime + later)).toBeUndefined();
      // Dropped, not just hidden: a clock that went back would not bring it back either.
      expect(cache.get(token, NOW)).toBeUndefined();
    }));
  });

  it("refuses a cached token older than the maximum age even while its exp is ahead", () => {
    fc.assert(fc.property(tokens, fc.integer({ min: 0, max: MAX_TOKEN_AGE }), (token, pastMaxAge) => {
      const cache = verifiedTokens<Claims>(16);
      cache.set(token, claims("alice", NOW, NOW + 10 * MAX_TOKEN_AGE));
      expect(cache.get(token, NOW + MAX_TOKEN_AGE + pastMaxAge)).toBeUndefined();
    }));
  });

  it("answers only for exactly the token stored: any other token, however close, misses", () => {
    fc.assert(fc.property(tokens, tokens, (stored, other) => {
      fc.pre(stored !== other);
      const cache = verifiedTokens<Claims>(16);
      cache.set(stored, claims("alice", NOW, NOW + 60));
      expect(cache.get(other, NOW)).toBeUndefined();
      // One character changed anywhere (the signature's last included) is another token.
      for (const at of [0, stored.length >> 1, stored.length - 1]) {
        const altered = stored.slice(0, at) + (stored[at] === "A" ? "B" : "A") + stored.slice(at + 1);
        expect(cache.get(altered, NOW)).toBeUndefined();
      }
    }));
  });

  it("never holds more than its bound: when full, the oldest stored is evicted and the newest kept", () => {
    fc.assert(fc.property(fc.uniqueArray(tokens, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 20 }), (sent, max) => {
      const cache = verifiedTokens<Claims>(max);
      sent.forEach((token, i) => {
        cache.set(token, claims(`user-${i}`, NOW, NOW + 60));
        expect(cache.size()).toBeLessThanOrEqual(max);
      });
      const kept = sent.slice(-max);
      kept.forEach((token) => expect(cache.get(token, NOW)?.sub).toBe(`user-${sent.indexOf(token)}`));
      sent.slice(0, -max).forEach((token) => expect(cache.get(token, NOW)).toBeUndefined());
    }));
  });

  it("stores nothing that lacks exp or iat, so such a token is verified every time", () => {
    const cache = verifiedTokens<TimedClaims>(4);
    cache.set("a.b.c", { exp: NOW + 60 });
    cache.set("d.e.f", { iat: NOW });
    cache.set("g.h.i", { exp: String(NOW + 60), iat: NOW });
    expect(cache.size()).toBe(0);
  });

  it("starts empty for other identity settings, so a key or issuer change is never answered from the old cache", () => {
    const cacheFor = verifiedTokensFor<{ issuer: string }, Claims>(8);
    const before = { issuer: "https://idp.example" };
    cacheFor(before).set("a.b.c", claims("alice", NOW, NOW + 60));
    expect(cacheFor(before).get("a.b.c", NOW)?.sub).toBe("alice");
    expect(cacheFor({ issuer: "https://idp.example" }).get("a.b.c", NOW)).toBeUndefined();
  });

  it("never finds valid a token jose's verification would refuse at the same time (exp, maximum age)", async () => {
    const key = new TextEncoder().encode("a test secret of thirty-two bytes!");
    // iat in the past: the cache holds only tokens that passed verification earlier.
    await fc.assert(fc.asyncProperty(fc.integer({ min: -2 * MAX_TOKEN_AGE, max: 0 }), fc.integer({ min: -2 * MAX_TOKEN_AGE, max: 2 * MAX_TOKEN_AGE }), async (iatOffset, expOffset) => {
      const payload = { iat: NOW + iatOffset, exp: NOW + expOffset };
      const token = await new SignJWT({ ...payload }).setProtectedHeader({ alg: "HS256" }).sign(key);
      const josAccepts = await jwtVerify(token, key, { currentDate: new Date(NOW * 1000), maxTokenAge: MAX_TOKEN_AGE, requiredClaims: ["exp", "iat"] }).then(() => true, () => false);
      if (stillValid(payload, NOW)) expect(josAccepts).toBe(true);
    }), { numRuns: 200 });
  });
});
