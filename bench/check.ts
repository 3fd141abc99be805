import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";

/*
 * bench/check: a cold `tenantry check org-acme` against a bare `node -e "require('@pulumi/pulumi')"`
 * (goal <= 3x), then `tenantry check --all` over generated org stacks (goal: 1,000 in <= 60 s on
 * a 2-core machine). Each figure is a whole process, start-up included; cold figures are medians.
 *
 *   npm run bench:check [-- stacks rounds]
 */

const STACKS = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 5);
const PROJECT_DIR = join(__dirname, "..", "..");
const CLI = join(PROJECT_DIR, "dist", "cli", "main.js");

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

function timed(args: string[], cwd: string): { ms: number; status: number | null; stdout: string } {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, args, { cwd, encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(" ")} exited ${result.status}: ${result.stderr.slice(0, 2000)}`);
  return { ms, status: result.status, stdout: result.stdout };
}

/** Org stacks like the example, each its own slug, tier and shape, all compliant. */
function generateStacks(dir: string, count: number): void {
  const template = readFileSync(join(PROJECT_DIR, "stacks", "Pulumi.org-acme.yaml"), "utf8");
  mkdirSync(join(dir, "stacks"), { recursive: true });
  for (let i = 0; i < count; i += 1) {
    const slug = `bench${String(i).padStart(4, "0")}`;
    let body = template.replaceAll("acme", slug);
    if (i % 3 === 0) body = body.replace("tier: production", "tier: sandbox");
    if (i % 2 === 0) body = body.replace("      - slug: billing\n", "      - slug: billing\n      - slug: ops\n");
    writeFileSync(join(dir, "stacks", `Pulumi.org-${slug}.yaml`), body);
  }
}

const bare = median(Array.from({ length: ROUNDS }, () => timed(["-e", "require('@pulumi/pulumi')"], PROJECT_DIR).ms));
const cold = median(Array.from({ length: ROUNDS }, () => timed([CLI, "check", "org-acme"], PROJECT_DIR).ms));
console.log(`bare require('@pulumi/pulumi'): ${bare.toFixed(0)} ms (median of ${ROUNDS})`);
console.log(`cold tenantry check org-acme:   ${cold.toFixed(0)} ms (median of ${ROUNDS})  ratio ${(cold / bare).toFixed(2)}x (goal <= 3x)`);

const dir = mkdtempSync(join(tmpdir(), "tenantry-bench-check-"));
try {
  generateStacks(dir, STACKS);
  const all = timed([CLI, "check", "--all", "--json"], dir);
  const summary = (JSON.parse(all.stdout) as { summary: Record<string, number> }).summary;
  if (summary["compliant"] !== STACKS) throw new Error(`expected ${STACKS} compliant stacks, got ${JSON.stringify(summary)}`);
  console.log(`check --all over ${STACKS} org stacks: ${(all.ms / 1000).toFixed(1)} s on ${availableParallelism()} CPUs ` +
    `(${(all.ms / STACKS).toFixed(0)} ms per stack; goal <= 60 s for 1,000 on 2 cores)`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
