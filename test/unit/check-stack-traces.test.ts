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
  const program = async (): Promise<Record<string, unknown>> => {
    limits.push(Error.stackTraceLimit);
    throw error();
  };
  return { limits, program };
}

describe("tenantry check and stack traces", () => {
  it("runs without stack traces first, and reports a bug in tenantry with its stack from a second run", async () => {
    const before = Error.stackTraceLimit;
    const { limits, program } = programThrowing(() => new Error("a bug in a component"));
    const failure = await check("org-acme", {}, PROJECT_DIR, { program }).then(() => undefined, (error: unknown) => error as Error);
    expect(failure?.message).toBe("a bug in a component");
    expect(limits).toEqual([0, before]);
    expect(before).toBeGreaterThan(0);
    // The first run's error had no frames at all; the one reported names where it was thrown.
    expect(failure?.stack).toMatch(/\n\s+at /);
    expect(Error.stackTraceLimit).toBe(before);
  });

  it("reports invalid input from the first run, without running the program again", async () => {
    const { limits, program } = programThrowing(() => new SpecError([{ field: "tenantry:org.slug", message: "not a slug" }]));
    await expect(check("org-acme", {}, PROJECT_DIR, { program })).rejects.toBeInstanceOf(SpecError);
    expect(limits).toEqual([0]);
  });
});
