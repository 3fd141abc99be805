import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { measureCheckFloors } from "./check-floors";
import { writeOrgStacks } from "./generated-orgs";
import { median } from "./median";

/*
 * bench/check: whole processes, start-up included, each against one bare
 * `node -e "require('@pulumi/pulumi')"` timed in the same run (absolute times differ 2-3x between
 * machines; the ratios are the figures). Goals (issue 19): a cold `tenantry check org-acme`
 * <= 2x the bare require; `tenantry check --all` over 1,000 generated org stacks <= 50x it.
 * Cold figures are medians of `rounds`, the bare require and the check alternating.
 *
 *   npm run bench:check [-- stacks rounds]
 */

const STACKS = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 5);
const PROJECT_DIR = join(__dirname, "..", "..");
const CLI = join(PROJECT_DIR, "dist", "cli", "main.js");
const COLD_GOAL = 2;
const ALL_GOAL = 50;

function timed(args: string[], cwd: string): { ms: number; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr.slice(0, 2000)}`);
  return { ms, stdout: result.stdout };
}

const bareRequire = () => timed(["-e", "require('@pulumi/pulumi')"], PROJECT_DIR).ms;

const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
console.log(`bench/check: ${availableParallelism()} CPUs, load average ${load()} at the start`);

const bare: number[] = [];
const cold: number[] = [];
for (let i = 0; i < ROUNDS; i += 1) {
  bare.push(bareRequire());
  cold.push(timed([CLI, "check", "org-acme"], PROJECT_DIR).ms);
}

const dir = mkdtempSync(join(tmpdir(), "tenantry-bench-check-"));
let all: number;
try {
  writeOrgStacks(dir, STACKS);
  const run = timed([CLI, "check", "--all", "--json"], dir);
  const summary = (JSON.parse(run.stdout) as { summary: Record<string, number> }).summary;
  if (summary["compliant"] !== STACKS) throw new Error(`expected ${STACKS} compliant stacks, got ${JSON.stringify(summary)}`);
  all = run.ms;
  // The anchor again, right after: the machine's load may have moved while --all ran.
  bare.push(bareRequire(), bareRequire());
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const anchor = median(bare);
const rows: [string, string, number, number][] = [
  ["cold check org-acme / bare require", `${median(cold).toFixed(0)} ms / ${anchor.toFixed(0)} ms`, median(cold) / anchor, COLD_GOAL],
  [`check --all, ${STACKS} stacks / bare require`, `${(all / 1000).toFixed(1)} s (${(all / STACKS).toFixed(0)} ms per stack)`, all / anchor, ALL_GOAL * (STACKS / 1000)],
];
console.log(`  bare require('@pulumi/pulumi'): ${anchor.toFixed(0)} ms (median of ${bare.length}); load average ${load()} at the end`);
console.log(`  ${"figure".padEnd(44)} ${"measured".padEnd(30)} ${"ratio".padStart(8)}   goal`);
for (const [figure, measured, ratio, goal] of rows) {
  console.log(`  ${figure.padEnd(44)} ${measured.padEnd(30)} ${`${ratio.toFixed(2)}x`.padStart(8)}   <= ${goal}x   ${ratio <= goal ? "met" : "missed"}`);
}
// For `npm run bench` (bench/all.ts reads this line by the figures' names; bench/figures.ts jsonFigures).
console.log(JSON.stringify({ figures: [
  { figure: "cold check org-acme / bare require('@pulumi/pulumi')", ratio: median(cold) / anchor },
  ...(STACKS === 1000 ? [{ figure: "check --all, 1,000 org stacks / one bare require", ratio: all / anchor }] : []),
] }));

// The floors under both figures (bench/check-floors.ts; docs/benchmarks.md, "Where the missed goals' floors are").
measureCheckFloors().then((f) => {
  const pack = f.checkMs - f.programMs;
  const workers = availableParallelism();
  console.log(`  floors (in-process medians, org-acme: ${f.resources} resources):`);
  console.log(`    the SDK serializing the SqlMigration provider, fresh process: ${f.serializationMs.toFixed(0)} ms = ${(f.serializationMs / anchor).toFixed(2)}x the bare require,`);
  console.log(`      so a cold check cannot go below ${((anchor + f.serializationMs) / anchor).toFixed(2)}x before it reads a file;`);
  console.log(`    a process that only loads the SDK classes the org uses and registers its resources with their inputs, under mocks: ${f.coldFloorMs.toFixed(0)} ms = ${(f.coldFloorMs / anchor).toFixed(2)}x`);
  console.log(`    one warm check ${f.checkMs.toFixed(1)} ms: the program ${f.programMs.toFixed(1)} ms, the pack ${pack.toFixed(1)} ms;`);
  console.log(`      ${f.resources} bare custom resources under the same mocks: ${f.bareProgramMs.toFixed(1)} ms; the org's resources, each by its SDK class, no program logic: ${f.typedProgramMs.toFixed(1)} ms`);
  const allAt = (programMs: number) => (((programMs + pack) * STACKS) / workers / anchor).toFixed(0);
  console.log(`    --all on ${workers} workers at the bare program's cost: ${allAt(f.bareProgramMs)}x; at the typed resources' cost: ${allAt(f.typedProgramMs)}x; at today's warm check: ${allAt(f.programMs)}x (all before worker start-up and messaging)`);
}).catch((error: unknown) => {
  console.error(`  floors not measured: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
