import { describe, expect, it } from "vitest";
import { InterruptedApplyError, type Interruption } from "../../local/apply";
import { attempt } from "../../local/attempt";
import { planChanges } from "../../local/changes";
import { TYPE, translationFor } from "../../local/provider-sql";
import { proveLocal } from "../../local/prove-local";
import { ensureServer } from "../../local/server";
import { readState } from "../../local/state";
import { declareLocal, upLocal, type LocalStack } from "../../local/up";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * A crash leaves the resource in hand marked pending; the next run completes from there. The
 * interruption is placed before a resource's SQL and after it (before it is recorded), on the
 * types whose create is not idempotent (database, role), on the repeatable ones (schema,
 * grant role, grant), and on a delete.
 */

let next = 0;
const org = (slug: string, workspaces = [{ slug: "web" }]) => ({ slug, tier: "sandbox", environments: ["dev", "prod"], workspaces });

/** Interrupts the first apply at the first change of `type`. */
async function crash(stack: LocalStack, type: string, when: Interruption["when"]) {
  const { desired } = await declareLocal(stack);
  const plan = planChanges(desired, [], translationFor).flatMap((c) => (c.kind === "create" ? [c.desired] : []));
  const at = plan.findIndex((r) => r.type === type) + 1;
  await expect(upLocal(stack, { interrupt: { at, when } })).rejects.toBeInstanceOf(InterruptedApplyError);
  return plan[at - 1]!;
}

async function expectCompletesAndHolds(stack: LocalStack, slug: string) {
  expect((await upLocal(stack)).changes.length).toBeGreaterThan(0);
  expect(readState(stack.paths).stacks[stack.stackFile.stack]?.pending).toEqual([]);
  expect((await upLocal(stack)).changes).toEqual([]);
  const { server } = await ensureServer(stack.paths);
  const runtime = readState(stack.paths).stacks[stack.stackFile.stack]!.resources.find((r) => r.inputs["name"] === `tn_${slug}_dev_runtime`)!;
  expect((await attempt(server, { user: `tn_${slug}_dev_runtime`, password: String(runtime.inputs["password"]) }, `tn_${slug}`, ["SELECT 1"])).code).toBeUndefined();
}

describe("after a crash mid-apply, the next run completes", () => {
  it.each([
    [TYPE.database, "after-sql"],
    [TYPE.role, "after-sql"],
    [TYPE.schema, "before-sql"],
    [TYPE.schema, "after-sql"],
    [TYPE.grantRole, "before-sql"],
    [TYPE.grant, "after-sql"],
  ] as const)("interrupted at the first %s, %s", async (type, when) => {
    const slug = `crash${(next += 1)}`;
    const stack = localStack(writeStackFile(org(slug)), slug);
    const interrupted = await crash(stack, type, when);
    expect(readState(stack.paths).stacks[stack.stackFile.stack]?.pending).toEqual([expect.objectContaining({ urn: interrupted.urn, action: "create" })]);
    await expectCompletesAndHolds(stack, slug);
  });

  it("with the owner membership lost before its commit, the proof still holds: PUBLIC stays out", async () => {
    const slug = "crashgr";
    const stack = localStack(writeStackFile(org(slug)), slug);
    await crash(stack, TYPE.grantRole, "before-sql");
    await upLocal(stack);
    const broken = (await proveLocal(stack)).filter((r) => r.status === "fail");
    expect(broken).toEqual([]);
  });

  it("interrupted right after dropping a removed workspace's schema, the next run finishes the delete", async () => {
    const slug = "crashdel";
    const withApi = localStack(writeStackFile(org(slug, [{ slug: "web" }, { slug: "api" }])), slug);
    await upLocal(withApi);
    const withoutApi = localStack(writeStackFile(org(slug)), slug);
    const { desired } = await declareLocal(withoutApi);
    const applied = readState(withoutApi.paths).stacks[withoutApi.stackFile.stack]!.resources;
    const plan = planChanges(desired, applied, translationFor);
    const at = plan.findIndex((c) => c.kind === "delete" && c.previous.type === TYPE.schema) + 1;
    await expect(upLocal(withoutApi, { interrupt: { at, when: "after-sql" } })).rejects.toBeInstanceOf(InterruptedApplyError);
    const resumed = await upLocal(withoutApi);
    expect(resumed.changes.every((c) => c.kind === "delete")).toBe(true);
    expect((await upLocal(withoutApi)).changes).toEqual([]);
  });
});
