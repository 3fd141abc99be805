import type { StackValidationPolicy } from "@pulumi/policy";

/* One org per stack, and every resource named after it. */

const ORG = "tenantry:index:OrgTenant";

export const stackOneOrg: StackValidationPolicy = {
  name: "stack-one-org",
  description: "A stack declares exactly one tenant org.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const orgs = args.resources.filter((r) => r.type === ORG);
    if (orgs.length !== 1) reportViolation(`A stack must declare exactly one org (found ${orgs.length}).`);
  },
};

export const stackNamesCarryOrgPrefix: StackValidationPolicy = {
  name: "stack-names-carry-org-prefix",
  description: "Every resource of the stack is named after its org.",
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
