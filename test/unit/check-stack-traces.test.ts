import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { check } from "../../cli/commands/check";
import { SpecError } from "../../spec/spec-errors";

/*
 * A single `tenantry check` runs the program without the stack traces Pulumi captures for every
 * promise (a tenth of a cold check). A bug must still be reported with its stack: the check runs
 * again with them. Invalid input is not a bug and is not run twice.
 */

const PROJECT_DIR = join(__dirname, "..", "..");

function programThrowing(error: () => Error) {
  const limits: number[] = [];
  const formatted: string[] = [];
  const program = async (): Promise<Record<string, unknown>> => {
    limits.push(Error.stackTraceLimit);
    // What the SDK's Resource.callsites() reads for every resource, limit or not.
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = Number.POSITIVE_INFINITY;
    formatted.push(new Error("probe").stack ?? "");
    Error.stackTraceLimit = stackTraceLimit;
    throw error();
  };
  return { limits, formatted, program };
}

describe("tenantry check and stack traces", () => {
  it("runs without stack traces first, and reports a bug in tenantry with its stack from a second run", async () => {
    const before = Error.stackTraceLimit;
    const prepareBefore = Error.prepareStackTrace;
    const { limits, formatted, program } = programThrowing(() => new Error("a bug in a component"));
    const failure = await check("org-acme", {}, PROJECT_DIR, { program }).then(() => undefined, (error: unknown) => error as Error);
    expect(failure?.message).toBe("a bug in a component");
    expect(limits).toEqual([0, before]);
    expect(before).toBeGreaterThan(0);
    // The first run's error had no frames at all; the one reported names where it was thrown.
    expect(failure?.stack).toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(before);
    // Not even the SDK's own full-depth traces are formatted in the first run; both are restored.
    expect(formatted[0]).toBe("");
    expect(formatted[1]).toMatch(/^Error: probe\n\s+at /);
    expect(Error.prepareStackTrace).toBe(prepareBefore);
  });

  it("reports invalid input from the first run, without running the program again", async () => {
    const { limits, program } = programThrowing(() => new SpecError([{ field: "tenantry:org.slug", message: "not a slug" }]));
    await expect(check("org-acme", {}, PROJECT_DIR, { program })).rejects.toBeInstanceOf(SpecError);
    expect(limits).toEqual([0]);
  });
});
