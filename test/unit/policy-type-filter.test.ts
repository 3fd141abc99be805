import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { runProgram } from "../../harness/run-program";
import { readStackFile } from "../../harness/stack-file";
import { TENANTRY_POLICIES } from "../../policies/all";

/*
 * The policy runner skips a typed rule (validateResourceOfType) for resources of another type
 * instead of calling it to hear it is not applicable (a tenth of `check --all`). That must change
 * no verdict: the same rules with their type mark hidden, so each is called on every resource,
 * must report exactly the same, whatever resources they are shown, including resources whose
 * type was swapped for another so that typed rules meet properties they do not expect.
 */

const PROJECT_DIR = join(__dirname, "..", "..");

/** The pack's rules, each typed rule wrapped so the runner cannot see the type it judges. */
const UNFILTERED = TENANTRY_POLICIES.map((policy) => {
  if (!("validateResource" in policy) || policy.validateResource === undefined) return policy;
  const validations = ([] as unknown[]).concat(policy.validateResource) as ((...args: unknown[]) => unknown)[];
  return { ...policy, validateResource: validations.map((validate) => (...args: unknown[]) => validate(...args)) };
}) as typeof TENANTRY_POLICIES;

const outcome = (resources: readonly RegisteredResource[], policies: typeof TENANTRY_POLICIES) =>
  runPolicies(resources, policies).then((violations) => ({ violations }), (error: unknown) => ({ error: String(error) }));

let acme: readonly RegisteredResource[];
beforeAll(async () => {
  acme = (await runProgram(readStackFile(join(PROJECT_DIR, "stacks", "Pulumi.org-acme.yaml")))).resources;
});

describe("the policy runner's type filter", () => {
  it("hides every typed rule's mark in the control (so the control really calls each rule on every resource)", () => {
    const marked = (policies: typeof TENANTRY_POLICIES) => policies.flatMap((p) => ("validateResource" in p ? ([] as unknown[]).concat(p.validateResource ?? []) : []))
      .filter((v) => typeof (v as { __pulumiType?: unknown }).__pulumiType === "string").length;
    expect(marked(TENANTRY_POLICIES)).toBeGreaterThan(10);
    expect(marked(UNFILTERED)).toBe(0);
  });

  it("reports the same verdicts as calling every rule on every resource, over generated resource sets", async () => {
    const types = [...new Set(acme.map((r) => r.type))];
    await fc.assert(fc.asyncProperty(
      fc.subarray([...acme.keys()], { minLength: 1 }),
      fc.array(fc.tuple(fc.nat(), fc.nat()), { maxLength: 6 }),
      async (kept, swaps) => {
        const resources = kept.map((i) => acme[i] as RegisteredResource);
        const swapped = resources.map((r) => ({ ...r }));
        for (const [at, to] of swaps) {
          const target = swapped[at % swapped.length] as { type: string };
          target.type = types[to % types.length] as string;
        }
        expect(await outcome(swapped, TENANTRY_POLICIES)).toEqual(await outcome(swapped, UNFILTERED));
      },
    ), { numRuns: 40 });
  });

  it("finds the same violations in a stack that breaks typed rules", async () => {
    const rogue = acme.map((r) => (r.type === "postgresql:index/role:Role" ? { ...r, inputs: { ...r.inputs, superuser: true } } : r));
    const filtered = await outcome(rogue, TENANTRY_POLICIES);
    expect("violations" in filtered && filtered.violations.length).toBeGreaterThan(0);
    expect(filtered).toEqual(await outcome(rogue, UNFILTERED));
  });
});
