import { ORG_PROVIDER_PACKAGES, orgProviderName, providerType, type OrgProviderPackage } from "../../components/provider-plan";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import { packageOf, providerReference } from "../../harness/provider-reference";
import type { RegisteredResource } from "../../harness/recording-monitor";

/**
 * A resource as the program would register it, built from the provider's real resource class
 * (its type token, and its Args type checking the inputs): the pulumi-policy-aws
 * `src/tests/util.ts` pattern, for resources the example program does not declare. Like the
 * program's own, it is managed by org acme's provider for its package.
 */
export function declared<A extends object>(resourceClass: new (name: string, args: A) => unknown, name: string, args: A): RegisteredResource {
  const type = (resourceClass as unknown as { __pulumiType?: string }).__pulumiType;
  if (type === undefined) throw new Error(`${resourceClass.name} carries no Pulumi type token`);
  const pkg = packageOf(type);
  const isOrgPackage = (ORG_PROVIDER_PACKAGES as readonly string[]).includes(pkg);
  return { ...component(type, name, args as Record<string, unknown>, true), ...(isOrgPackage ? { provider: orgProviderReference(pkg as OrgProviderPackage) } : {}) };
}

/** The reference to org acme's provider of `pkg`, as the program registers it under the mock monitor. */
export function orgProviderReference(pkg: OrgProviderPackage, org = "acme"): string {
  const name = orgProviderName(`org-${org}`, pkg);
  return providerReference(`urn:pulumi:org-${org}::tenantry::${COMPONENT_TYPES.orgTenant}$${providerType(pkg)}::${name}`, `${name}-id`);
}

/** A component resource (or any type token) with the given props. */
export function component(type: string, name: string, props: Record<string, unknown>, custom = false): RegisteredResource {
  return {
    urn: `urn:pulumi:org-acme::tenantry::${type}::${name}`,
    type,
    name,
    custom,
    parent: undefined,
    inputs: props,
    protect: false,
    retainOnDelete: false,
    dependsOn: [],
  };
}
