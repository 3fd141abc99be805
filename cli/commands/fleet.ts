import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalWorkspace, PulumiCommand } from "@pulumi/pulumi/automation";
import picomatch from "picomatch";
import { parse, stringify } from "yaml";
import { SpecError } from "../../spec/spec-errors";
import { orgStackFiles } from "../../harness/stack-file";
import { EXIT_OK, EXIT_VIOLATIONS } from "../exit-codes";
import { renderFleetTable, runFleet } from "../fleet";
import { progressBar } from "../progress";
import { checkAll } from "./check";

/*
 * `tenantry fleet preview|up`: every selected org stack through the Pulumi Automation API, at
 * most N at a time, each in a work directory of its own (selecting stacks concurrently in one
 * workspace is unsafe: `pulumi stack select` writes the workspace's state), with the policy pack.
 */

export interface FleetOptions {
  readonly concurrency: number;
  /** A glob over stack names (`org-a*`); default: every stack. */
  readonly stacks?: string;
  /** No Pulumi CLI here: run `tenantry check` over the same stacks instead. */
  readonly dryRunCheck?: boolean;
}

function selectedStacks(projectDir: string, glob: string | undefined): string[] {
  const match = glob === undefined ? () => true : picomatch(glob);
  return orgStackFiles(join(projectDir, "stacks")).map((f) => f.stack).filter((s) => match(s));
}

/**
 * A work directory for one stack: the project's Pulumi.yaml, and a link `program` to the project.
 * Pulumi refuses a `main` outside the project's folder (it compares the paths as written), so
 * the program and the stack files are reached through the link, below the work directory.
 */
function workDirFor(projectDir: string, stack: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tenantry-fleet-${stack}-`));
  symlinkSync(projectDir, join(dir, "program"), "dir");
  const project = parse(readFileSync(join(projectDir, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
  writeFileSync(join(dir, "Pulumi.yaml"), stringify({ ...project, main: "program", stackConfigDir: "program/stacks" }));
  return dir;
}

export async function fleet(command: "preview" | "up", options: FleetOptions, projectDir: string): Promise<number> {
  if (options.dryRunCheck === true) {
    const match = options.stacks === undefined ? () => true : picomatch(options.stacks);
    return checkAll({ concurrency: options.concurrency, select: (stack) => match(stack) }, projectDir);
  }
  const stacks = selectedStacks(projectDir, options.stacks);
  if (stacks.length === 0) throw new SpecError([{ field: "stacks", message: `no org stack in stacks/ matches ${options.stacks ?? "*"}` }]);
  let pulumiCommand: PulumiCommand;
  try {
    pulumiCommand = await PulumiCommand.get();
  } catch {
    throw new SpecError([{ field: "pulumi", message: "the Pulumi CLI is not on PATH: install it, or run `npx tenantry fleet preview --dry-run-check` for the offline policy check" }]);
  }
  const policyPack = join(projectDir, "policies");
  const progress = progressBar(`${command} {bar} {value}/{total} stacks | {failed} failed`, stacks.length, { failed: 0 });
  let failed = 0;
  const results = await runFleet(stacks, options.concurrency, async (stackName) => {
    const workDir = workDirFor(projectDir, stackName);
    try {
      // `up` creates a stack onboarded by a pull request that has never been deployed; a preview
      // of a missing stack selects nothing and fails, as it should.
      const stack = command === "up"
        ? await LocalWorkspace.createOrSelectStack({ stackName, workDir }, { pulumiCommand })
        : await LocalWorkspace.selectStack({ stackName, workDir }, { pulumiCommand });
      if (command === "preview") {
        const result = await stack.preview({ policyPacks: [policyPack] });
        return summarize(result.changeSummary);
      }
      const result = await stack.up({ policyPacks: [policyPack] });
      return summarize(result.summary?.resourceChanges ?? {});
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }, (result) => {
    if (!result.ok) failed += 1;
    progress.advance({ failed });
  });
  progress.finish();
  console.log(renderFleetTable(`fleet ${command}`, results));
  return results.every((r) => r.ok) ? EXIT_OK : EXIT_VIOLATIONS;
}

function summarize(changes: Record<string, number>): string {
  const parts = Object.entries(changes).filter(([, n]) => n > 0).map(([op, n]) => `${n} ${op}`);
  return parts.length === 0 ? "no changes" : parts.join(", ");
}
