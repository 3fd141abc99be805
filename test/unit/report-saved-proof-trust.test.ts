import fc from "fast-check";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readStackFile } from "../../harness/stack-file";
import { proofJson } from "../../cli/render-proof";
import { buildReportModel, type ProvenClaim } from "../../report/build-model";
import { routerOf } from "../../report/gather-evidence";
import { renderReportHtml } from "../../report/render-html";
import type { ReportModel } from "../../report/report-model";
import { savedProofOf } from "../../report/saved-proof";
import { shownVerdict } from "../../report/verdict";
import { tenantStackFromConfig } from "../../spec/stack-config";
import { acmeReportModel } from "../fixtures/report-model";
import { textsOf } from "../helpers/html-structure";

/*
 * The adversary: whoever hands `tenantry report --proof` a file. A saved proof is JSON anyone can
 * edit: flip a failure to a pass, tag one claim with all twenty properties, name a server it never
 * ran on. The page cannot tell an edited file from one prove wrote, so it must never say "proven"
 * from one; it says what the file says, as the file's.
 */

const spec = tenantStackFromConfig({ ...readStackFile(join(__dirname, "../../stacks/Pulumi.org-acme.yaml")), now: new Date() }).spec;
const router = routerOf(spec);

function modelOf(claims: readonly ProvenClaim[], source: ReportModel["proof"]["source"]): ReportModel {
  return buildReportModel({
    spec, ...(router === undefined ? {} : { router }),
    proof: { source, target: "embedded", provedAt: "2026-11-27T10:00:01.000Z", claims },
    policies: [], tenantry: { version: "0.1.0", commit: "unknown" }, generatedAt: "2026-11-27T10:00:02.000Z",
  });
}

/** A claim as a hand-edited file may hold it: any status, tagged with any properties. */
const editedClaim: fc.Arbitrary<ProvenClaim> = fc.record({
  claim: fc.string(), attempt: fc.string(), result: fc.string(),
  status: fc.constantFrom("pass", "fail", "skip"),
  properties: fc.uniqueArray(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 20 }),
});

/** The posture table's badges as a reader sees them. */
const badges = (page: string) => textsOf(page, "table", "posture")[0] ?? "";

describe("a hand-edited saved proof never makes the page say proven", () => {
  it("shows no property proven, in the model or on the page, whatever claims a saved file holds", () => {
    fc.assert(
      fc.property(fc.array(editedClaim, { maxLength: 8 }), (claims) => {
        const model = modelOf(claims, { kind: "saved", file: "saved.json" });
        expect(model.properties.filter((p) => p.verdict === "proven")).toEqual([]);
        expect(badges(renderReportHtml(model))).not.toContain("✓ proven");
        // A held claim is still shown, as unverified: the page says what the file says, as the file's.
        for (const p of model.properties) {
          if (p.claims.some((c) => c.status === "pass") && !p.claims.some((c) => c.status === "fail")) expect(p.verdict).toBe("unverified");
        }
      }),
    );
  });

  it("control: the same claims from a proof run for this page do prove their properties", () => {
    const held: ProvenClaim = { claim: "c", attempt: "a", result: "r", status: "pass", properties: Array.from({ length: 20 }, (_, i) => i + 1) };
    expect(modelOf([held], { kind: "fresh" }).properties.every((p) => p.verdict === "proven")).toBe(true);
    expect(modelOf([held], { kind: "saved", file: "saved.json" }).properties.every((p) => p.verdict === "unverified")).toBe(true);
  });

  it("shows a model that says proven over saved claims as unverified, and says why", () => {
    const lying: ReportModel = { ...acmeReportModel(), proof: { ...acmeReportModel().proof, source: { kind: "saved", file: "saved.json" } } };
    expect(lying.properties.some((p) => p.verdict === "proven")).toBe(true); // control: the model says proven
    const page = renderReportHtml(lying);
    expect(badges(page)).not.toContain("✓ proven");
    expect(badges(page)).toContain("? unverified (saved proof)");
    const proven = lying.properties.find((p) => p.verdict === "proven");
    expect(proven && shownVerdict(proven, "saved")).toEqual({
      verdict: "unverified", downgraded: "the report said proven, but its claims come from a saved proof, which this page cannot verify",
    });
  });

  it("reads the file prove wrote, tags and all, and still calls its held claims unverified", () => {
    const text = JSON.stringify(proofJson(
      [{ stack: "org-acme", target: "embedded", results: [{ claim: "runtime cannot CREATE", attempt: "a", result: "refused 42501", status: "pass", properties: [3] }] }],
      { provedAt: "2026-11-27T10:00:00.000Z", tenantry: { version: "0.1.0", commit: "unknown" } },
    ));
    const { stack } = savedProofOf(text, "saved.json", "org-acme");
    const three = modelOf(stack.claims, { kind: "saved", file: "saved.json" }).properties.find((p) => p.number === 3);
    expect(three).toMatchObject({ verdict: "unverified", note: expect.stringMatching(/^its claims held in a saved proof, as the file says/) });
  });
});
