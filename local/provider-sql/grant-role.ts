import { bool, ident, requiredStr, type Inputs, type SqlStep } from "./sql";

/* postgresql_grant_role: resource_postgresql_grant_role.go. One transaction on the provider's database. */

/** Every field is ForceNew. */
export const GRANT_ROLE_REPLACES_ON = ["role", "grantRole", "withAdminOption"] as const;

/** with_admin_option: Optional, Default false. */
export const GRANT_ROLE_DEFAULTS = { withAdminOption: false } as const;

/**
 * readGrantRole, run after every create: getGrantRoleQuery has no ORDER BY and the provider scans
 * the first row. On PG 16+ a CREATEROLE login holds two rows for a role it created and then was
 * granted: the automatic one (ADMIN, no INHERIT, no SET, granted by the bootstrap superuser) and
 * the GrantRole's. Whichever comes first is what the state records as `withAdminOption`: when it
 * is the automatic row, the next diff sees false -> true on a ForceNew field and replaces the
 * grant (cyrilgdn/terraform-provider-postgresql#667).
 */
export const readGrantRole = {
  query: `SELECT pg_get_userbyid(member) as role, pg_get_userbyid(roleid) as grant_role, admin_option
FROM pg_auth_members WHERE pg_get_userbyid(member) = $1 AND pg_get_userbyid(roleid) = $2`,
  params: (inputs: Inputs) => [requiredStr(inputs, "role"), requiredStr(inputs, "grantRole")],
  outputs: (row: Record<string, unknown> | undefined) => (row === undefined ? {} : { withAdminOption: row["admin_option"] === true }),
};

/** createRevokeRoleQuery */
const revoke = (inputs: Inputs) => `REVOKE ${ident(requiredStr(inputs, "grantRole"))} FROM ${ident(requiredStr(inputs, "role"))}`;

/** resourcePostgreSQLGrantRoleCreate: revoke, then grant (createGrantRoleQuery). */
export function createGrantRole(inputs: Inputs): SqlStep[] {
  const option = bool(inputs, "withAdminOption", false) ? " WITH ADMIN OPTION" : "";
  return [{
    database: undefined,
    transaction: true,
    statements: [revoke(inputs), `GRANT ${ident(requiredStr(inputs, "grantRole"))} TO ${ident(requiredStr(inputs, "role"))}${option}`],
  }];
}

/** resourcePostgreSQLGrantRoleDelete */
export function deleteGrantRole(inputs: Inputs): SqlStep[] {
  return [{ database: undefined, transaction: true, statements: [revoke(inputs)] }];
}
