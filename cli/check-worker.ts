import { worker } from "workerpool";
import { SpecError } from "../spec/spec-errors";
import { checkStackFile, type StackReport } from "../harness/check-stack";

/*
 * One `check --all` worker process (workerpool). The Pulumi runtime keeps its settings in module
 * state, so concurrent checks need separate copies of it; and it serializes dynamic providers
 * with the inspector, which worker threads lack, so the copies are processes. Every outcome is
 * returned as data, so one stack's failure never reaches another's.
 */

// A late rejection or exception left behind by one stack's Pulumi run must not kill this process
// while it checks the next stack (it would be reported against that one): it is logged and
// dropped. The stack that caused it already has its outcome.
process.on("unhandledRejection", (reason) => console.error(`check worker: ignored a late rejection: ${reason instanceof Error ? reason.message : String(reason)}`));
process.on("uncaughtException", (error) => console.error(`check worker: ignored a late exception: ${error.message}`));

// Pulumi captures a stack trace for every promise and resource it makes (debuggable.js,
// source positions); a batch check needs neither, and without them a stack checks 2x faster.
Error.stackTraceLimit = 0;

export type StackOutcome =
  | { readonly kind: "checked"; readonly path: string; readonly report: StackReport }
  | { readonly kind: "invalid"; readonly path: string; readonly problems: readonly string[] }
  | { readonly kind: "failed"; readonly path: string; readonly message: string };

export async function checkOne(path: string): Promise<StackOutcome> {
  try {
    return { kind: "checked", path, report: await checkStackFile(path, { withoutDebugAids: true }) };
  } catch (error) {
    if (error instanceof SpecError) return { kind: "invalid", path, problems: error.problems.map((p) => p.message) };
    return { kind: "failed", path, message: error instanceof Error ? error.message : String(error) };
  }
}

worker({ checkOne });
