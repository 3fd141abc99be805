import { existsSync, readdirSync } from "node:fs";
import { availableParallelism } from "node:os";
import { basename, join } from "node:path";
import { pool as workerPool } from "workerpool";
import { checkStackFile, contractJson, isCompliant, type StackReport } from "../../harness/check-stack";
import type { RunOptions } from "../../harness/run-program";
import { resolveStackFile, stackNameOf } from "../../harness/stack-file";
import packManifest from "../../policies/package.json";
import type { StackOutcome } from "../check-worker";
import { SpecError } from "../../spec/spec-errors";
import { EXIT_INTERNAL, EXIT_INVALID, EXIT_OK, EXIT_VIOLATIONS } from "../exit-codes";
import { progressBar } from "../progress";
import { renderReport } from "../render-violations";
import { fleetCheck, readFleet } from "../fleet-placement";

/**
 * `tenantry check <stack> [--json]`: the real program under the mock monitor, then the policy
 * pack's own rules over what it registered; printed the way `pulumi preview` prints violations.
 * Exit 0 when compliant, 1 on violations, 2 on invalid input. Messages name resources, never
 * secret values (the rules only ever print names).
 */
export async function check(stackOrPath: string, options: { json?: boolean }, projectDir: string, run: RunOptions = {}): Promise<number> {
  const report = await withStackTracesOnlyForBugs(resolveStackFile(stackOrPath, projectDir), run);
  console.log(options.json === true ? JSON.stringify(contractJson(report), null, 2) : renderReport(report, packManifest.version));
  return isCompliant(report) ? EXIT_OK : EXIT_VIOLATIONS;
}

/**
 * Pulumi captures a stack trace for every promise and resource it makes; a check reports
 * messages, so it runs without them (a tenth of a cold check). A bug in tenantry (anything but
 * invalid input) is run again with them, so its report still shows where it failed.
 */
async function withStackTracesOnlyForBugs(path: string, run: RunOptions): Promise<StackReport> {
  try {
    return await checkStackFile(path, { withoutDebugAids: true, ...run });
  } catch (error) {
    if (error instanceof SpecError || run.withoutDebugAids !== undefined) throw error;
    return checkStackFile(path, run);
  }
}

export interface CheckAllOptions {
  readonly json?: boolean;
  readonly concurrency?: number;
  /** Only the stacks whose names this accepts (fleet --stacks); default: every stack. */
  readonly select?: (stack: string) => boolean;
}

/**
 * `tenantry check --all`: every stack in stacks/, at most `concurrency` at a time in worker
 * processes, a progress bar on a terminal, then every stack's violations and a summary. One
 * failing or stuck stack never hides another. Then the fleet check (docs/placement.md), which no
 * one stack can make: every cluster holds what is placed on it; an over-committed cluster is a
 * violation (exit 1). Exit code: the worst outcome (3 > 2 > 1 > 0).
 */
export async function checkAll(options: CheckAllOptions, projectDir: string): Promise<number> {
  const dir = join(projectDir, "stacks");
  if (!existsSync(dir)) throw new SpecError([{ field: "stacks", message: `no stacks/ directory in ${projectDir}: run tenantry from the project root` }]);
  const paths = readdirSync(dir)
    .filter((f) => { const stack = stackNameOf(f); return stack !== undefined && (options.select?.(stack) ?? true); })
    .sort().map((f) => join(dir, f));
  if (paths.length === 0) throw new SpecError([{ field: "stacks", message: "no Pulumi.<stack>.yaml file in stacks/ is selected: nothing to check" }]);
  const threads = Math.max(1, Math.min(options.concurrency ?? availableParallelism(), paths.length));
  // A larger young generation: a check allocates briskly and dies young, and scavenges were a
  // sixth of its time with the default.
  const pool = workerPool(join(__dirname, "..", "check-worker.js"), { workerType: "process", maxWorkers: threads, forkOpts: { execArgv: ["--max-semi-space-size=64"] } });
  const progress = progressBar("checking {bar} {value}/{total} stacks | {notCompliant} not compliant", paths.length, { notCompliant: 0 });
  // If a worker dies between tasks, workerpool never settles the tasks queued behind it and the
  // event loop empties: that must be a failure, never a silent exit 0.
  const unfinished = () => {
    progress.finish();
    console.error(`internal error: check --all lost its worker processes before every stack was checked`);
    process.exit(EXIT_INTERNAL);
  };
  process.once("beforeExit", unfinished);
  let notCompliant = 0;
  try {
    const outcomes = await Promise.all(paths.map(async (path) => {
      const outcome: StackOutcome = await pool.exec("checkOne", [path]).timeout(STACK_TIMEOUT_MS).catch((error: unknown) => (
        { kind: "failed", path, message: `the check did not finish: ${(error instanceof Error ? error.message : String(error)).split("\n")[0]}` }));
      if (exitCodeOf(outcome) !== EXIT_OK) notCompliant += 1;
      progress.advance({ notCompliant });
      return outcome;
    }));
    progress.finish();
    const fleet = fleetCheck(readFleet(projectDir));
    console.log(options.json === true ? JSON.stringify({ ...allJson(outcomes), fleet: { problems: fleet } }, null, 2) : renderAll(outcomes, fleet));
    return Math.max(EXIT_OK, ...outcomes.map(exitCodeOf), fleet.length > 0 ? EXIT_VIOLATIONS : EXIT_OK);
  } finally {
    process.removeListener("beforeExit", unfinished);
    progress.finish();
    await pool.terminate(true);
  }
}

/** One stack takes about a second at most; a stack still running after this is stuck. */
const STACK_TIMEOUT_MS = 120_000;

function exitCodeOf(outcome: StackOutcome): number {
  if (outcome.kind === "failed") return EXIT_INTERNAL;
  if (outcome.kind === "invalid") return EXIT_INVALID;
  return isCompliant(outcome.report) ? EXIT_OK : EXIT_VIOLATIONS;
}

const stackOf = (outcome: StackOutcome) => (outcome.kind === "checked" ? outcome.report.stack : stackNameOf(outcome.path) ?? basename(outcome.path));

function summaryOf(outcomes: readonly StackOutcome[]) {
  const count = (code: number) => outcomes.filter((o) => exitCodeOf(o) === code).length;
  return { stacks: outcomes.length, compliant: count(EXIT_OK), violations: count(EXIT_VIOLATIONS), invalid: count(EXIT_INVALID), failed: count(EXIT_INTERNAL) };
}

/** `{ stacks: [contract object | { stack, errors }], summary }`. */
function allJson(outcomes: readonly StackOutcome[]) {
  const stacks = outcomes.map((o) =>
    o.kind === "checked" ? contractJson(o.report) : { stack: stackOf(o), errors: o.kind === "invalid" ? o.problems : [`internal error: ${o.message}`] });
  return { stacks, summary: summaryOf(outcomes) };
}

function renderAll(outcomes: readonly StackOutcome[], fleet: readonly string[]): string {
  const sections = outcomes.flatMap((o) => {
    if (o.kind === "invalid") return [`${stackOf(o)}: invalid\n${o.problems.map((p) => `    error: ${p}`).join("\n")}`];
    if (o.kind === "failed") return [`${stackOf(o)}: internal error: ${o.message}`];
    return isCompliant(o.report) && o.report.violations.length === 0 ? [] : [renderReport(o.report, packManifest.version)];
  });
  const s = summaryOf(outcomes);
  const summary = `${s.stacks} stacks: ${s.compliant} compliant, ${s.violations} with violations, ${s.invalid} invalid, ${s.failed} failed`;
  const placement = fleet.length === 0 ? [] : [`fleet placement refused (docs/placement.md)\n${fleet.map((p) => `    error: ${p}`).join("\n")}`];
  return [...sections, ...placement, summary].join("\n\n");
}
