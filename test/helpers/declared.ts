import type { RegisteredResource } from "../../harness/recording-monitor";

/**
 * A resource as the program would register it, built from the provider's real resource class
 * (its type token, and its Args type checking the inputs): the pulumi-policy-aws
 * `src/tests/util.ts` pattern, for resources the example program does not declare.
 */
export function declared<A extends object>(resourceClass: new (name: string, args: A) => unknown, name: string, args: A): RegisteredResource {
  const type = (resourceClass as unknown as { __pulumiType?: string }).__pulumiType;
  if (type === undefined) throw new Error(`${resourceClass.name} carries no Pulumi type token`);
  return component(type, name, args as Record<string, unknown>, true);
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
