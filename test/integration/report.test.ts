import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReport, savedProof } from "../../cli/commands/report";
import { standInSecretValues } from "../../local/edge";
import { loadLocalStack } from "../../local/up";
import { CliProject, CLI_TEST_TIMEOUT_MS, type Finished } from "../helpers/cli-project";
import { REPO_DIR } from "../helpers/local";

/*
 * `tenantry report` end to end on the example org (as org trustco, a slug of this file's own, in
 * a scratch project with its own embedded Postgres): a fresh run applies and proves, a saved
 * `prove --local --json` result is fed back, and neither the model nor the written pages hold a
 * secret: not the canaries a user might have in the command's environment, not a password the
 * local state holds, not a value the outbound Worker resolved during the proof.
 */

/** The example org under this file's slug; its secret references move with it (they are scoped to <org>/). */
const stackText = readFileSync(join(REPO_DIR, "stacks", "Pulumi.org-acme.yaml"), "utf8")
  .replace(/^(\s+)slug: acme$/m, "$1slug: trustco").replaceAll("aws-secretsmanager:acme/", "aws-secretsmanager:trustco/");

const CANARIES = { PGPASSWORD: "canary-pg-7f3a9c2e1b", AWS_SECRET_ACCESS_KEY: "canary-aws-4d8e2a6b0c", STRIPE_API_KEY: "sk_live_canary_9b1e5f3d7a" };
/** The shapes of the stand-in values the outbound Worker resolves during a local proof (local/edge.ts standInSecretValues). */
const STAND_IN_VALUE = /local-[A-Za-z0-9_-]{24}|whsec_[A-Za-z0-9+/=]{20,}/;

const project = new CliProject([], { env: CANARIES });
const runs: Record<string, Finished> = {};

/** Every password the local state holds: the generated ones (random outputs) and each role's. */
function statePasswords(): string[] {
  return Object.values(project.state().stacks).flatMap((s) => s.resources.flatMap((r) => [r.inputs["password"], r.outputs?.["result"]].filter((v): v is string => typeof v === "string" && v.length >= 8)));
}

function secretsIn(text: string): string[] {
  const found = [...Object.values(CANARIES), ...statePasswords()].filter((needle) => text.includes(needle));
  return STAND_IN_VALUE.test(text) ? [...found, `a stand-in value (${STAND_IN_VALUE.exec(text)?.[0].slice(0, 8) ?? ""}...)`] : found;
}

beforeAll(() => {
  mkdirSync(join(project.dir, "stacks"), { recursive: true });
  writeFileSync(join(project.dir, "stacks", "Pulumi.org-trustco.yaml"), stackText);
  runs["fresh"] = project.run("report", "org-trustco", "--out", "fresh.html");
  runs["prove"] = project.run("prove", "--local", "org-trustco", "--json");
  writeFileSync(join(project.dir, "saved.json"), runs["prove"].stdout);
  runs["saved"] = project.run("report", "org-trustco", "--proof", "saved.json", "--out", "saved.html");
}, CLI_TEST_TIMEOUT_MS * 2);

afterAll(() => {
  project.remove();
});

const page = (name: string) => readFileSync(join(project.dir, name), "utf8");
/** The page's provenance line as a reader sees it: its text, without the markup. */
const provenance = (name: string) => (/<p class="provenance"[^>]*>(.*?)<\/p>/s.exec(page(name))?.[1] ?? "").replace(/<[^>]+>/g, "");

describe("tenantry report on the example org", () => {
  it("applies and proves the stack, writes the page and prints its path and size; the page says the proof is fresh", () => {
    expect(runs["fresh"]?.code, runs["fresh"]?.out).toBe(0);
    expect(runs["fresh"]?.stderr).toMatch(/org-trustco: \d+ created as tenantry/);
    expect(runs["fresh"]?.stdout).toMatch(/^wrote fresh\.html \([\d,]+ bytes\) for org-trustco: proof fresh; claims: \d+ hold, 0 broken, \d+ skipped; rules: (\d+) of \1 pass \([\d.]+ s\)\n$/);
    expect(provenance("fresh.html")).toMatch(/^Evidence: a fresh proof run for this page, on .+, at \d{4}-\d\d-\d\dT[^.]+\.\d+Z\. Claims: \d+ held, 0 broken, \d+ skipped\.$/);
  });

  it("tags every claim of prove --local --json with a property and its time, and says when and by which tenantry it proved", () => {
    expect(runs["prove"]?.code).toBe(0);
    const json = JSON.parse(runs["prove"]?.stdout ?? "") as { provedAt: string; tenantry: { version: string; commit: string }; stacks: { claims: { claim: string; properties?: number[]; at?: string }[] }[] };
    expect(json.provedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(json.tenantry.version).toBe("0.1.0");
    const claims = json.stacks[0]?.claims ?? [];
    expect(claims.length).toBeGreaterThan(100);
    expect(claims.filter((c) => (c.properties ?? []).length === 0 || c.at === undefined).map((c) => c.claim)).toEqual([]);
    // Claims of the database, the edge, the operator gateway: each part of the proof is tagged.
    expect(new Set(claims.flatMap((c) => c.properties ?? []))).toEqual(new Set([1, 2, 3, 4, 5, 7, 8, 9, 10, 13, 16, 17, 18, 19]));
  });

  it("builds the page from the saved proof, and says it is saved, from which file and when it was proved", () => {
    expect(runs["saved"]?.code, runs["saved"]?.out).toBe(0);
    const { provedAt } = JSON.parse(runs["prove"]?.stdout ?? "") as { provedAt: string };
    expect(runs["saved"]?.stdout).toContain(`proof saved, from saved.json, proved at ${provedAt}`);
    expect(provenance("saved.html")).toContain(`Evidence: a saved proof result read from saved.json, on `);
    expect(provenance("saved.html")).toContain(`, at ${provedAt}, as the file says.`);
  });

  it("refuses a saved proof of another stack with exit 2, naming both", () => {
    writeFileSync(join(project.dir, "stacks", "Pulumi.org-trustcob.yaml"), stackText.replace(/^(\s+)slug: trustco$/m, "$1slug: trustcob").replaceAll("aws-secretsmanager:trustco/", "aws-secretsmanager:trustcob/"));
    const other = project.run("report", "org-trustcob", "--proof", "saved.json");
    expect({ code: other.code, stderr: other.stderr }).toEqual({
      code: 2, stderr: "error: --proof saved.json is a proof of org-trustco, not of org-trustcob: prove this stack (tenantry prove --local org-trustcob --json) or name the stack it is for\n",
    });
  });

  it("refuses an --out whose folder does not exist with exit 2, before proving anything", () => {
    const missing = project.run("report", "org-trustco", "--proof", "saved.json", "--out", "no-such-folder/page.html");
    expect({ code: missing.code, stderr: missing.stderr }).toEqual({ code: 2, stderr: "error: --out no-such-folder/page.html: its folder does not exist\n" });
  });

  it("never puts a secret in the model or the pages: no canary from the environment, no state password, no value the proof resolved", async () => {
    const passwords = statePasswords();
    expect(passwords.length).toBeGreaterThan(5);
    const loaded = loadLocalStack(project.dir, "org-trustco");
    const { model, html } = await buildReport(loaded, await savedProof(loaded, join(project.dir, "saved.json")));
    expect(model.properties.flatMap((p) => p.claims).length).toBeGreaterThan(100);
    for (const [name, text] of [["model", JSON.stringify(model)], ["html", html], ["fresh.html", page("fresh.html")], ["saved.html", page("saved.html")]] as const) {
      expect(secretsIn(text), name).toEqual([]);
    }
  });

  it("control: the same search finds each kind of secret planted in a page", () => {
    const [password] = statePasswords();
    const standIn = Object.values(standInSecretValues(loadLocalStack(project.dir, "org-trustco").tenant.spec)).flatMap((v) => Object.values(JSON.parse(v) as Record<string, string>));
    expect(standIn.length).toBeGreaterThan(2);
    for (const planted of [CANARIES.STRIPE_API_KEY, password ?? "", ...standIn]) expect(secretsIn(`${page("saved.html")}${planted}`).length, planted.slice(0, 6)).toBeGreaterThan(0);
  });
});
