import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { poolLimit, quotaBucket } from "../../workers/lib/quota-bucket";

/* Which quota an admitted request spends: the public page key never spends the org's. */

const slug = fc.stringMatching(/^[a-z][a-z0-9-]{1,30}$/);

describe("the quota bucket of an admitted request", () => {
  it("puts every publishable key's traffic in a bucket of its slot, never the org's, and never another slot's", () => {
    fc.assert(fc.property(slug, slug, slug, (org, slot, other) => {
      const bucket = quotaBucket(org, { keyKind: "publishable", slot });
      expect(bucket).toEqual({ pool: "publishable", rateKey: `${org}:pk:${slot}` });
      expect(bucket.rateKey).not.toBe(quotaBucket(org, undefined).rateKey);
      if (other !== slot) expect(bucket.rateKey).not.toBe(quotaBucket(org, { keyKind: "publishable", slot: other }).rateKey);
    }));
  });

  it("keeps users, secret keys and integrations (no key) in the org's bucket", () => {
    expect(quotaBucket("acme", undefined)).toEqual({ pool: "org", rateKey: "acme" });
    expect(quotaBucket("acme", { keyKind: "secret", slot: "finance-sync" })).toEqual({ pool: "org", rateKey: "acme" });
  });

  it("gives the org's pool the whole declared limit and the publishable pool a quarter of it, at least 1", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 10_000 }), (max) => {
      expect(poolLimit("org", max)).toBe(max);
      expect(poolLimit("publishable", max)).toBeGreaterThanOrEqual(1);
      expect(poolLimit("publishable", max)).toBeLessThanOrEqual(Math.max(1, Math.ceil(max / 4)));
    }));
    expect([poolLimit("publishable", 1), poolLimit("publishable", 50)]).toEqual([1, 13]);
  });
});
