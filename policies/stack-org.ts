import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { readOrgFacts, type OrgFacts } from "../components/org-facts";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { isPlatformClusterResource } from "./platform-clusters";
import { judgeEachKnown } from "./unknowns";

/*
 * The org a stack declares, as the OrgTenant component registers it (components/org-facts.ts):
 * the facts every rule that judges resources against their org reads, by this one function.
 */

/** The stack's one org: its facts, and the component's logical name and URN. */
export type StackOrg = OrgFacts & { readonly name: string; readonly urn: string };

/**
 * The stack's one org, or undefined when it declares none, several, or one without usable
 * facts: then nothing is allowed (stack-one-org says why). Reads the component's props, so an
 * unknown value throws the pack's UnknownValueError, as any read does.
 */
export function orgOfStack(resources: readonly PolicyResource[]): StackOrg | undefined {
  const orgs = resources.filter((r) => r.type === COMPONENT_TYPES.orgTenant);
  const [org] = orgs;
  if (org === undefined || orgs.length > 1) return undefined;
  const facts = readOrgFacts(org.props);
  return facts === undefined ? undefined : { ...facts, name: org.name, urn: org.urn };
}

/**
 * For the allowlist rules: each resource of `types` (type tokens, or a test of one) is judged
 * against the stack's one org by `judge`, which returns its violations' messages. With no org,
 * or several, nothing is allowed.
 */
export function judgeAgainstOrg(
  resources: readonly PolicyResource[], types: readonly string[] | ((type: string) => boolean), keys: readonly string[], reportViolation: ReportViolation,
  judge: (resource: PolicyResource, values: Readonly<Record<string, unknown>>, org: OrgFacts) => readonly string[],
): void {
  const isJudged = typeof types === "function" ? types : (type: string) => types.includes(type);
  // The platform's clusters have no org: the RDS rules judge them (policies/platform-clusters.ts).
  const judged = resources.filter((r) => isJudged(r.type) && !isPlatformClusterResource(r));
  if (judged.length === 0) return;
  const org = orgOfStack(resources);
  if (org === undefined) {
    // Once per rule, not once per resource: the one cause is the missing (or doubled) org.
    reportViolation(`${judged.length} ${judged.length === 1 ? "resource" : "resources"} refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).`);
    return;
  }
  judgeEachKnown(judged, keys, (resource, values) => {
    for (const message of judge(resource, values, org)) reportViolation(message, resource.urn);
  });
}
