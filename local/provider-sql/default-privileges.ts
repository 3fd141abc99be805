import { bool, ident, lockRole, requiredStr, str, strings, type Inputs, type SqlStep } from "./sql";

/*
 * postgresql_default_privileges: resource_postgresql_default_privileges.go. One transaction on
 * the target database; update is create (revoke all, then grant).
 */

/** ForceNew */
export const DEFAULT_PRIVILEGES_REPLACES_ON = ["role", "database", "owner", "schema", "objectType", "withGrantOption"] as const;

function prefix(inputs: Inputs): string {
  const schema = str(inputs, "schema");
  // With no schema the provider leaves a double space; kept as it is.
  return `ALTER DEFAULT PRIVILEGES FOR ROLE ${ident(requiredStr(inputs, "owner"))} ${schema === undefined ? "" : `IN SCHEMA ${ident(schema)}`}`;
}

const objectTypes = (inputs: Inputs) => `${requiredStr(inputs, "objectType").toUpperCase()}S`;

function revokeAll(inputs: Inputs): string {
  return `${prefix(inputs)} REVOKE ALL ON ${objectTypes(inputs)} FROM ${ident(requiredStr(inputs, "role"))}`;
}

/** resourcePostgreSQLDefaultPrivilegesCreate (also the update) */
export function createDefaultPrivileges(inputs: Inputs): SqlStep[] {
  const privileges = strings(inputs, "privileges");
  const option = bool(inputs, "withGrantOption", false) ? " WITH GRANT OPTION" : "";
  const grant = privileges.length === 0 ? [] : [`${prefix(inputs)} GRANT ${privileges.join(",")} ON ${objectTypes(inputs)} TO ${ident(requiredStr(inputs, "role"))}${option}`];
  return [{
    database: requiredStr(inputs, "database"),
    transaction: true,
    prelude: lockRole(requiredStr(inputs, "owner")),
    statements: [revokeAll(inputs), ...grant],
    membership: { roles: [{ role: requiredStr(inputs, "owner") }], style: "withRolesGranted" },
  }];
}

/** resourcePostgreSQLDefaultPrivilegesDelete */
export function deleteDefaultPrivileges(inputs: Inputs): SqlStep[] {
  return [{
    database: requiredStr(inputs, "database"),
    transaction: true,
    prelude: lockRole(requiredStr(inputs, "owner")),
    statements: [revokeAll(inputs)],
    membership: { roles: [{ role: requiredStr(inputs, "owner") }], style: "withRolesGranted" },
  }];
}
