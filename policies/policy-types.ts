import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";

/*
 * The pack's rules carry why they exist next to what they check, so the reason is reviewed with
 * the rule and docs/policies.md prints it from here (reference/policies-doc.ts). Pulumi reads a
 * policy's fields by name and ignores this one.
 */
interface Rationale {
  /** Why the rule exists: what a stack could do without it. A sentence or two, for docs/policies.md. */
  readonly rationale: string;
}

export type TenantryResourcePolicy = ResourceValidationPolicy & Rationale;
export type TenantryStackPolicy = StackValidationPolicy & Rationale;
export type TenantryPolicy = TenantryResourcePolicy | TenantryStackPolicy;
