import { offlineOnlyChecks } from "./offline-checks";
import { runPolicies, type Violation } from "./run-policies";
import { platformClustersBeside } from "./platform-reference";
import { runProgram, type RunOptions } from "./run-program";
import { readStackFile } from "./stack-file";

/** What `tenantry check` found for one stack; the CLI contract's JSON is a projection of it. */
export interface StackReport {
  readonly stack: string;
  readonly resources: number;
  readonly violations: readonly Violation[];
}

/**
 * The program for one stack file under the mock monitor, then every rule of the pack and the
 * offline-only checks over what it registered. Invalid configuration throws the SpecError.
 */
export async function checkStackFile(path: string, options: RunOptions = {}): Promise<StackReport> {
  // A placed org reads its cluster from the platform stack file of the project it is in.
  const run = await runProgram(readStackFile(path), { platformClusters: platformClustersBeside(path), ...options });
  const violations = [...(await runPolicies(run.resources)), ...offlineOnlyChecks(run.resources)];
  return { stack: run.stack, resources: run.resources.length, violations };
}

/** Advisories (a rule skipped on a value unknown during preview) are shown, and do not fail. */
export const isCompliant = (report: StackReport) => !report.violations.some((v) => v.enforcementLevel === "mandatory");

/** The `--json` shape of the CLI contract: `{ stack, resources, violations: [{ policy, urn, message }] }`. */
export function contractJson({ stack, resources, violations }: StackReport) {
  return { stack, resources, violations: violations.map(({ policy, urn, message }) => ({ policy, urn, message })) };
}
