import type { PolicyProviderResource, PolicyResource } from "@pulumi/policy";
import { isOrgProvider, orgProviderName, resourcesOfPackage, type OrgProviderPackage } from "../components/provider-plan";
import { orgOfStack, type StackOrg } from "./stack-org";
import type { TenantryStackPolicy } from "./policy-types";

/*
 * Explicit providers, judged by allowlist: a resource of an org package is accepted only on the
 * one provider the org declares for that package (by type and logical name), and only while
 * that provider holds the settings the org requires. The engine hands every custom resource's
 * provider to the pack, a default provider included (`default_<version>`, built from the
 * stack's config), so "on the default provider" is just one more provider that is not the org's.
 */

/** For the message only: the verdict never depends on a provider being called default. */
function describe(provider: PolicyProviderResource | undefined, expected: string): string {
  if (provider === undefined) return "has none";
  if (provider.name.startsWith("default")) return `uses the default provider ${provider.type}::${provider.name}, which reads the deploy job's configuration`;
  return provider.name === expected ? `uses a provider of that name the OrgTenant component did not declare (${provider.urn})` : `uses ${provider.type}::${provider.name}`;
}

/**
 * Why `resource` is not on its org's own `pkg` provider, or why that provider's settings are
 * not the org's (`settings` judges the provider's inputs). Empty when it is.
 */
function orgProviderFindings(
  resource: PolicyResource,
  pkg: OrgProviderPackage,
  org: StackOrg,
  settings: (props: Record<string, unknown>) => string[],
): string[] {
  const expected = orgProviderName(org.name, pkg);
  const { provider } = resource;
  if (provider === undefined || !isOrgProvider(provider, org.name, pkg)) {
    return [`${resource.name} must use the org's ${pkg} provider ${expected}, but ${describe(provider, expected)}.`];
  }
  return settings(provider.props).map((finding) => `${resource.name} uses ${expected}, whose ${finding}`);
}

/**
 * A stack rule: every resource of `pkg` on its org's own `pkg` provider, whose inputs pass
 * `settings` (findings that complete "<resource> uses <provider>, whose ..."). Mandatory.
 */
export function orgProviderRule(
  pkg: OrgProviderPackage,
  rule: { name: string; description: string; rationale: string; settings?: (props: Record<string, unknown>, org: StackOrg) => string[] },
): TenantryStackPolicy {
  const settings = rule.settings ?? (() => []);
  return {
    name: rule.name,
    description: rule.description,
    rationale: rule.rationale,
    enforcementLevel: "mandatory",
    validateStack: (args, reportViolation) => {
      const org = orgOfStack(args.resources);
      if (org === undefined) return;
      for (const resource of resourcesOfPackage(args.resources, pkg)) {
        for (const finding of orgProviderFindings(resource, pkg, org, (props) => settings(props, org))) reportViolation(finding, resource.urn);
      }
    },
  };
}

/** A bridged provider's object input arrives as JSON text (the SDK stringifies it); accept either form. */
export function objectInput(value: unknown): Record<string, unknown> | undefined {
  let parsed = value;
  if (typeof value === "string") {
    try {
      parsed = JSON.parse(value);
    } catch {
      return undefined;
    }
  }
  return typeof parsed === "object" && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

/** A bridged provider's boolean input arrives as "true"/"false" text. */
export const booleanInput = (value: unknown): boolean | undefined =>
  value === true || value === "true" ? true : value === false || value === "false" ? false : undefined;
