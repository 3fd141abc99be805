import { databaseName, environmentRoleName, orgRoleName } from "../spec/naming";
import type { OrgFacts } from "../components/org-facts";
import type { GranteeKind, RoleKind } from "./grant-shapes";

/*
 * Who is who in one org, by exact name. Every name comes from the naming module, as the
 * program derives it, so the pack never keeps a second copy of the patterns: a role is of the
 * org if and only if the program would give it that name.
 */

/** What the pack knows of the org: the OrgTenant component's registered facts (stack-org.ts). */
export type { OrgFacts } from "../components/org-facts";

export interface OrgRole {
  readonly kind: RoleKind;
  readonly name: string;
  /** For runtime and ddl: the environment the role belongs to; for break-glass, the one it reaches. */
  readonly env?: string;
}

const rolesByOrg = new WeakMap<OrgFacts, readonly OrgRole[]>();

/** Every role the org may have (break-glass only while it is on). Throws (naming's internal error) for facts no valid spec gives. */
export function orgRoles(org: OrgFacts): readonly OrgRole[] {
  // Asked once per judged grant: a stack's grants share one list.
  const known = rolesByOrg.get(org);
  if (known !== undefined) return known;
  const roles: OrgRole[] = [
    { kind: "org-owner", name: orgRoleName(org.slug, "owner") },
    { kind: "audit-owner", name: orgRoleName(org.slug, "audit") },
    // Only while break-glass is on, and then of its one environment: off, its role is nobody's.
    ...(org.breakGlass === undefined ? [] : [{ kind: "break-glass" as const, env: org.breakGlass.environment, name: orgRoleName(org.slug, "breakglass") }]),
    ...org.environments.flatMap((env) => (["runtime", "ddl"] as const).map((kind) => ({ kind, env, name: environmentRoleName(org.slug, env, kind) }))),
  ];
  rolesByOrg.set(org, roles);
  return roles;
}

export function orgDatabase(org: OrgFacts): string {
  return databaseName(org.slug);
}

export interface Grantee {
  readonly kind: GranteeKind;
  readonly env?: string;
}

/**
 * The kind of a grant's or membership's role, or undefined for any role that is not exactly
 * one of the org's (another org's, a prefix look-alike such as org acme-dev's `tn_acme_dev_owner`,
 * `PUBLIC` in capitals, which Postgres would take for a role of that name).
 */
export function granteeOf(role: unknown, org: OrgFacts): Grantee | undefined {
  if (typeof role !== "string") return undefined;
  if (role === "public") return { kind: "public" };
  const own = orgRoles(org).find((r) => r.name === role);
  if (own !== undefined) return own.env === undefined ? { kind: own.kind } : { kind: own.kind, env: own.env };
  return role === org.providerLogin ? { kind: "provider-login" } : undefined;
}
