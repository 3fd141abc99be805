import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { checkStackFile } from "../harness/check-stack";
import { runProgram } from "../harness/run-program";
import type { RegisteredResource } from "../harness/recording-monitor";
import { readStackFile, resolveStackFile } from "../harness/stack-file";
import { BareResource, registrationsBySdkClass } from "./sdk-resources";
import { median } from "./median";

/*
 * The floors under bench/check's two figures, measured rather than asserted (issue 19's note):
 * - a check's program run against two programs under the same mock monitor: as many bare custom
 *   resources (no output properties, no components), and the same resources as the org's, each
 *   made by its own SDK class (so with the output properties that class declares) from the inputs
 *   the org's program registered, with no program logic around them: what the Pulumi SDK costs
 *   for these resources whatever the program does (a class makes an Output, with its promises,
 *   for every output property it declares: a postgresql.Role about 740 promises, a bare resource
 *   about 146);
 * - the SDK's serialization of the SqlMigration dynamic provider (an inspector session and a
 *   TypeScript parse of the provider's code), in a fresh process, which every run of a program
 *   with a dynamic resource pays once: a cold check pays it, a bare require does not.
 */

const PROJECT_DIR = join(__dirname, "..", "..");
class Group extends pulumi.ComponentResource {
  constructor(name: string) {
    super("tenantry:bench:Group", name, {});
  }
}

/** `count` grants with plain inputs, each depending on the one before, spread over 8 components. */
function bareProgram(count: number) {
  return () => {
    const groups = Array.from({ length: 8 }, (_, i) => new Group(`group-${String(i)}`));
    let previous: pulumi.CustomResource | undefined;
    for (let i = 0; i < count; i += 1) {
      previous = new BareResource("postgresql:index/grant:Grant", `grant-${String(i)}`, {
        database: "tn_bench", role: `tn_bench_role_${String(i)}`, schema: "main_dev", objectType: "table", privileges: ["SELECT", "INSERT"],
      }, { parent: groups[i % groups.length], dependsOn: previous === undefined ? [] : [previous] });
    }
    return {};
  };
}

/** The org's custom resources again, each by its SDK class (a dynamic one bare), from the inputs it registered. */
function typedProgram(resources: readonly RegisteredResource[]) {
  const register = registrationsBySdkClass(resources);
  return () => {
    register();
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
  readonly typedProgramMs: number;
  readonly programMs: number;
  readonly checkMs: number;
  readonly serializationMs: number;
  /** A whole process: the SDK, the provider's serialization, the org's resources by their classes (bench/cold-floor-probe.ts). */
  readonly coldFloorMs: number;
}

/**
 * In this process: the org-acme check, its program alone, the bare program of as many resources
 * and the org's resources by their SDK classes; in fresh processes, the provider's serialization
 * and the cold floor (bench/cold-floor-probe.ts).
 */
export async function measureCheckFloors(runs = 30): Promise<CheckFloors> {
  const path = resolveStackFile("org-acme", PROJECT_DIR);
  const stackFile = readStackFile(path);
  const registered = (await runProgram(stackFile, { withoutDebugAids: true })).resources;
  const resources = registered.filter((r) => !r.type.startsWith("pulumi:")).length;
  const checkMs = await perRun(() => checkStackFile(path, { withoutDebugAids: true }), runs);
  const programMs = await perRun(() => runProgram(stackFile, { withoutDebugAids: true }), runs);
  const bareProgramMs = await perRun(() => runProgram(stackFile, { withoutDebugAids: true, program: bareProgram(resources) }), runs);
  const typed = typedProgram(registered);
  const typedProgramMs = await perRun(() => runProgram(stackFile, { withoutDebugAids: true, program: typed }), runs);
  // A fresh process: the SDK caches the inspector session after the first serialization.
  const probe = spawnSync(process.execPath, ["-e", [
    `require("@pulumi/pulumi");`,
    `const { sqlMigrationProviderCode } = require(${JSON.stringify(join(PROJECT_DIR, "dist", "components", "sql-migration.js"))});`,
    `const started = performance.now();`,
    `sqlMigrationProviderCode().then(() => console.log(performance.now() - started));`,
  ].join("\n")], { cwd: PROJECT_DIR, encoding: "utf8" });
  if (probe.status !== 0) throw new Error(`the serialization probe failed: ${probe.stderr.slice(0, 500)}`);
  const dir = mkdtempSync(join(tmpdir(), "tenantry-cold-floor-"));
  try {
    const file = join(dir, "registered.json");
    writeFileSync(file, JSON.stringify(registered));
    const coldFloorMs = median(Array.from({ length: 3 }, () => {
      const started = performance.now();
      const run = spawnSync(process.execPath, [join(__dirname, "cold-floor-probe.js"), file], { cwd: PROJECT_DIR, encoding: "utf8" });
      if (run.status !== 0) throw new Error(`the cold floor probe failed: ${run.stderr.slice(0, 500)}`);
      return performance.now() - started;
    }));
    return { resources, bareProgramMs, typedProgramMs, programMs, checkMs, serializationMs: Number(probe.stdout.trim()), coldFloorMs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
