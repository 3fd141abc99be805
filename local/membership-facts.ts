import type { RoleSource } from "./provider-sql/sql";
import { ident, literal } from "./provider-sql/sql";

/*
 * The provider's temporary memberships (membership.ts) with its catalog look-ups asked in one
 * statement instead of one round trip each: which roles a step needs, whether each is a
 * superuser, and the two pg_auth_members rows the provider checks before it grants and revokes.
 * The decisions below are the ones withRolesGranted makes from those answers; the statements
 * they produce are the provider's. Pure: the runner sends them (sql-runner.ts).
 *
 * One statement sees every answer at once, where the provider asks role by role, granting as it
 * goes. That gives the same answers because the roles are distinct and a grant or revoke of one
 * role's membership changes no other role's row: the checks read pg_auth_members rows, not
 * inherited membership.
 */

/** One role the step needs, with what the provider asks about it. */
export interface RoleFacts {
  readonly role: string;
  readonly superuser: boolean;
  /** The role is a member of the provider's login (helpers.go revokes that first, to avoid a cycle); with SET on PG 16+, as isMemberOfRole asks. */
  readonly memberOfLogin: boolean;
  /** The login is a member of the role (with SET on PG 16+): no grant needed. */
  readonly loginIsMember: boolean;
}

const membershipRow = (roleid: string, member: string, setOption: boolean) =>
  `EXISTS (SELECT 1 FROM pg_catalog.pg_auth_members WHERE pg_get_userbyid(roleid) = ${roleid} AND pg_get_userbyid(member) = ${member}${setOption ? " AND set_option" : ""})`;

/**
 * The roles a step's sources resolve to (getRolesToGrant; `pg_database_owner` stands for the
 * current database's owner), each with its facts, in the sources' order. `ordinal` keeps that
 * order; a schema's tables' owners come in the server's order, as the provider's DISTINCT does.
 */
export function roleFactsSql(sources: readonly RoleSource[], login: string, hasSetOption: boolean): string {
  const databaseOwner = "(SELECT rolname FROM pg_catalog.pg_database JOIN pg_catalog.pg_roles ON datdba = pg_roles.oid WHERE datname = current_database())";
  const rows = sources.map((source, ordinal) => {
    if ("role" in source) return `SELECT ${ordinal} AS ordinal, ${literal(source.role)}::text AS name`;
    if ("ownerOfCurrentDatabase" in source) return `SELECT ${ordinal} AS ordinal, ${databaseOwner}::text AS name`;
    if ("ownerOfSchema" in source) {
      return `SELECT ${ordinal} AS ordinal, (SELECT rolname FROM pg_catalog.pg_namespace JOIN pg_catalog.pg_roles ON nspowner = pg_roles.oid WHERE nspname = ${literal(source.ownerOfSchema)})::text AS name`;
    }
    return `SELECT ${ordinal} AS ordinal, owner::text AS name FROM (SELECT DISTINCT tableowner AS owner FROM pg_catalog.pg_tables WHERE schemaname = ${literal(source.ownersOfTablesIn)}) AS owners`;
  });
  const me = literal(login);
  return `SELECT resolved.role, coalesce(r.rolsuper, false) AS superuser,
  ${membershipRow(me, "resolved.role", hasSetOption)} AS member_of_login,
  ${membershipRow("resolved.role", me, hasSetOption)} AS login_is_member
FROM (
  SELECT sources.ordinal, CASE WHEN sources.name = 'pg_database_owner' THEN ${databaseOwner} ELSE sources.name END AS role
  FROM (${rows.join("\n    UNION ALL ")}) AS sources
) AS resolved LEFT JOIN pg_catalog.pg_roles r ON r.rolname = resolved.role
WHERE coalesce(resolved.role, '') <> ''
ORDER BY resolved.ordinal`;
}

export function roleFactsFrom(rows: readonly Record<string, unknown>[]): RoleFacts[] {
  return rows.map((row) => ({
    role: String(row["role"]),
    superuser: row["superuser"] === true,
    memberOfLogin: row["member_of_login"] === true,
    loginIsMember: row["login_is_member"] === true,
  }));
}

/** What withRolesGranted does before the statements, and what it must undo after them. */
export interface MembershipPlan {
  readonly before: readonly string[];
  /** Granted to the login here: revoked again after the statements. */
  readonly granted: readonly string[];
  /** Reverse memberships revoked here: granted back after the statements (if the role still exists). */
  readonly revoked: readonly string[];
}

/**
 * withRolesGranted (guarded) skips superuser roles, revokes a role's membership in the login,
 * and grants the role to the login unless it is a member; grantRoleMembership (the database's)
 * only grants. The first occurrence of a role counts, as the provider deduplicates.
 */
export function planMemberships(facts: readonly RoleFacts[], login: string, guarded: boolean): MembershipPlan {
  const before: string[] = [];
  const granted: string[] = [];
  const revoked: string[] = [];
  const seen = new Set<string>();
  for (const { role, superuser, memberOfLogin, loginIsMember } of facts) {
    if (seen.has(role)) continue;
    seen.add(role);
    if (role === login || (guarded && superuser)) continue;
    if (guarded && memberOfLogin) {
      before.push(`REVOKE ${ident(login)} FROM ${ident(role)}`);
      revoked.push(role);
    }
    if (!loginIsMember) {
      before.push(`GRANT ${ident(role)} TO ${ident(login)}`);
      granted.push(role);
    }
  }
  return { before, granted, revoked };
}

/** After the statements, the provider checks again before it undoes: one row per role it touched. */
export function restoreFactsSql(plan: MembershipPlan, login: string, hasSetOption: boolean): string {
  const me = literal(login);
  const rows = [
    ...plan.granted.map((role) => `SELECT 'granted' AS kind, ${literal(role)}::text AS role, ${membershipRow(literal(role), me, hasSetOption)} AS present`),
    ...plan.revoked.map((role) => `SELECT 'revoked', ${literal(role)}::text, EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = ${literal(role)}) AND NOT ${membershipRow(me, literal(role), hasSetOption)}`),
  ];
  return rows.join("\nUNION ALL ");
}

/**
 * revokeRoleMembership for each role granted (if the login is still a member), then
 * grantRoleMembership of the login back to each role it was revoked from (if that role still
 * exists and is not a member again).
 */
export function restoreStatements(rows: readonly Record<string, unknown>[], login: string): string[] {
  const present = (kind: string) => rows.filter((r) => r["kind"] === kind && r["present"] === true).map((r) => String(r["role"]));
  return [
    ...present("granted").map((role) => `REVOKE ${ident(role)} FROM ${ident(login)}`),
    ...present("revoked").map((role) => `GRANT ${ident(login)} TO ${ident(role)}`),
  ];
}

/** resource_postgresql_role.go revokeRoles: every role `$1` is a member of, each then revoked. */
export const HELD_ROLES_SQL = "SELECT pg_get_userbyid(roleid) AS granted FROM pg_catalog.pg_auth_members members JOIN pg_catalog.pg_roles ON members.member = pg_roles.oid WHERE rolname = $1";
