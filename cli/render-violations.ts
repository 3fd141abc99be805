import type { StackReport } from "../harness/check-stack";

/*
 * Violations printed the way `pulumi preview --policy-pack` prints them: grouped by policy, each
 * with the pack and version, the resource as `(name: type)`, the policy's description, then the
 * message. Messages name resources and fields, never values.
 */

/** `urn:pulumi:<stack>::<project>::<parent$>type::<name>` → `name: type`. */
export function resourceLabel(urn: string): string {
  const parts = urn.split("::");
  const type = parts[2]?.split("$").at(-1) ?? "";
  return `${parts.slice(3).join("::")}: ${type}`;
}

export function renderReport(report: StackReport, packVersion: string): string {
  const { stack, resources, violations } = report;
  if (violations.length === 0) return `${stack}: ${resources} resources, no policy violations (tenantry-security v${packVersion})`;
  // Grouped by policy, in the order the policies first reported (Map.groupBy needs Node 21).
  const policies = [...new Set(violations.map((v) => v.policy))];
  const grouped = policies.flatMap((policy) => violations.filter((v) => v.policy === policy));
  const lines = grouped.flatMap((v) => [
    `    [${v.enforcementLevel}]  tenantry-security v${packVersion}  ${v.policy}${v.urn === undefined ? "" : ` (${resourceLabel(v.urn)})`}`,
    `    ${v.description}`,
    `    ${v.message}`,
  ]);
  return [`Policy Violations:`, ...lines, "", `${stack}: ${violations.length} policy violation(s) in ${resources} resources`].join("\n");
}
