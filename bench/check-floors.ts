import { spawnSync } from "node:child_process";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { checkStackFile } from "../harness/check-stack";
import { runProgram } from "../harness/run-program";
import { readStackFile, resolveStackFile } from "../harness/stack-file";

/*
 * The floors under bench/check's two figures, measured rather than asserted (issue 19's note):
 * - a check's program run against a program of the same number of bare custom resources (no
 *   components, outputs or secrets) under the same mock monitor: what the Pulumi SDK costs per
 *   resource whatever the program does;
 * - the SDK's serialization of the SqlMigration dynamic provider (an inspector session and a
 *   TypeScript parse of the provider's code), in a fresh process, which every run of a program
 *   with a dynamic resource pays once: a cold check pays it, a bare require does not.
 */

const PROJECT_DIR = join(__dirname, "..", "..");
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

class Group extends pulumi.ComponentResource {
  constructor(name: string) {
    super("tenantry:bench:Group", name, {});
  }
}

class BareGrant extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs, opts: pulumi.CustomResourceOptions) {
    super("postgresql:index/grant:Grant", name, props, opts);
  }
}

/** `count` grants with plain inputs, each depending on the one before, spread over 8 components. */
function bareProgram(count: number) {
  return () => {
    const groups = Array.from({ length: 8 }, (_, i) => new Group(`group-${String(i)}`));
    let previous: pulumi.CustomResource | undefined;
    for (let i = 0; i < count; i += 1) {
      previous = new BareGrant(`grant-${String(i)}`, {
        database: "tn_bench", role: `tn_bench_role_${String(i)}`, schema: "main_dev", objectType: "table", privileges: ["SELECT", "INSERT"],
      }, { parent: groups[i % groups.length], dependsOn: previous === undefined ? [] : [previous] });
    }
    return {};
  };
}

async function perRun(run: () => Promise<unknown>, runs: number): Promise<number> {
  for (let i = 0; i < 5; i += 1) await run();
  const times: number[] = [];
  for (let i = 0; i < runs; i += 1) {
    const started = performance.now();
    await run();
    times.push(performance.now() - started);
  }
  return median(times);
}

export interface CheckFloors {
  readonly resources: number;
  readonly bareProgramMs: number;
  readonly programMs: number;
  readonly checkMs: number;
  readonly serializationMs: number;
}

/** In this process: the org-acme check, its program alone, and the bare program of as many resources. */
export async function measureCheckFloors(runs = 30): Promise<CheckFloors> {
  const path = resolveStackFile("org-acme", PROJECT_DIR);
  const stackFile = readStackFile(path);
  const resources = (await runProgram(stackFile, { withoutDebugAids: true })).resources.filter((r) => !r.type.startsWith("pulumi:")).length;
  const checkMs = await perRun(() => checkStackFile(path, { withoutDebugAids: true }), runs);
  const programMs = await perRun(() => runProgram(stackFile, { withoutDebugAids: true }), runs);
  const bareProgramMs = await perRun(() => runProgram(stackFile, { withoutDebugAids: true, program: bareProgram(resources) }), runs);
  // A fresh process: the SDK caches the inspector session after the first serialization.
  const probe = spawnSync(process.execPath, ["-e", [
    `require("@pulumi/pulumi");`,
    `const { sqlMigrationProviderCode } = require(${JSON.stringify(join(PROJECT_DIR, "dist", "components", "sql-migration.js"))});`,
    `const started = performance.now();`,
    `sqlMigrationProviderCode().then(() => console.log(performance.now() - started));`,
  ].join("\n")], { cwd: PROJECT_DIR, encoding: "utf8" });
  if (probe.status !== 0) throw new Error(`the serialization probe failed: ${probe.stderr.slice(0, 500)}`);
  return { resources, bareProgramMs, programMs, checkMs, serializationMs: Number(probe.stdout.trim()) };
}
