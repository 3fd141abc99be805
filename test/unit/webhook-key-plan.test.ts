import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planWebhookKeys, type WebhookKeyPlan, type WebhookKeySlot } from "../../components/webhook-key-plan";
import { NOW, problemsAfter } from "../helpers/spec-builder";

/*
 * The signing secret's rotation plan (property 19), as the stack-file author raising the
 * generation: every rotation must make exactly one new secret and keep the one receivers hold
 * now, whatever the generation. A slot keeps its value in Pulumi exactly as long as its name and
 * keepers do, so that is what is compared.
 */

const generation = fc.integer({ min: 1, max: 999 });
const identity = (slot: WebhookKeySlot | undefined) => (slot === undefined ? undefined : JSON.stringify([slot.name, slot.keepers ?? null]));
const plan = (g: number, previousUntil?: string): WebhookKeyPlan => planWebhookKeys({ generation: g, ...(previousUntil === undefined ? {} : { previousUntil }) });
const UNTIL = "2026-06-08T12:00:00Z";

describe("the webhook signing keys through rotations (generated generations)", () => {
  it("keeps the secret receivers hold: after raising the generation, the previous slot is the one that was current, unchanged", () => {
    fc.assert(fc.property(generation, (g) => {
      expect(identity(plan(g + 1, UNTIL).previous)).toBe(identity(plan(g).current));
    }));
  });

  it("makes a new secret at each rotation: the slot that becomes current has name and keepers it did not have before", () => {
    fc.assert(fc.property(generation, (g) => {
      const before = plan(g).slots.map(identity);
      expect(before).not.toContain(identity(plan(g + 1).current));
    }));
  });

  it("never has more than two slots, and the current one holds the declared generation", () => {
    fc.assert(fc.property(generation, (g) => {
      const { slots, current } = plan(g);
      expect(slots.length).toBeLessThanOrEqual(2);
      expect(current.generation).toBe(g);
      expect(new Set(slots.map((s) => s.name)).size).toBe(slots.length);
    }));
  });

  it("declares generation 1 as before rotation existed: one key, webhook-key, without keepers (a stack from before keeps its secret)", () => {
    expect(plan(1).slots).toEqual([{ name: "webhook-key", generation: 1 }]);
  });

  it("signs with the previous secret only during a declared overlap", () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 999 }), (g) => {
      expect(plan(g).previous).toBeUndefined();
      expect(plan(g, UNTIL)).toMatchObject({ previous: { generation: g - 1 }, previousUntil: Date.parse(UNTIL) });
    }));
    expect(plan(1, UNTIL).previous).toBeUndefined();
  });
});

describe("webhookSigning in the org spec", () => {
  const withSigning = (signing: unknown) => problemsAfter((o) => { o["webhookSigning"] = signing; });
  const ahead = (days: number) => new Date(NOW.getTime() + days * 24 * 60 * 60 * 1000).toISOString();

  it("takes a rotation with an overlap of up to 30 days, and a passed overlap (which means: only the current secret)", () => {
    expect(withSigning({ generation: 2, previousUntil: ahead(7) })).toEqual([]);
    expect(withSigning({ generation: 5, previousUntil: ahead(30) })).toEqual([]);
    expect(withSigning({ generation: 2, previousUntil: ahead(-1) })).toEqual([]);
    expect(withSigning({ generation: 3 })).toEqual([]);
  });

  it("refuses an overlap before the first rotation, one longer than 30 days, a generation out of 1..1000, and unknown keys", () => {
    expect(withSigning({ generation: 1, previousUntil: ahead(1) })).toEqual(["tenantry:org.webhookSigning.previousUntil must be omitted before the first rotation (generation 2 or more): there is no previous secret"]);
    expect(withSigning({ generation: 2, previousUntil: ahead(31) })).toEqual(["tenantry:org.webhookSigning.previousUntil must be a valid time at most 30 days ahead (once it has passed, only the current secret signs)"]);
    expect(withSigning({ generation: 0 })).toEqual(["tenantry:org.webhookSigning.generation must be a whole number 1..1000 (got 0)"]);
    expect(withSigning({ generation: 1.5 })).toEqual(["tenantry:org.webhookSigning.generation must be a whole number 1..1000 (got 1.5)"]);
    expect(withSigning({ generation: 2, secret: "whsec_AAAA" })).toHaveLength(1);
  });
});
