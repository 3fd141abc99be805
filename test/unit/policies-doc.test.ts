import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { OFFLINE_CHECKS, offlineOnlyChecks, type OfflineCheckFacts } from "../../harness/offline-checks";
import type { RegisteredResource } from "../../harness/recording-monitor";
import type { ProgramRun } from "../../harness/run-program";
import { POLICY_AREAS, POLICY_PACK_NAME, TENANTRY_POLICIES, type PolicyArea } from "../../policies/all";
import type { TenantryPolicy } from "../../policies/policy-types";
import { anchor, escapeText } from "../../reference/markdown";
import { renderPoliciesDoc } from "../../reference/policies-doc";
import { runOrg, TYPES } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * docs/policies.md is complete: every rule the pack runs is on the committed page, in its
 * area, with its level, what it requires and a reason; no rule defined in policies/ is left out
 * of the pack (and so of the page); and so is every check `tenantry check` makes beside the pack
 * (harness/offline-checks.ts), with why it runs only there. The staleness check (generated-files.test.ts) then keeps the
 * page equal to what the generator renders from the rules.
 */

const root = join(__dirname, "..", "..");
const committed = readFileSync(join(root, "docs", "policies.md"), "utf8");

/** The lines under a heading, up to the next heading of any level. */
function sectionOf(page: string, heading: string): string | undefined {
  const lines = page.split("\n");
  const start = lines.indexOf(heading);
  if (start < 0) return undefined;
  const end = lines.findIndex((line, i) => i > start && line.startsWith("#"));
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}

/** A reason is a sentence of its own, not a blank or the description said again. */
const hasReason = (policy: TenantryPolicy) => policy.rationale.trim().length >= 40 && policy.rationale !== policy.description;

/** Every rule of `areas` that `page` lacks or documents without its area, level, description or reason. */
function missingFromPage(areas: readonly PolicyArea[], page: string): string[] {
  return areas.flatMap((area) => area.policies.filter((policy) => {
    const text = sectionOf(page, `### ${policy.name}`);
    return text === undefined || !hasReason(policy) || !inArea(page, area.title, policy.name) ||
      !text.includes(`\`${policy.enforcementLevel ?? "advisory"}\``) ||
      !text.includes(`**Requires:** ${escapeText(policy.description)}\n`) ||
      !text.includes(`**Why:** ${escapeText(policy.rationale)}\n`);
  }).map((policy) => policy.name));
}

/** The rule's heading comes after its area's heading and before the next area's. */
function inArea(page: string, title: string, name: string): boolean {
  const lines = page.split("\n");
  const area = lines.indexOf(`## ${escapeText(title)}`);
  const rule = lines.indexOf(`### ${name}`);
  const nextArea = lines.findIndex((line, i) => i > area && line.startsWith("## "));
  return area >= 0 && rule > area && (nextArea < 0 || rule < nextArea);
}

const fakeRule = (name: string, rationale: string): TenantryPolicy => ({
  name, description: "Nothing is ever declared.", rationale, enforcementLevel: "mandatory", validateStack: () => undefined,
});

describe("docs/policies.md", () => {
  it("documents every rule of the pack in its area, with its level, what it requires and why", () => {
    expect(TENANTRY_POLICIES.length).toBeGreaterThan(30);
    expect(missingFromPage(POLICY_AREAS, committed)).toEqual([]);
  });

  it("misses a rule added to the pack after it was rendered, and a rule without a reason (the check can fail)", () => {
    const areas = [...POLICY_AREAS, { title: "New area", summary: "Added later.", policies: [fakeRule("new-rule", "A reason long enough to be a sentence of its own.")] }];
    expect(missingFromPage(areas, committed)).toEqual(["new-rule"]);
    expect(missingFromPage(areas, renderPoliciesDoc({ name: POLICY_PACK_NAME, version: "0.0.0", areas, offlineChecks: [] }))).toEqual([]);
    const blank = [{ title: "Blank", summary: "No reason.", policies: [fakeRule("blank-rule", " ")] }];
    expect(missingFromPage(blank, renderPoliciesDoc({ name: POLICY_PACK_NAME, version: "0.0.0", areas: blank, offlineChecks: [] }))).toEqual(["blank-rule"]);
  });

  it("has each rule of the pack in exactly one area", () => {
    const names = POLICY_AREAS.flatMap((area) => area.policies.map((policy) => policy.name));
    expect(new Set(names).size).toBe(names.length);
    expect(TENANTRY_POLICIES.map((policy) => policy.name)).toEqual(names);
  });

  it("leaves out no rule defined in policies/ (a rule not listed in the pack would run nowhere and be documented nowhere)", async () => {
    const dir = join(root, "policies");
    // index.ts constructs the PolicyPack, which starts a gRPC server: it is never imported.
    const modules = await Promise.all(readdirSync(dir).filter((file) => file.endsWith(".ts") && file !== "index.ts")
      .map(async (file) => [file, await import(join(dir, file)) as Record<string, unknown>] as const));
    const defined = modules.flatMap(([file, exports]) => Object.entries(exports)
      .filter(([, value]) => typeof value === "object" && value !== null && "name" in value && ("validateResource" in value || "validateStack" in value))
      .map(([name, value]) => ({ where: `${file} ${name}`, policy: value })));
    expect(defined.length).toBe(TENANTRY_POLICIES.length);
    expect(defined.filter(({ policy }) => !(TENANTRY_POLICIES as readonly unknown[]).includes(policy)).map(({ where }) => where)).toEqual([]);
  });

  it("renders any requirement and reason back as written", () => {
    fc.assert(fc.property(fc.string(), fc.string(), (description, rationale) => {
      const page = renderPoliciesDoc({ name: POLICY_PACK_NAME, version: "1.0.0", areas: [{ title: "Area", summary: "S.", policies: [{ ...fakeRule("rule", rationale), description }] }], offlineChecks: [] });
      const rendered = (prefix: string) => (page.split("\n").find((line) => line.startsWith(prefix)) ?? "").slice(prefix.length)
        .replace(/\\([!-/:-@[-`{-~])/g, "$1");
      expect(rendered("**Requires:** ")).toBe(description.replace(/\s+/g, " ").trim());
      expect(rendered("**Why:** ")).toBe(rationale.replace(/\s+/g, " ").trim());
    }));
  });

  it("renders a rule's configuration from its configSchema", () => {
    const configured: TenantryPolicy = { ...fakeRule("configured-rule", "A reason long enough to be a sentence of its own."),
      configSchema: { properties: { maxDays: { type: "integer", default: 14 }, owner: { type: "string" } }, required: ["owner"] } };
    const page = renderPoliciesDoc({ name: POLICY_PACK_NAME, version: "1.0.0", areas: [{ title: "Area", summary: "S.", policies: [configured] }], offlineChecks: [] });
    expect(sectionOf(page, "## Configuration")).toContain("| [`configured-rule`](#configured-rule) | `maxDays` | integer | `14` |  |");
    expect(sectionOf(page, "## Configuration")).toContain("| [`configured-rule`](#configured-rule) | `owner` | string |  | yes |");
    expect(sectionOf(committed, "## Configuration")).toContain("No rule takes configuration");
  });

  it("is right that the workflows pass the pack no configuration (a config file could disable a rule)", () => {
    const workflows = join(root, ".github", "workflows");
    const texts = readdirSync(workflows).map((file) => readFileSync(join(workflows, file), "utf8"));
    expect(texts.some((text) => text.includes("policyPacks: policies"))).toBe(true);
    expect(texts.filter((text) => /policyPackConfigs|policy-pack-config/.test(text))).toEqual([]);
  });

  it("links only to headings it has, each heading's anchor once", () => {
    const anchors = committed.split("\n").filter((line) => /^#{1,6} /.test(line)).map((line) => anchor(line.replace(/^#+ /, "")));
    expect(new Set(anchors).size).toBe(anchors.length);
    const links = [...committed.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]);
    expect(links.length).toBeGreaterThan(TENANTRY_POLICIES.length);
    expect(links.filter((link) => !anchors.includes(link ?? ""))).toEqual([]);
  });
});

describe("docs/policies.md: the checks tenantry check makes beside the pack", () => {
  const OFFLINE_TITLE = "Offline-only checks";
  const says = (text: string) => text.trim().length >= 40;

  /** Every check `page` lacks or documents outside its section, without its level, requirement, refusal, reason or why it is offline only. */
  function offlineMissingFromPage(checks: readonly OfflineCheckFacts[], page: string): string[] {
    return checks.filter((check) => {
      const text = sectionOf(page, `### ${check.name}`);
      return text === undefined || !inArea(page, OFFLINE_TITLE, check.name) ||
        !says(check.refuses) || !says(check.rationale) || !says(check.offlineBecause) || !check.offlineBecause.includes("pulumi preview") ||
        !text.includes(`\`${check.enforcementLevel}\``) ||
        !text.includes(`**Requires:** ${escapeText(check.description)}\n`) ||
        !text.includes(`**Refuses:** ${escapeText(check.refuses)}\n`) ||
        !text.includes(`**Why:** ${escapeText(check.rationale)}\n`) ||
        !text.includes(`**Why offline only:** ${escapeText(check.offlineBecause)}\n`);
    }).map((check) => check.name);
  }

  const fakeCheck = (name: string, offlineBecause: string): OfflineCheckFacts => ({
    name,
    description: "Nothing is ever declared.",
    refuses: "Any resource at all, whatever it is and whoever declares it.",
    rationale: "A reason long enough to be a sentence of its own.",
    offlineBecause,
    enforcementLevel: "mandatory",
  });
  const render = (offlineChecks: readonly OfflineCheckFacts[]) => renderPoliciesDoc({ name: POLICY_PACK_NAME, version: "0.0.0", areas: POLICY_AREAS, offlineChecks });

  it("documents every offline check under its own heading: level, what it requires and refuses, why, and why only offline (what pulumi preview does instead)", () => {
    expect(OFFLINE_CHECKS.length).toBeGreaterThan(0);
    expect(offlineMissingFromPage(OFFLINE_CHECKS, committed)).toEqual([]);
  });

  it("(control) misses a check added after the page was rendered, one that does not say why it is offline only, and every check when the section is not rendered", () => {
    const added = [...OFFLINE_CHECKS, fakeCheck("new-check (offline only)", "The pack is never shown it; a real pulumi preview lets it through.")];
    expect(offlineMissingFromPage(added, committed)).toEqual(["new-check (offline only)"]);
    expect(offlineMissingFromPage(added, render(added))).toEqual([]);
    const unexplained = [fakeCheck("unexplained-check (offline only)", " ")];
    expect(offlineMissingFromPage(unexplained, render(unexplained))).toEqual(["unexplained-check (offline only)"]);
    expect(offlineMissingFromPage(OFFLINE_CHECKS, render([]))).toEqual(OFFLINE_CHECKS.map((check) => check.name));
  });

  it("has a section for every offline check the README's posture table cites", () => {
    const readme = readFileSync(join(root, "README.md"), "utf8");
    const cited = [...new Set([...readme.matchAll(/`([a-z-]+ \(offline only\))`/g)].map((match) => match[1] ?? ""))];
    expect(cited.length).toBeGreaterThan(0);
    expect(cited.filter((name) => sectionOf(committed, `### ${name}`) === undefined)).toEqual([]);
  });

  describe("over the program's own resources, changed at random", () => {
    let marked: ProgramRun;
    beforeAll(async () => {
      // Marked for offboarding, so every Postgres resource must be retained, not only the database.
      marked = await runOrg({ ...validOrgInput(), offboarding: { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31" } });
    });

    it("reports violations only under names the page documents, and the changes reach every offline check", () => {
      expect(offlineOnlyChecks(marked.resources)).toEqual([]);
      const seen = new Set<string>();
      const index = fc.nat({ max: marked.resources.length - 1 });
      fc.assert(fc.property(fc.uniqueArray(index, { maxLength: 8 }), fc.uniqueArray(index, { maxLength: 8 }), (unretained, plain) => {
        const resources = marked.resources.map((resource, i): RegisteredResource => ({
          ...resource,
          retainOnDelete: unretained.includes(i) ? false : resource.retainOnDelete,
          inputs: plain.includes(i) && resource.type === TYPES.role ? { ...resource.inputs, password: "hunter2" } : resource.inputs,
        }));
        for (const violation of offlineOnlyChecks(resources)) {
          seen.add(violation.policy);
          expect(sectionOf(committed, `### ${violation.policy}`), violation.policy).toBeDefined();
        }
      }), { numRuns: 200 });
      // The generator breaks every check, or the property above would prove little.
      expect([...seen].sort()).toEqual(OFFLINE_CHECKS.map((check) => check.name).sort());
    });
  });
});
