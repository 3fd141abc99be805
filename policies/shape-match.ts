import { AUDIT_SCHEMA } from "../components/audit-sql";
import { environmentRoleName, schemaName } from "../spec/naming";
import {
  APPLICATION_EVENT_COLUMNS, AUDIT_EVENTS_TABLE, GRANT_SHAPES, MEMBERSHIP_SHAPES, ROLE_KINDS,
  type GrantShape, type MembershipShape, type Reach,
} from "./grant-shapes";
import { granteeOf, orgDatabase, orgRoles, type Grantee, type OrgFacts } from "./org-roles";

/*
 * Does a declared Grant, DefaultPrivileges, GrantRole or Role match one of the allowed shapes
 * (grant-shapes.ts)? Inputs are the resource's props as declared, of any type: anything that is
 * not exactly what a shape says matches nothing. Pure: no Pulumi import.
 */

/** A Grant's or DefaultPrivileges' props. */
export interface AclFacts {
  readonly resource: "Grant" | "DefaultPrivileges";
  readonly role?: unknown;
  readonly database?: unknown;
  readonly schema?: unknown;
  readonly objectType?: unknown;
  readonly objects?: unknown;
  readonly columns?: unknown;
  readonly privileges?: unknown;
  readonly owner?: unknown;
  readonly withGrantOption?: unknown;
}

const isAbsent = (value: unknown) => value === undefined || value === null || value === "";
const isEmptyList = (value: unknown) => isAbsent(value) || (Array.isArray(value) && value.length === 0);
const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((x) => typeof x === "string");
const notSet = (flag: unknown) => flag === undefined || flag === null || flag === false;

/** The privileges as a set of upper-case keywords, or undefined if they are not a list of strings. */
function privilegeSet(value: unknown): Set<string> | undefined {
  return isStringList(value) ? new Set(value.map((p) => p.toUpperCase())) : undefined;
}

function sameSet(actual: ReadonlySet<string>, allowed: readonly string[]): boolean {
  return actual.size === allowed.length && allowed.every((p) => actual.has(p));
}

/** The schemas a shape reaching `own-environment-schemas` may name for a grantee of `env`. */
export function environmentSchemas(org: OrgFacts, env: string): string[] {
  return org.workspaces.map((workspace) => schemaName(workspace, env));
}

const schemaSetsByOrg = new WeakMap<OrgFacts, Map<string, ReadonlySet<string>>>();

/**
 * environmentSchemas as a set, built once per org and environment: asked for every judged grant,
 * a list of W schemas made and searched each time was quadratic in an org's workspaces.
 */
function environmentSchemaSet(org: OrgFacts, env: string): ReadonlySet<string> {
  const byEnv = schemaSetsByOrg.get(org) ?? new Map<string, ReadonlySet<string>>();
  schemaSetsByOrg.set(org, byEnv);
  const known = byEnv.get(env);
  if (known !== undefined) return known;
  const schemas = new Set(environmentSchemas(org, env));
  byEnv.set(env, schemas);
  return schemas;
}

function reaches(on: Reach, acl: AclFacts, grantee: Grantee, org: OrgFacts): boolean {
  if (acl.database !== orgDatabase(org)) return false;
  const wholeObjects = isEmptyList(acl.objects) && isEmptyList(acl.columns);
  const ledgerTable = acl.schema === AUDIT_SCHEMA && isStringList(acl.objects) && acl.objects.length === 1 && acl.objects[0] === AUDIT_EVENTS_TABLE;
  switch (on) {
    case "org-database": return isAbsent(acl.schema) && wholeObjects;
    case "public-schema": return acl.schema === "public" && wholeObjects;
    case "own-environment-schemas":
      return grantee.env !== undefined && typeof acl.schema === "string" && environmentSchemaSet(org, grantee.env).has(acl.schema) && wholeObjects;
    case "audit-schema": return acl.schema === AUDIT_SCHEMA && wholeObjects;
    case "audit-events": return ledgerTable && isEmptyList(acl.columns);
    case "audit-events-columns":
      return ledgerTable && isStringList(acl.columns) && acl.columns.length > 0 && acl.columns.every((c) => APPLICATION_EVENT_COLUMNS.includes(c));
  }
}

function ownerFits(shape: GrantShape, acl: AclFacts, grantee: Grantee, org: OrgFacts): boolean {
  if (shape.owner === undefined) return isAbsent(acl.owner);
  return grantee.env !== undefined && acl.owner === environmentRoleName(org.slug, grantee.env, "ddl");
}

/** The allowed shape this Grant or DefaultPrivileges is, or undefined: then it is refused. */
export function allowedGrantShape(acl: AclFacts, org: OrgFacts): GrantShape | undefined {
  const grantee = granteeOf(acl.role, org);
  const privileges = privilegeSet(acl.privileges);
  if (grantee === undefined || privileges === undefined || !notSet(acl.withGrantOption)) return undefined;
  return GRANT_SHAPES.find((shape) =>
    shape.resource === acl.resource && shape.grantee === grantee.kind && shape.objectType === acl.objectType &&
    sameSet(privileges, shape.privileges) && reaches(shape.on, acl, grantee, org) && ownerFits(shape, acl, grantee, org) &&
    (shape.access === undefined || shape.access === org.breakGlass?.access));
}

/** A GrantRole's props: `role` becomes a member of `grantRole`. */
export interface MembershipFacts {
  readonly role?: unknown;
  readonly grantRole?: unknown;
  readonly withAdminOption?: unknown;
}

export function allowedMembership(membership: MembershipFacts, org: OrgFacts): MembershipShape | undefined {
  if (!notSet(membership.withAdminOption)) return undefined;
  const member = granteeOf(membership.role, org);
  const of = granteeOf(membership.grantRole, org);
  return MEMBERSHIP_SHAPES.find((shape) => shape.member === member?.kind && shape.of === of?.kind);
}

/** A Role's props that decide its kind. */
export interface RoleFacts {
  readonly name?: unknown;
  readonly login?: unknown;
  readonly roles?: unknown;
  readonly assumeRole?: unknown;
}

/** What keeps a Role from matching its kind; empty when it matches one. */
export function roleKindProblems(role: RoleFacts, org: OrgFacts): string[] {
  const roles = orgRoles(org);
  const own = roles.find((r) => r.name === role.name);
  if (own === undefined) return [`is none of org ${org.slug}'s roles (${roles.map((r) => r.name).join(", ")})`];
  const kind = ROLE_KINDS[own.kind];
  const login = kind.login && !org.offboarding;
  const why = kind.login && org.offboarding ? "an org marked for offboarding keeps its roles but none may log in" : kind.why;
  const loginFits = login ? role.login === true : notSet(role.login);
  return [
    loginFits ? undefined : `must be ${login ? "LOGIN (login: true)" : "NOLOGIN (login: false)"}: ${why}`,
    isEmptyList(role.roles) ? undefined : "must not list roles: a membership is a GrantRole, and none makes a tenant role a member",
    isAbsent(role.assumeRole) ? undefined : "must not set assumeRole",
  ].filter((problem): problem is string => problem !== undefined);
}
