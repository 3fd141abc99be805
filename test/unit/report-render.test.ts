import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DIAGRAM_LIMITS, renderDiagramSvg } from "../../report/diagram-svg";
import { markupOf } from "../../report/html";
import { renderReportHtml } from "../../report/render-html";
import type { ReportClaim, ReportModel } from "../../report/report-model";
import { shownVerdict } from "../../report/verdict";
import { acmeReportModel, BROKEN_CLAIM, SECRET_CANARY } from "../fixtures/report-model";
import { elementsOf, textsOf } from "../helpers/html-structure";

const page = renderReportHtml(acmeReportModel());
const attr = (name: string) => elementsOf(page).flatMap((e) => e.attrs.filter((a) => a.name === name).map((a) => ({ tag: e.tag, value: a.value })));

describe("the trust page is one self-contained static file", () => {
  it("carries a CSP that refuses every fetch and admits only its own stylesheet, by hash", () => {
    const metas = elementsOf(page).filter((e) => e.attrs.some((a) => a.name === "http-equiv"));
    expect(metas).toHaveLength(1);
    const policy = metas[0]?.attrs.find((a) => a.name === "content")?.value ?? "";
    const styles = textsOf(page, "style");
    expect(styles).toHaveLength(1);
    const hash = createHash("sha256").update(styles[0] ?? "", "utf8").digest("base64");
    expect(policy.split("; ")).toEqual([`default-src 'none'`, `style-src 'sha256-${hash}'`, `base-uri 'none'`, `form-action 'none'`]);
    expect(policy).not.toContain("unsafe");
  });

  it("has no script, no external reference, no inline style attribute and no event handler", () => {
    const elements = elementsOf(page);
    expect(elements.filter((e) => ["script", "link", "img", "iframe", "object", "embed", "base", "form"].includes(e.tag))).toEqual([]);
    expect(attr("src")).toEqual([]);
    expect(attr("style")).toEqual([]);
    expect(attr("href").every((a) => a.value.startsWith("#"))).toBe(true);
    expect(elements.flatMap((e) => e.attrs.filter((a) => a.name.startsWith("on")))).toEqual([]);
  });

  it("never prints the canary the fixture hides in a secret's value and the proof's raw log", () => {
    expect(JSON.stringify(acmeReportModel())).toContain(SECRET_CANARY); // control: it is in the model
    expect(page).not.toContain(SECRET_CANARY);
    expect(page).not.toContain("rawLog");
  });
});

describe("what the page shows for acme", () => {
  it("says where its evidence came from before any section", () => {
    const provenance = textsOf(page, "p", "provenance")[0] ?? "";
    expect(provenance).toBe("Evidence: a fresh proof run for this page, on the embedded Postgres 18 and workerd, at 2026-11-27T21:40:00.000Z. Claims: 41 held, 1 broken, 2 skipped.");
    expect(page.indexOf('class="provenance"')).toBeLessThan(page.indexOf("<section"));
  });

  it("states a saved proof as saved, its words as the file's, and that it proves nothing here", () => {
    const saved: ReportModel = { ...acmeReportModel(), proof: { ...acmeReportModel().proof, source: { kind: "saved", file: "proof-acme.json" } } };
    expect(textsOf(renderReportHtml(saved), "p", "provenance")[0]).toBe(
      "Evidence: a saved proof result read from proof-acme.json, on the embedded Postgres 18 and workerd, at 2026-11-27T21:40:00.000Z, as the file says. " +
        "Claims, as the file says: 41 held, 1 broken, 2 skipped. A saved file cannot be verified here, so no property is shown as proven from it.",
    );
  });

  it("gives all 20 properties a badge with an icon and a word, one of each verdict among them", () => {
    const summary = textsOf(page, "table", "posture")[0] ?? "";
    expect(textsOf(page, "section", "property")).toHaveLength(20);
    for (const word of ["✓ proven", "✗ broken", "◐ policy only", "– not proven offline"]) expect(summary).toContain(word);
  });

  it("shows the broken claim as broken, and its property as broken", () => {
    const row = textsOf(page, "tr", "claim").find((r) => r.startsWith(BROKEN_CLAIM.claim)) ?? "";
    expect(row).toContain("✗ broken");
    expect(row).toContain(BROKEN_CLAIM.result);
    expect(textsOf(page, "h3").find((h) => h.startsWith("4. "))).toBe("4. fail-closed guardrails in the database ✗ broken");
  });

  it("lists every secret by reference with its scope and hosts", () => {
    const secrets = textsOf(page, "table", "secrets")[0] ?? "";
    expect(secrets).toContain("STRIPE_API_KEYprodaws-secretsmanager:acme/prod/stripe#api_keyapi.stripe.com");
    expect(secrets).toContain("DATABASE_URLdevaws-secretsmanager:acme/dev/db#urlnone declared");
  });

  it("prints the version and the commit", () => {
    expect(textsOf(page, "footer")[0]).toContain("tenantry 0.1.0, commit 02548e3");
  });
});

describe("shownVerdict: the page never claims more than the claims show", () => {
  const claim = fc.record({ claim: fc.string(), attempt: fc.string(), result: fc.string(), status: fc.constantFrom("pass", "fail", "skip") }) as fc.Arbitrary<ReportClaim>;
  const verdict = fc.constantFrom("proven", "broken", "policy-only", "not-proven-offline") as fc.Arbitrary<ReportModel["properties"][number]["verdict"]>;

  it("shows proven only over at least one held claim and no failed one, whatever the model says", () => {
    fc.assert(
      fc.property(verdict, fc.array(claim, { maxLength: 5 }), fc.array(fc.string(), { maxLength: 2 }), (said, claims, policies) => {
        const shown = shownVerdict({ verdict: said, claims, policies }, "fresh");
        if (shown.verdict === "proven") {
          expect(claims.some((c) => c.status === "pass")).toBe(true);
          expect(claims.some((c) => c.status === "fail")).toBe(false);
        }
        if (claims.some((c) => c.status === "fail")) expect(shown.verdict).toBe("broken");
        if (shown.verdict !== said) expect(shown.downgraded).toBeDefined();
      }),
    );
  });

  it("keeps a weaker verdict the model gives", () => {
    expect(shownVerdict({ verdict: "not-proven-offline", claims: [], policies: ["x"] }, "fresh")).toEqual({ verdict: "not-proven-offline" });
  });
});

describe("the diagram", () => {
  it("draws acme's six schemas, each environment's two roles and its three apps, each joined to its workspace", () => {
    const svg = `<body>${markupOf(renderDiagramSvg(acmeReportModel().org))}</body>`;
    const labels = textsOf(svg, "text");
    for (const schema of ["web_dev", "web_test", "web_prod", "billing_dev", "billing_test", "billing_prod"]) expect(labels).toContain(schema);
    for (const env of ["dev", "test", "prod"]) expect(labels).toEqual(expect.arrayContaining([env, `runtime tn_acme_${env}_runtime`, `DDL tn_acme_${env}_ddl`]));
    expect(labels).toEqual(expect.arrayContaining(["storefront", "invoices", "finance-console"]));
    expect(elementsOf(svg).filter((e) => e.tag === "path")).toHaveLength(3);
  });

  it("cuts a long label to fit its box and keeps the whole text in the shape's title", () => {
    const svg = `<body>${markupOf(renderDiagramSvg(acmeReportModel().org))}</body>`;
    const access = "named users: cfo@acme.com, controller@acme.com";
    expect(textsOf(svg, "text")).toContain(`${access.slice(0, DIAGRAM_LIMITS.labelChars - 1)}…`);
    expect(textsOf(svg, "title")).toContain(`app finance-console in workspace billing, reachable by: ${access}`);
  });

  it("stays bounded for an org of 200 workspaces and 400 apps, and says what it left out", () => {
    const org = acmeReportModel().org;
    const workspaces = Array.from({ length: 200 }, (_, i) => `ws${i}`);
    const big = { ...org, workspaces, apps: Array.from({ length: 400 }, (_, i) => ({ name: `app${i}`, workspace: `ws${i % 200}`, access: "role viewer or above" })), schemas: undefined };
    const svg = markupOf(renderDiagramSvg(big));
    const shapes = elementsOf(`<body>${svg}</body>`).filter((e) => e.tag === "rect").length;
    const most = DIAGRAM_LIMITS.environments * (DIAGRAM_LIMITS.workspaces + 1) + DIAGRAM_LIMITS.workspaces + 1 + DIAGRAM_LIMITS.apps;
    expect(shapes).toBeLessThanOrEqual(most);
    expect(svg).toContain("… 189 more workspaces, 567 schemas");
    expect(svg).toContain("… 385 more apps");
    expect(Buffer.byteLength(svg)).toBeLessThan(40_000);
  });
});
