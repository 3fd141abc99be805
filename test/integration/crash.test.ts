import { describe, expect, it } from "vitest";
import { InterruptedApplyError } from "../../local/apply";
import { attempt } from "../../local/attempt";
import { ensureServer } from "../../local/server";
import { readState } from "../../local/state";
import { declareLocal, upLocal } from "../../local/up";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * A crash between a resource's SQL and its state record leaves a pending mark; the next run
 * completes from there. The interruption is placed exactly where it hurts most: after the
 * autocommitted CREATE DATABASE, and after a CREATE ROLE.
 */

const org = (slug: string) => ({ slug, tier: "sandbox", environments: ["dev", "prod"], workspaces: [{ slug: "web" }] });

async function interruptAt(type: string, slug: string) {
  const stack = localStack(writeStackFile(org(slug)), `crash-${slug}`);
  const { desired } = await declareLocal(stack);
  // Changes follow the desired resources' dependency order on an empty state.
  const position = desired.findIndex((r) => r.type === type) + 1;
  await expect(upLocal(stack, { interruptAfter: position })).rejects.toBeInstanceOf(InterruptedApplyError);
  return { stack, interrupted: desired[position - 1]! };
}

describe("after a crash mid-apply", () => {
  it.each([
    ["postgresql:index/database:Database", "golf"],
    ["postgresql:index/role:Role", "hotel"],
  ])("right after %s's SQL, the next run completes and a third finds nothing to do", async (type, slug) => {
    const { stack, interrupted } = await interruptAt(type, slug);
    expect(readState(stack.paths).stacks[stack.stackFile.stack]?.pending).toMatchObject({ urn: interrupted.urn, action: "create" });

    const resumed = await upLocal(stack);
    expect(resumed.changes.length).toBeGreaterThan(0);
    expect(readState(stack.paths).stacks[stack.stackFile.stack]?.pending).toBeUndefined();
    expect((await upLocal(stack)).changes).toEqual([]);

    const { server } = await ensureServer(stack.paths);
    const runtime = readState(stack.paths).stacks[stack.stackFile.stack]!.resources
      .find((r) => r.inputs["name"] === `tn_${slug}_dev_runtime`)!;
    const login = await attempt(server, { user: `tn_${slug}_dev_runtime`, password: String(runtime.inputs["password"]) }, `tn_${slug}`, ["SELECT 1"]);
    expect(login.code).toBeUndefined();
  });
});
