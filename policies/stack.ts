import { COMPONENT_TYPES } from "../components/type-tokens";
import type { PolicyResource } from "@pulumi/policy";
import { isOperatorGatewayResource } from "./operator-gateway";
import { isPlatformClusterResource } from "./platform-clusters";
import { isPlatformOnlyType } from "./resource-types";
import { orgOfStack } from "./stack-org";
import { readKnown, UNKNOWN } from "./unknowns";
import type { TenantryStackPolicy } from "./policy-types";

/* One org per stack, and every resource named after it. */

const ORG = COMPONENT_TYPES.orgTenant;

/**
 * Types only an org stack declares; the platform stack (GitHub gates, the accounts' Secrets
 * Stores) has none of them but its platform-only types.
 */
const TENANT_TYPE = /^(postgresql|cloudflare|aws|random):|^tenantry:index:(Org|AuditLedger|EnvironmentSchemas|DispatchNamespace|SecretBindings|TenantApp)/;
const isTenantType = (type: string) => TENANT_TYPE.test(type) && !isPlatformOnlyType(type);
/** A tenant resource: of a tenant type, and not one the platform's operator gateway declared. */
const isTenantResource = (r: PolicyResource) => isTenantType(r.type) && !isOperatorGatewayResource(r) && !isPlatformClusterResource(r);

export const stackOneOrg: TenantryStackPolicy = {
  name: "stack-one-org",
  description: "A stack that declares tenant resources declares exactly one tenant org.",
  rationale: "Every per-org rule judges a stack against its one org's facts, and one update should touch one tenant: with two orgs (or none) in a stack, those facts, and the blast radius, are no longer one org's.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    if (!args.resources.some(isTenantResource)) return; // not an org stack (the platform stack)
    const orgs = args.resources.filter((r) => r.type === ORG);
    if (orgs.length !== 1) reportViolation(`A stack must declare exactly one org (found ${orgs.length}).`);
  },
};

export const stackNamesCarryOrgPrefix: TenantryStackPolicy = {
  name: "stack-names-carry-org-prefix",
  description: "Every resource of the stack is named after its org.",
  rationale: "Previews, state and violation messages show resources by name: with the org's prefix on every one, each reads as that org's, and a resource that does not come from the org's components stands out in review.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const org = args.resources.find((r) => r.type === ORG);
    if (org === undefined) return;
    const prefix = org.name;
    for (const resource of args.resources) {
      if (resource.type.startsWith("pulumi:") || resource.name === prefix || resource.name.startsWith(`${prefix}-`)) continue;
      reportViolation(`${resource.name} must be named ${prefix}-...: every resource carries its org's prefix.`, resource.urn);
    }
  },
};

/** Switches that would turn a guardrail off; none may be on in a production org. */
const BYPASS_SWITCH = /^(dev_?mode|debug\w*|insecure\w*|skip_?[a-z]\w*|disable_?[a-z]\w*|\w*bypass\w*|tenant_?bypass)$/i;

function switchesOn(value: unknown, path: string[] = []): string[] {
  if (typeof value !== "object" || value === null) return [];
  const record = value as Record<string, unknown>;
  return Object.keys(record).flatMap((key) => {
    // A value unknown during preview is not a switch that is on: it is skipped, not an error.
    const v = readKnown(record, key);
    if (v === UNKNOWN) return [];
    return BYPASS_SWITCH.test(key) && (v === true || v === "true" || v === 1) ? [[...path, key].join(".")] : switchesOn(v, [...path, key]);
  });
}

export const stackNoBypassSwitches: TenantryStackPolicy = {
  name: "stack-no-bypass-switches",
  description: "No dev-mode, bypass or insecure switch is on anywhere in a production org's stack.",
  rationale: "A production stack has no dev-mode or tenant-bypass switch (posture property 14, README): a switch named like one that is on is refused wherever it appears, rather than trusting that nothing reads it.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    if (orgOfStack(args.resources)?.tier !== "production") return;
    for (const resource of args.resources) {
      for (const path of switchesOn(resource.props)) {
        reportViolation(`${resource.name} turns on ${path}: a production org has no dev-mode or bypass switch.`, resource.urn);
      }
    }
  },
};
