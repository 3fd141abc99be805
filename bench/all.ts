import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { auditUpdateRatio, checkAllRatio, jsonFigures, ratioOnLine, renderTable, type Figure, type Goal } from "./figures";
import { LOCAL_APPLY_GOALS, measureLocalApply } from "./local-apply";

/*
 * `npm run bench`: every benchmark of issue 19 with few rounds, one after the other (they would
 * disturb each other side by side), and one table of figure, ratio, goal, verdict. The goals are
 * the issue's. The local apply runs in this process (bench/local-apply.ts exports it); the others
 * run as they run alone, in a child process, and are read from their output (bench/figures.ts).
 * Benchmarks are never part of `npm test`.
 */

const BENCH_DIR = __dirname;
/** Generous: a loaded 2-core machine runs `check --all` over 1,000 stacks in about two minutes. */
const CHILD_TIMEOUT_MS = 10 * 60_000;

const GOALS = {
  audit: { op: "<=", value: 2.5 },
  router: { op: ">=", value: 0.9 },
  checkCold: { op: "<=", value: 2 },
  checkAll: { op: "<=", value: 50 },
  growth: { op: "<=", value: 5 },
  firstApply: { op: "<=", value: LOCAL_APPLY_GOALS.firstOverPsql },
  reapply: { op: "<=", value: LOCAL_APPLY_GOALS.reapplyOverFirst },
} as const satisfies Record<string, Goal>;

interface Run {
  readonly output: string;
  readonly problem?: string;
}

function runBench(file: string, args: readonly string[]): Run {
  const path = join(BENCH_DIR, `${file}.js`);
  if (!existsSync(path)) return { output: "", problem: `bench/${file}.ts is not on this branch` };
  process.stderr.write(`running bench/${file} ${args.join(" ")} ...\n`);
  const result = spawnSync(process.execPath, [path, ...args], { encoding: "utf8", timeout: CHILD_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) return { output: result.stdout ?? "", problem: `bench/${file} exited ${String(result.status ?? result.signal)}: ${(result.stderr ?? "").trim().split("\n").slice(-1)[0] ?? ""}` };
  return { output: result.stdout };
}

/** The JSON line's figure when the bench prints one, else what its printed line says. */
function read(run: Run, figure: string, goal: Goal, fromText: (output: string) => number | undefined, source: string): Figure {
  if (run.problem !== undefined) return { figure, ratio: undefined, goal, note: run.problem };
  const ratio = jsonFigures(run.output).get(figure) ?? fromText(run.output);
  return { figure, ratio, goal, note: ratio === undefined ? `${source}: its output did not show this figure` : source };
}

async function main(): Promise<void> {
  const loadBefore = loadavg()[0] ?? 0;
  const started = performance.now();
  const figures: Figure[] = [];

  const audit = runBench("audit-overhead", ["3"]);
  figures.push(read(audit, "audited / plain, 10,000-row UPDATE", GOALS.audit, auditUpdateRatio, "bench/audit-overhead.ts, 3 rounds"));

  const router = runBench("router", ["1000", "3", "16"]);
  figures.push(read(router, "router / direct throughput", GOALS.router, (o) => ratioOnLine(o, /router \/ direct/), "bench/router.ts, 1000 requests x 3 rounds, 16 in flight"));

  const check = runBench("check", ["1000", "3"]);
  figures.push(read(check, "cold check org-acme / bare require('@pulumi/pulumi')", GOALS.checkCold, (o) => ratioOnLine(o, /cold tenantry check org-acme/), "bench/check.ts, 3 rounds"));
  const all = checkAllRatio(check.output);
  figures.push(read(check, "check --all, 1,000 org stacks / one bare require", GOALS.checkAll, () => (all?.stacks === 1000 ? all.ratio : undefined), "bench/check.ts, one --all run over 1,000 generated stacks"));

  // One round: the 200x3 org's local apply alone takes half a minute or more.
  const growth = runBench("org-growth", ["1", "2,200"]);
  figures.push(read(growth, "check of a 200x3 org / of a 2x3 org", GOALS.growth, () => undefined, "bench/org-growth.ts, 1 round, 2x3 and 200x3 (its JSON line)"));

  process.stderr.write("running bench/local-apply 3 ...\n");
  try {
    const local = await measureLocalApply(3);
    const note = `bench/local-apply.ts, 3 rounds, ${local.resources} resources; psql ${local.psqlMs.toFixed(0)} ms, first apply ${local.firstMs.toFixed(0)} ms (program run ${local.programMs.toFixed(0)} ms), re-apply ${local.reapplyMs.toFixed(0)} ms`;
    figures.push({ figure: "local first apply / psql, same SQL", ratio: local.firstOverPsql, goal: GOALS.firstApply, note });
    figures.push({ figure: "local re-apply / first apply", ratio: local.reapplyOverFirst, goal: GOALS.reapply, note: "bench/local-apply.ts, same rounds" });
  } catch (error) {
    const note = `bench/local-apply failed: ${error instanceof Error ? error.message : String(error)}`;
    figures.push({ figure: "local first apply / psql, same SQL", ratio: undefined, goal: GOALS.firstApply, note });
  }

  const cpu = cpus()[0]?.model.trim() ?? "unknown CPU";
  console.log(`npm run bench: ${((performance.now() - started) / 1000).toFixed(0)} s on ${cpu}, ${cpus().length} cores, Node ${process.version}; load average (1 min) ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after`);
  console.log("");
  console.log(renderTable(figures));
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
