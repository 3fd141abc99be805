import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { TENANTRY_POLICIES } from "../../policies/all";

/*
 * A stack's verdicts one change at a time (STYLE.md 8): the example org's resources with a few
 * put in place of those of the same URN, or added.
 */

export function stackWith(base: readonly RegisteredResource[], ...changed: RegisteredResource[]): RegisteredResource[] {
  const byUrn = new Map(changed.map((r) => [r.urn, r]));
  return [...base.map((r) => byUrn.get(r.urn) ?? r), ...changed.filter((r) => !base.some((b) => b.urn === r.urn))];
}

export const withInputs = (resource: RegisteredResource, patch: Record<string, unknown>): RegisteredResource => ({ ...resource, inputs: { ...resource.inputs, ...patch } });

/** The rules (of `policies`, the whole pack by default) that refuse `resource` in `base` changed by it. */
export async function rulesRefusing(base: readonly RegisteredResource[], resource: RegisteredResource, policies = TENANTRY_POLICIES): Promise<string[]> {
  const violations = await runPolicies(stackWith(base, resource), policies);
  return [...new Set(violations.filter((v) => v.urn === resource.urn && v.enforcementLevel === "mandatory").map((v) => v.policy))];
}

/** The URNs rule `name` refuses in `base` changed by `resources`. */
export async function urnsRefusedBy(name: string, base: readonly RegisteredResource[], ...resources: RegisteredResource[]): Promise<string[]> {
  const violations = await runPolicies(stackWith(base, ...resources), TENANTRY_POLICIES.filter((p) => p.name === name));
  return [...new Set(violations.filter((v) => v.enforcementLevel === "mandatory").map((v) => v.urn ?? "the stack"))];
}
