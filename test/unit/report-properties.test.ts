import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { OFFLINE_CHECKS } from "../../harness/offline-checks";
import { TENANTRY_POLICIES } from "../../policies/all";
import { POSTURE_PROPERTIES } from "../../report/properties";
import { propertyVerdict, reportProperties } from "../../report/property-verdict";
import type { ClaimStatus, PolicyOutcome, ReportClaim } from "../../report/report-model";

const claim = (status: ClaimStatus, properties: number[] = [5]) => ({ claim: `c-${status}`, attempt: "as tn_acme_dev_runtime: DELETE FROM audit.events", result: status === "fail" ? "ALLOWED, expected refused 42501" : "refused 42501", status, properties });
const rule = (outcome: "pass" | "fail", enforcement: PolicyOutcome["enforcement"] = "mandatory"): PolicyOutcome => ({ rule: "audit-ledger-select-insert-only", enforcement, outcome });

describe("the posture table in code", () => {
  it("has DESIGN.md's twenty properties, numbered 1-20 in order", () => {
    expect(POSTURE_PROPERTIES.map((p) => p.number)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    expect(POSTURE_PROPERTIES[5]?.title).toBe("per-app isolated runtime");
    expect(POSTURE_PROPERTIES[11]?.title).toBe("promotion with separation of duties");
  });

  it("names only rules the pack or tenantry check's offline checks have", () => {
    const known = new Set([...TENANTRY_POLICIES.map((p) => p.name), ...OFFLINE_CHECKS.map((c) => c.name)]);
    for (const p of POSTURE_PROPERTIES) {
      for (const name of [...p.policies, ...(p.elsewhere?.policies ?? [])]) expect(known.has(name), `${p.number}: ${name}`).toBe(true);
    }
  });

  it("says why for the properties no offline claim can show: Cloudflare's isolation (6), GitHub's rules (12)", () => {
    expect(POSTURE_PROPERTIES[5]?.offline).toMatch(/Cloudflare/);
    expect(POSTURE_PROPERTIES[11]?.offline).toMatch(/GitHub/);
  });
});

describe("a property's verdict", () => {
  it("is broken when one claim failed, whatever else held", () => {
    expect(propertyVerdict({ claims: [claim("pass"), claim("fail"), claim("pass")], rules: [rule("pass")] })).toBe("broken");
  });

  it("is broken when a mandatory rule failed on the stack, but not for an advisory", () => {
    expect(propertyVerdict({ claims: [claim("pass")], rules: [rule("fail")] })).toBe("broken");
    expect(propertyVerdict({ claims: [claim("pass")], rules: [rule("fail", "advisory")] })).toBe("proven");
  });

  it("is proven only with a claim that held; skipped claims prove nothing", () => {
    expect(propertyVerdict({ claims: [claim("pass"), claim("skip")], rules: [] })).toBe("proven");
    expect(propertyVerdict({ claims: [claim("skip")], rules: [rule("pass")] })).toBe("policy-only");
    expect(propertyVerdict({ claims: [claim("skip")], rules: [] })).toBe("not-proven-offline");
  });

  it("is never proven or policy-only when any evidence of it is a failure (generated evidence)", () => {
    const claims = fc.array(fc.constantFrom<ClaimStatus>("pass", "fail", "skip").map((s) => claim(s)), { maxLength: 6 });
    const rules = fc.array(fc.tuple(fc.constantFrom<"pass" | "fail">("pass", "fail"), fc.constantFrom<PolicyOutcome["enforcement"]>("mandatory", "advisory")).map(([o, e]) => rule(o, e)), { maxLength: 4 });
    fc.assert(fc.property(claims, rules, (c, r) => {
      const verdict = propertyVerdict({ claims: c, rules: r });
      const failed = c.some((x) => x.status === "fail") || r.some((x) => x.outcome === "fail" && x.enforcement === "mandatory");
      expect(verdict === "broken").toBe(failed);
      if (verdict === "proven") expect(c.some((x) => x.status === "pass")).toBe(true);
    }));
  });
});

describe("the page's properties from a proof and the pack's outcomes", () => {
  const passing = (n: number, name = `claim ${n}`): ReportClaim & { properties: number[] } => ({ claim: name, attempt: "a", result: "r", status: "pass", properties: [n], at: "2026-11-27T10:00:00.000Z" });
  const outcomes: PolicyOutcome[] = POSTURE_PROPERTIES.flatMap((p) => p.policies).map((r) => ({ rule: r, enforcement: "mandatory", outcome: "pass" }));

  it("puts each claim under the properties it is tagged with, and a broken claim makes its property broken", () => {
    const broken = { ...passing(5, "no tenant role can UPDATE the ledger"), status: "fail" as const, result: "ALLOWED, expected refused 42501" };
    const props = reportProperties(POSTURE_PROPERTIES, [passing(1), passing(5), broken, { ...passing(16), properties: [16, 5] }], outcomes, "fresh");
    const five = props.find((p) => p.number === 5);
    expect(five?.verdict).toBe("broken");
    expect(five?.claims.map((c) => c.claim)).toEqual(["claim 5", "no tenant role can UPDATE the ledger", "claim 16"]);
    expect(five?.note).toBe('broken by claim "no tenant role can UPDATE the ledger": ALLOWED, expected refused 42501');
    expect(props.find((p) => p.number === 1)?.verdict).toBe("proven");
    expect(props.find((p) => p.number === 16)?.verdict).toBe("proven");
  });

  it("says policy-only or not proven offline, with why, where no claim shows a property", () => {
    const props = reportProperties(POSTURE_PROPERTIES, [passing(1)], outcomes, "fresh");
    expect(props.find((p) => p.number === 6)).toMatchObject({ verdict: "policy-only", note: expect.stringMatching(/Cloudflare's isolation/) });
    expect(props.find((p) => p.number === 12)).toMatchObject({ verdict: "not-proven-offline", note: expect.stringMatching(/GitHub.*github-promotion-gates/s) });
    expect(props.find((p) => p.number === 17)).toMatchObject({ verdict: "not-proven-offline", note: expect.stringMatching(/no claim/) });
  });

  it("never calls capacity (20) guarded for an org placed on no cluster, whose rule passes with nothing to judge; a placed org's passing rule does guard it", () => {
    const unplaced = reportProperties(POSTURE_PROPERTIES, [passing(1)], outcomes, "fresh", { placed: false }).find((p) => p.number === 20);
    expect(unplaced).toMatchObject({ verdict: "not-proven-offline", note: expect.stringMatching(/not placed on a declared cluster/) });
    expect(reportProperties(POSTURE_PROPERTIES, [passing(1)], outcomes, "fresh", { placed: true }).find((p) => p.number === 20)?.verdict).toBe("policy-only");
    // A claim that attempted it (a placed org's proof) still counts, placed or not.
    expect(reportProperties(POSTURE_PROPERTIES, [passing(20)], outcomes, "fresh", { placed: false }).find((p) => p.number === 20)?.verdict).toBe("proven");
  });

  it("shows an untagged claim under no property, so it counts for none", () => {
    const props = reportProperties(POSTURE_PROPERTIES, [{ claim: "c", attempt: "a", result: "r", status: "pass" }], [], "fresh");
    expect(props.every((p) => p.claims.length === 0 && p.verdict === "not-proven-offline")).toBe(true);
  });
});
