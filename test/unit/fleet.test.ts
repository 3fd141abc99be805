import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_OK, EXIT_VIOLATIONS } from "../../cli/exit-codes";
import { writeStandInPulumi } from "../helpers/stand-in-pulumi";

/*
 * `tenantry fleet` orchestrating a stand-in `pulumi` executable (the real CLI cannot be
 * installed here; test/helpers/stand-in-pulumi.ts): the concurrency bound, failure isolation,
 * one work directory per stack, ordering and the summary.
 */

const REPO = join(__dirname, "..", "..");
const CLI = join(REPO, "dist", "cli", "main.js");
const scratch = mkdtempSync(join(tmpdir(), "tenantry-fleet-test-"));
const STACKS = ["org-alpha", "org-bravo", "org-charlie", "org-delta", "org-echo", "org-foxtrot", "org-golf"];
let bin: string;
/** The fleet's own temporary directory, so its work directories can be counted. */
const childTmp = join(scratch, "tmp");

beforeAll(() => {
  bin = writeStandInPulumi(scratch);
  mkdirSync(childTmp);
  // A project whose stacks/ holds seven orgs: the fleet reads the project's Pulumi.yaml and stacks.
  mkdirSync(join(scratch, "project", "stacks"), { recursive: true });
  cpSync(join(REPO, "Pulumi.yaml"), join(scratch, "project", "Pulumi.yaml"));
  cpSync(join(REPO, "policies"), join(scratch, "project", "policies"), { recursive: true });
  const template = readFileSync(join(REPO, "stacks", "Pulumi.org-acme.yaml"), "utf8");
  for (const stack of STACKS) writeFileSync(join(scratch, "project", "stacks", `Pulumi.${stack}.yaml`), template.replaceAll("acme", stack.slice(4)));
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Invocation { args: string[]; cwd: string; stack?: string; started: number; ended: number; command?: string }

function fleet(logName: string, env: Record<string, string>, ...args: string[]) {
  const log = join(scratch, logName);
  const result = spawnSync(process.execPath, [CLI, "fleet", ...args], {
    cwd: join(scratch, "project"), encoding: "utf8", env: { ...process.env, TMPDIR: childTmp, PATH: `${bin}:${process.env["PATH"] ?? ""}`, STANDIN_LOG: log, ...env },
  });
  const invocations = existsSync(log) ? readFileSync(log, "utf8").trim().split("\n").map((l) => JSON.parse(l) as Invocation) : [];
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, invocations };
}

/** The most runs that overlapped in time. */
function maxOverlap(runs: readonly Invocation[]): number {
  const edges = runs.flatMap((r) => [[r.started, 1], [r.ended, -1]] as const).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let current = 0;
  let max = 0;
  for (const [, delta] of edges) max = Math.max(max, (current += delta));
  return max;
}

describe("tenantry fleet preview", () => {
  it("runs at most --concurrency stacks at once, each in a work directory of its own, with the policy pack", () => {
    // Each stand-in preview lasts 2 s: long enough that the next ones start within it even on a
    // loaded 2-core machine (400 ms was not: a CI run under load 11 saw only 2 at once).
    const { code, stdout, invocations } = fleet("bound.log", { STANDIN_DELAY_MS: "2000" }, "preview", "--concurrency", "3");
    expect(code).toBe(EXIT_OK);
    const previews = invocations.filter((i) => i.command === "preview");
    expect(previews.map((p) => p.stack).sort()).toEqual(STACKS);
    expect(maxOverlap(previews)).toBe(3);
    expect(new Set(previews.map((p) => p.cwd)).size).toBe(STACKS.length);
    expect(previews.every((p) => p.cwd.startsWith(childTmp))).toBe(true);
    for (const p of previews) expect(p.args[p.args.indexOf("--policy-pack") + 1]).toBe(join(scratch, "project", "policies"));
    expect(stdout).toContain("fleet preview: 7 stacks, 7 ok, 0 failed");
    expect(stdout).toMatch(/org-alpha\s+ok\s+100 same, 2 update/);
  }, 60_000);

  it("keeps going past a failing stack, reports it, keeps the order, and exits 1", () => {
    const { code, stdout, invocations } = fleet("failure.log", { STANDIN_DELAY_MS: "100", STANDIN_FAIL: "org-bravo,org-echo" }, "preview", "--concurrency", "2");
    expect(code).toBe(EXIT_VIOLATIONS);
    expect(invocations.filter((i) => i.command === "preview").length).toBe(STACKS.length);
    const rows = stdout.split("\n").filter((l) => l.startsWith("org-"));
    expect(rows.map((r) => r.split(/\s+/)[0])).toEqual(STACKS);
    expect(rows.filter((r) => r.includes("FAILED")).map((r) => r.split(/\s+/)[0])).toEqual(["org-bravo", "org-echo"]);
    expect(stdout).toContain("error: preview of org-bravo failed: the provider refused a change");
    expect(stdout).toContain("fleet preview: 7 stacks, 5 ok, 2 failed");
    // The work directories are gone (the Automation API keeps logs of failed previews of its own).
    expect(readdirSync(childTmp).filter((d) => d.startsWith("tenantry-fleet-"))).toEqual([]);
  }, 60_000);

  it("up creates a stack that was onboarded but never deployed; preview of it fails and says so", () => {
    const up = fleet("missing-up.log", { STANDIN_MISSING: "org-golf" }, "up", "--stacks", "org-golf");
    expect(up.code).toBe(EXIT_OK);
    expect(up.invocations.map((i) => i.command).slice(0, 3)).toEqual(["stack select", "stack init", "up"]);
    const preview = fleet("missing-preview.log", { STANDIN_MISSING: "org-golf" }, "preview", "--stacks", "org-golf");
    expect(preview.code).toBe(EXIT_VIOLATIONS);
    expect(preview.stdout).toContain("error: no stack named 'org-golf' found");
  }, 60_000);

  it("selects stacks by glob, and runs tenantry check instead with --dry-run-check", () => {
    const selected = fleet("glob.log", {}, "up", "--stacks", "org-[a-c]*", "--concurrency", "4");
    expect(selected.code).toBe(EXIT_OK);
    expect(selected.invocations.filter((i) => i.command === "up").map((i) => i.stack).sort()).toEqual(["org-alpha", "org-bravo", "org-charlie"]);
    const dry = spawnSync(process.execPath, [CLI, "fleet", "preview", "--dry-run-check", "--stacks", "org-d*"], { cwd: join(scratch, "project"), encoding: "utf8", env: { ...process.env, PATH: "/usr/bin:/bin" } });
    expect([dry.status, dry.stdout.trim()]).toEqual([EXIT_OK, "1 stacks: 1 compliant, 0 with violations, 0 invalid, 0 failed"]);
  }, 60_000);
});
