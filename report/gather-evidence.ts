import { edgeTrustOf, routerConfig } from "../components/edge-config";
import { checkStackFile } from "../harness/check-stack";
import { OFFLINE_CHECKS } from "../harness/offline-checks";
import { TENANTRY_POLICIES } from "../policies/all";
import type { OrgSpec } from "../spec/spec";
import type { RouterConfig } from "../workers/dispatch/config";
import { policyOutcomes } from "./policy-outcomes";
import type { PolicyOutcome } from "./report-model";

/*
 * The evidence the page needs beyond the proof, gathered as the other commands gather it: the
 * pack's outcomes exactly as `tenantry check` reaches them, and the router's configuration as
 * the program binds it.
 */

/** The pack in-process over what the program registered for the stack file, then the offline-only checks (harness/check-stack.ts). */
export async function stackPolicyOutcomes(stackFilePath: string): Promise<{ readonly outcomes: PolicyOutcome[]; readonly resources: number }> {
  const report = await checkStackFile(stackFilePath);
  return { outcomes: policyOutcomes([...TENANTRY_POLICIES, ...OFFLINE_CHECKS], report.violations), resources: report.resources };
}

/** The router's configuration, as the program binds it; undefined for an org with no edge. */
export function routerOf(spec: OrgSpec): RouterConfig | undefined {
  return spec.edge === undefined ? undefined : routerConfig(spec, edgeTrustOf(spec.edge));
}
