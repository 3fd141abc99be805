import * as pulumi from "@pulumi/pulumi";
import * as debuggable from "@pulumi/pulumi/runtime/debuggable";
import tenantry from "../index";
import type { ClusterConfig } from "../components/cluster-config";
import { answerPlatformReferences, OFFLINE_ORGANIZATION } from "./platform-reference";
import { RecordingMonitor, type RegisteredResource } from "./recording-monitor";
import { SECRET_PLACEHOLDER, type StackFile } from "./stack-file";

export interface ProgramRun {
  readonly stack: string;
  /** Every resource the program registered, in registration order. */
  readonly resources: readonly RegisteredResource[];
  /** The stack outputs, resolved; an output that is or holds a secret is only `[secret]`. */
  readonly outputs: Readonly<Record<string, unknown>>;
}

type Program = () => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface RunOptions {
  /**
   * Skip Pulumi's debugging aids, which cost more than half of a run under mocks: the stack trace
   * it captures for every promise and resource, and its promise-leak tracking (runtime/
   * debuggable.js wraps every promise it makes in two more and keeps it in a set until settled,
   * to name leaked promises at exit; the run here awaits the whole program, and a real
   * `pulumi up` still tracks them). Errors thrown meanwhile then carry no stack (an empty one):
   * for the local apply and checks, which report the message, not for debugging. What the
   * program registers is the same either way (run-program.test.ts).
   */
  readonly withoutDebugAids?: boolean;
  /** The program to run; the real one (index.ts) unless a test says otherwise. */
  readonly program?: Program;
  /** Pass one in to see what was registered even when the run throws. */
  readonly monitor?: RecordingMonitor;
  /**
   * The platform's clusters, which a placed org's StackReference reads (harness/platform-reference.ts);
   * default none, so a placed org's run stops naming its cluster.
   */
  readonly platformClusters?: readonly ClusterConfig[];
}

/**
 * Runs the real program (index.ts) for one stack file under Pulumi's mock monitor, as a
 * preview would, and returns what it registered. Like the real language host it runs the
 * program inside the root `pulumi:pulumi:Stack`, whose start-up asks the monitor for its
 * features: without that handshake the SDK strips secret envelopes and a password would be
 * registered as plain text. Invalid configuration throws the program's own SpecError, and
 * nothing but that root is registered. Runs may follow one another in one process; they must
 * not overlap, because the Pulumi runtime keeps its settings in module state.
 */
export async function runProgram(
  stackFile: Pick<StackFile, "stack" | "values" | "secretKeys">,
  { program = tenantry, monitor = new RecordingMonitor(), withoutDebugAids = false, platformClusters = [] }: RunOptions = {},
): Promise<ProgramRun> {
  const { stackTraceLimit, prepareStackTrace } = Error;
  const { debuggablePromise } = mutableDebuggable;
  if (withoutDebugAids) {
    Error.stackTraceLimit = 0;
    // The SDK also formats a whole stack trace for every resource, whatever the limit, to send
    // the monitor its source position (resource.js callsites); the mock monitor drops it. Left
    // unformatted, a batch check takes a ninth less CPU.
    Error.prepareStackTrace = () => "";
    // Module state the SDK reads at every call (`debuggable_1.debuggablePromise(...)`), so the
    // replacement reaches every caller; put back below.
    mutableDebuggable.debuggablePromise = (promise) => promise;
  }
  try {
    answerPlatformReferences(monitor, platformClusters);
    return await runUnderMocks(stackFile, program, monitor);
  } finally {
    Error.stackTraceLimit = stackTraceLimit;
    Error.prepareStackTrace = prepareStackTrace;
    mutableDebuggable.debuggablePromise = debuggablePromise;
  }
}

/** The SDK module whose promise wrapper a run without debugging aids replaces, and puts back. */
const mutableDebuggable = debuggable as { debuggablePromise: <T>(promise: Promise<T>, context: unknown) => Promise<T> };

async function runUnderMocks(stackFile: Pick<StackFile, "stack" | "values" | "secretKeys">, program: Program, monitor: RecordingMonitor): Promise<ProgramRun> {
  // Offline there is no Pulumi organization; a placed org's platform reference is answered by name below it.
  pulumi.runtime.setMockOptions(monitor, "tenantry", stackFile.stack, true, OFFLINE_ORGANIZATION);
  pulumi.runtime.setAllConfig({ ...stackFile.values }, [...stackFile.secretKeys]);
  // A failure is carried out of the stack's init rather than thrown through it: a rejected
  // init leaves rejected promises inside the root resource that nobody awaits.
  const run: { outputs?: Record<string, unknown>; error?: unknown } = {};
  try {
    await pulumi.runtime.runInPulumiStack(async () => {
      try {
        run.outputs = await program();
      } catch (error) {
        run.error = error;
      }
      return {};
    });
    if (run.outputs === undefined) throw run.error;
    const outputs = await resolve(run.outputs);
    return { stack: stackFile.stack, resources: monitor.registered, outputs };
  } finally {
    await pulumi.runtime.disconnect();
  }
}

async function resolve(outputs: Record<string, unknown>): Promise<Record<string, unknown>> {
  const entries = await Promise.all(Object.entries(outputs).map(async ([key, value]) => {
    const output: pulumi.Output<unknown> = pulumi.output(value);
    if (await pulumi.isSecret(output)) return [key, SECRET_PLACEHOLDER] as const;
    return [key, await new Promise<unknown>((done) => output.apply(done))] as const;
  }));
  return Object.fromEntries(entries);
}
