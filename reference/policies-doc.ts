import type { PolicyConfigSchema } from "@pulumi/policy";
import packManifest from "../policies/package.json";
import { POLICY_AREAS, POLICY_PACK_NAME, type PolicyArea } from "../policies/all";
import type { TenantryPolicy } from "../policies/policy-types";
import { OFFLINE_CHECKS, type OfflineCheckFacts } from "../harness/offline-checks";
import { anchor, code, escapeText, table } from "./markdown";

/*
 * docs/policies.md, rendered from the pack itself: every rule of every area in
 * policies/all.ts, with its enforcement level, what it requires (its description) and why (its
 * rationale), the checks `tenantry check` runs beside the pack (harness/offline-checks.ts), and
 * the configuration rules declare. How the pack works is hand-written, in docs/policy-pack.md.
 */

export interface PackFacts {
  readonly name: string;
  readonly version: string;
  readonly areas: readonly PolicyArea[];
  /** What `tenantry check` refuses beside the pack, because the pack cannot see it. */
  readonly offlineChecks: readonly OfflineCheckFacts[];
}

const OFFLINE_HEADING = "Offline-only checks";

/** What Pulumi applies to a rule that sets no level (the pack sets none either). */
const PULUMI_DEFAULT_LEVEL = "advisory";

const levelOf = (policy: TenantryPolicy) => policy.enforcementLevel ?? PULUMI_DEFAULT_LEVEL;

export function renderPoliciesDoc(pack: PackFacts): string {
  const policies = pack.areas.flatMap((area) => area.policies);
  return [
    "# Policy rules",
    "<!-- Generated from policies/all.ts (each rule's description and rationale) and harness/offline-checks.ts by reference/policies-doc.ts: do not edit, run `npm run generate`. -->",
    `Every rule of the ${code(pack.name)} pack (${code(`v${pack.version}`)}), by area: its enforcement level, what it requires (the pack refuses every resource or stack where it does not hold), and why it exists. ${levelCounts(policies)}${offlineSentence(pack.offlineChecks)} How the pack judges (allowlists, the offline \`tenantry check\`, values unknown during preview, what it cannot see) is in [policy-pack.md](policy-pack.md); the command that runs it offline is in [cli.md](cli.md#tenantry-check).`,
    "## Contents",
    tableOfContents(pack),
    ...pack.areas.flatMap(areaSection),
    ...offlineSection(pack.offlineChecks),
    "## Configuration",
    configuration(policies),
  ].join("\n\n") + "\n";
}

function levelCounts(policies: readonly TenantryPolicy[]): string {
  const counts = new Map<string, number>();
  for (const policy of policies) counts.set(levelOf(policy), (counts.get(levelOf(policy)) ?? 0) + 1);
  if (counts.size === 1) return `${policies.length} rules, all ${code([...counts.keys()][0] ?? "")}.`;
  return `${policies.length} rules: ${[...counts].map(([level, n]) => `${n} ${code(level)}`).join(", ")}.`;
}

function offlineSentence(checks: readonly OfflineCheckFacts[]): string {
  if (checks.length === 0) return "";
  const count = checks.length === 1 ? "1 check" : `${checks.length} checks`;
  return ` Beside the pack, \`tenantry check\` makes ${count} [offline only](#${anchor(OFFLINE_HEADING)}), on what the pack is never shown.`;
}

function tableOfContents(pack: PackFacts): string {
  const entry = (title: string, names: readonly string[]) => [
    `- [${escapeText(title)}](#${anchor(title)})`,
    ...names.map((name) => `  - [${code(name)}](#${anchor(name)})`),
  ].join("\n");
  return [
    ...pack.areas.map((area) => entry(area.title, area.policies.map((policy) => policy.name))),
    ...(pack.offlineChecks.length === 0 ? [] : [entry(OFFLINE_HEADING, pack.offlineChecks.map((check) => check.name))]),
    "- [Configuration](#configuration)",
  ].join("\n");
}

/** Each rule's configSchema, if any declares one; and the one override Pulumi always allows. */
function configuration(policies: readonly TenantryPolicy[]): string {
  const configured = policies.filter((policy): policy is TenantryPolicy & { configSchema: PolicyConfigSchema } => policy.configSchema !== undefined);
  const override = "Pulumi lets a `--policy-pack-config` file (`policyPackConfigs` in pulumi/actions) set any rule's enforcement level, `disabled` included; the workflows in `.github/workflows/` pass none, and `tenantry check` reads none.";
  if (configured.length === 0) return `No rule takes configuration (none declares a \`configSchema\`). ${override}`;
  return [
    `Rules that take configuration, from their \`configSchema\`. ${override}`,
    table(["rule", "property", "type", "default", "required"], configured.flatMap((policy) =>
      Object.entries(policy.configSchema.properties).map(([property, schema]) => [
        `[${code(policy.name)}](#${anchor(policy.name)})`,
        code(property),
        escapeText(String(schema.type ?? "")),
        schema.default === undefined ? "" : code(JSON.stringify(schema.default)),
        policy.configSchema.required?.includes(property) === true ? "yes" : "",
      ]))),
  ].join("\n\n");
}

function areaSection(area: PolicyArea): string[] {
  return [`## ${escapeText(area.title)}`, escapeText(area.summary), ...area.policies.map(policySection)];
}

function policySection(policy: TenantryPolicy): string {
  const kind = "validateStack" in policy
    ? "stack rule: judges all of a stack's resources together"
    : "resource rule: judges each resource on its own";
  return [
    `### ${policy.name}`,
    `${code(levelOf(policy))} · ${kind}`,
    `**Requires:** ${escapeText(policy.description)}`,
    `**Why:** ${escapeText(policy.rationale)}`,
  ].join("\n\n");
}

/** The checks of harness/offline-checks.ts: they refuse a stack in `tenantry check`, and nowhere else. */
function offlineSection(checks: readonly OfflineCheckFacts[]): string[] {
  if (checks.length === 0) return [];
  return [
    `## ${OFFLINE_HEADING}`,
    "`tenantry check` makes these checks beside the pack, over the resources its recording monitor registered, and reports what they find among the pack's violations, with the same exit code. They are not pack rules: each needs something the pack is never shown, said under its name.",
    ...checks.map((check) => [
      `### ${check.name}`,
      `${code(check.enforcementLevel)} · offline check: \`tenantry check\` only`,
      `**Requires:** ${escapeText(check.description)}`,
      `**Refuses:** ${escapeText(check.refuses)}`,
      `**Why:** ${escapeText(check.rationale)}`,
      `**Why offline only:** ${escapeText(check.offlineBecause)}`,
    ].join("\n\n")),
  ];
}

/** The page as committed: the pack as policies/all.ts lists it, and the checks beside it. */
export function policiesReferencePage(): string {
  return renderPoliciesDoc({ name: POLICY_PACK_NAME, version: packManifest.version, areas: POLICY_AREAS, offlineChecks: OFFLINE_CHECKS });
}
