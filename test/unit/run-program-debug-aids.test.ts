import * as debuggable from "@pulumi/pulumi/runtime/debuggable";
import { describe, expect, it } from "vitest";
import { runProgram } from "../../harness/run-program";
import { readStackFile, resolveStackFile } from "../../harness/stack-file";

/*
 * A check and the local apply run the program without Pulumi's debugging aids (stack traces,
 * promise-leak tracking): a third of a batch check's time. They must change nothing the program
 * registers, and must be put back for whatever runs next in the process.
 */

const wrapper = debuggable as { debuggablePromise: <T>(promise: Promise<T>, context: unknown) => Promise<T> };

/** Counts the SDK's calls to its promise wrapper during `run`, through a spy in the wrapper's place. */
async function wrapperCalls<T>(run: () => Promise<T>): Promise<{ calls: number; result: T }> {
  const original = wrapper.debuggablePromise;
  let calls = 0;
  wrapper.debuggablePromise = (promise, context) => {
    calls += 1;
    return original(promise, context);
  };
  try {
    return { result: await run(), calls };
  } finally {
    wrapper.debuggablePromise = original;
  }
}

const stackFile = () => readStackFile(resolveStackFile("org-acme", process.cwd()));
type Registered = readonly { type: string; name: string; inputs: Record<string, unknown> }[];

/** Each resource by name, its inputs as JSON: registration order follows promise timing, which the aids change. */
const byName = (resources: Registered) => new Map(resources.map(({ type, name, inputs }) => [name, { type, inputs: JSON.stringify(inputs) }]));

/**
 * The registrations with every value that differs between two plain runs masked: the mock
 * monitor generates passwords and keys afresh each run.
 */
function comparable(run: Registered, reference: Registered, again: Registered): Map<string, { type: string; inputs: string }> {
  const first = byName(reference);
  const second = byName(again);
  const masked = (text: string, a: string, b: string) => {
    const [x, y] = [JSON.parse(a) as unknown, JSON.parse(b) as unknown];
    const mask = (value: unknown, p: unknown, q: unknown): unknown => {
      if (JSON.stringify(p) === JSON.stringify(q)) return value;
      if (p !== null && q !== null && typeof p === "object" && typeof q === "object" && value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mask(v, (p as Record<string, unknown>)[k], (q as Record<string, unknown>)[k])]));
      }
      return "[differs between plain runs]";
    };
    return JSON.stringify(mask(JSON.parse(text), x, y));
  };
  return new Map([...byName(run)].map(([name, { type, inputs }]) => [name, { type, inputs: masked(inputs, first.get(name)?.inputs ?? "null", second.get(name)?.inputs ?? "null") }]));
}

describe("a program run without Pulumi's debugging aids", () => {
  it("registers exactly what a run with them registers, for the example org", async () => {
    const plain = await runProgram(stackFile());
    const again = await runProgram(stackFile());
    const lean = await runProgram(stackFile(), { withoutDebugAids: true });
    expect(lean.resources.length).toBeGreaterThan(100);
    expect(comparable(lean.resources, plain.resources, again.resources)).toEqual(comparable(plain.resources, plain.resources, again.resources));
    expect(lean.outputs).toEqual(plain.outputs);
  });

  it("never calls the SDK's promise wrapper, which a run with the aids calls for every promise (the control)", async () => {
    const lean = await wrapperCalls(() => runProgram(stackFile(), { withoutDebugAids: true }));
    const plain = await wrapperCalls(() => runProgram(stackFile()));
    expect(lean.calls).toBe(0);
    expect(plain.calls).toBeGreaterThan(100);
  });

  it("puts the SDK's wrapper and the stack trace settings back after the run, also after a failing one", async () => {
    const before = { wrapper: wrapper.debuggablePromise, limit: Error.stackTraceLimit, prepare: Error.prepareStackTrace };
    await runProgram(stackFile(), { withoutDebugAids: true });
    await expect(runProgram(stackFile(), { withoutDebugAids: true, program: () => { throw new Error("the program failed"); } })).rejects.toThrow("the program failed");
    expect({ wrapper: wrapper.debuggablePromise, limit: Error.stackTraceLimit, prepare: Error.prepareStackTrace }).toEqual(before);
  });
});
