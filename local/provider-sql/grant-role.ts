import { bool, ident, requiredStr, type Inputs, type SqlStep } from "./sql";

/* postgresql_grant_role: resource_postgresql_grant_role.go. One transaction on the provider's database. */

/** Every field is ForceNew. */
export const GRANT_ROLE_REPLACES_ON = ["role", "grantRole", "withAdminOption"] as const;

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
