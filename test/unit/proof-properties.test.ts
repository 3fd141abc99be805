import { describe, expect, it } from "vitest";
import { tagged, type ClaimResult } from "../../local/proof/claim";
import { CLAIMS } from "../../local/proof/prove";
import { proofJson } from "../../cli/render-proof";

const row = (claim: string, extra: Partial<ClaimResult> = {}): ClaimResult => ({ claim, attempt: "a", result: "r", status: "pass", ...extra });

describe("proof claims tagged with the properties they demonstrate", () => {
  it("gives every claim function in the database proof at least one of DESIGN.md's properties 1-20", () => {
    expect(CLAIMS.length).toBeGreaterThan(30);
    for (const { properties, run } of CLAIMS) {
      expect(properties.length, run.name).toBeGreaterThan(0);
      for (const n of properties) expect(Number.isInteger(n) && n >= 1 && n <= 20, `${run.name}: ${n}`).toBe(true);
    }
  });

  it("lists each claim function once, so no claim runs twice under two tags", () => {
    const names = CLAIMS.map((c) => c.run.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it("does not compile a claim tagged with no property, or with a number outside 1-20 (checked by npm run typecheck)", () => {
    // @ts-expect-error: Demonstrates is a non-empty tuple
    const none = () => tagged([], [row("untagged")]);
    // @ts-expect-error: 21 is not one of DESIGN.md's properties
    const outside = () => tagged([21], [row("unknown property")]);
    expect([none, outside].every((f) => typeof f === "function")).toBe(true);
  });

  it("tags every row a claim returned and stamps when it came back, keeping a row's own tag", () => {
    const rows = tagged([5], [row("ledger"), row("router", { properties: [7] })], "2026-11-27T10:00:00.000Z");
    expect(rows.map((r) => r.properties)).toEqual([[5], [7]]);
    expect(rows.every((r) => r.at === "2026-11-27T10:00:00.000Z")).toBe(true);
  });
});

describe("prove --json", () => {
  const provenance = { provedAt: "2026-11-27T10:00:01.000Z", tenantry: { version: "0.1.0", commit: "abc" } };

  it("carries each claim's properties and time, and when and by which tenantry the proof was made", () => {
    const json = proofJson([{ stack: "org-acme", target: "embedded", results: tagged([3], [row("runtime cannot create")], "2026-11-27T10:00:00.000Z") }], provenance);
    expect(json).toEqual({
      provedAt: "2026-11-27T10:00:01.000Z",
      tenantry: { version: "0.1.0", commit: "abc" },
      stacks: [{
        stack: "org-acme", target: "embedded",
        claims: [{ claim: "runtime cannot create", attempt: "a", result: "r", status: "pass", properties: [3], at: "2026-11-27T10:00:00.000Z" }],
        summary: { hold: 1, broken: 0, skipped: 0 },
      }],
    });
  });

  it("keeps the old shape for rows and runs that set neither (the after-deploy proof)", () => {
    expect(proofJson([{ stack: "org-acme", target: "postgres://h:5432/tn_acme", results: [row("c")] }])).toEqual({
      stacks: [{ stack: "org-acme", target: "postgres://h:5432/tn_acme", claims: [{ claim: "c", attempt: "a", result: "r", status: "pass" }], summary: { hold: 1, broken: 0, skipped: 0 } }],
    });
  });
});
