import { bool, changed, ident, literal, lockRole, num, str, strings, requiredStr, type Inputs, type ProviderContext, type SqlStep } from "./sql";

/* postgresql_role: resource_postgresql_role.go. One transaction, on the provider's database. */

type Flag = readonly [input: string, sql: string, fallback: boolean];

const SUPERUSER: Flag = ["superuser", "SUPERUSER", false];
const CREATEDB: Flag = ["createDatabase", "CREATEDB", false];
const CREATEROLE: Flag = ["createRole", "CREATEROLE", false];
const INHERIT: Flag = ["inherit", "INHERIT", true];
const LOGIN: Flag = ["login", "LOGIN", false];
const BYPASSRLS: Flag = ["bypassRowLevelSecurity", "BYPASSRLS", false];
const REPLICATION: Flag = ["replication", "REPLICATION", false];

/** The order of createRoleOptions' attribute list. */
const CREATE_ORDER = [SUPERUSER, CREATEDB, CREATEROLE, INHERIT, LOGIN, BYPASSRLS, REPLICATION];
/** The order resourcePostgreSQLRoleUpdate calls setRoleBypassRLS ... setRoleSuperuser (connection limit after BYPASSRLS). */
const UPDATE_ORDER = [CREATEDB, CREATEROLE, INHERIT, LOGIN, REPLICATION, SUPERUSER];

const flag = (inputs: Inputs, [key, sql, fallback]: Flag) => (bool(inputs, key, fallback) ? sql : `NO${sql}`);
const connectionLimit = (inputs: Inputs) => num(inputs, "connectionLimit") ?? -1;
const validUntil = (inputs: Inputs) => {
  const value = str(inputs, "validUntil");
  return value === undefined || value === "" || value.toLowerCase() === "infinity" ? "'infinity'" : literal(value);
};
const passwordValue = (password: string) => (password.toUpperCase() === "NULL" ? "NULL" : literal(password));

/** setStatementTimeout / setIdleInTransactionSessionTimeout: SET when non-zero, RESET when 0. */
function timeouts(name: string, inputs: Inputs, previous?: Inputs): string[] {
  return ([["statementTimeout", "statement_timeout"], ["idleInTransactionSessionTimeout", "idle_in_transaction_session_timeout"]] as const)
    .filter(([key]) => (previous === undefined ? (num(inputs, key) ?? 0) !== 0 : changed(previous, inputs, key)))
    .map(([key, setting]) => {
      const value = num(inputs, key) ?? 0;
      return value === 0 ? `ALTER ROLE ${ident(name)} RESET ${setting}` : `ALTER ROLE ${ident(name)} SET ${setting} TO ${value}`;
    });
}

/** alterSearchPath runs on every create and update. */
function searchPath(name: string, inputs: Inputs): string {
  const paths = strings(inputs, "searchPaths");
  return `ALTER ROLE ${ident(name)} SET search_path TO ${paths.length === 0 ? "DEFAULT" : paths.map(ident).join(", ")}`;
}

const grantRoles = (name: string, inputs: Inputs) => strings(inputs, "roles").map((role) => `GRANT ${ident(role)} TO ${ident(name)}`);

/** resourcePostgreSQLRoleCreate */
export function createRole(inputs: Inputs): SqlStep[] {
  const name = requiredStr(inputs, "name");
  const password = str(inputs, "password");
  const encrypted = bool(inputs, "encryptedPassword", true) ? "ENCRYPTED" : "UNENCRYPTED";
  const options = [
    ...(password !== undefined && password !== "" ? [password.toUpperCase() === "NULL" ? "PASSWORD NULL" : `${encrypted} PASSWORD ${literal(password)}`] : []),
    `VALID UNTIL ${validUntil(inputs)}`,
    `CONNECTION LIMIT ${connectionLimit(inputs)}`,
    ...CREATE_ORDER.map((f) => flag(inputs, f)),
  ];
  return [{
    database: undefined,
    transaction: true,
    statements: [`CREATE ROLE ${ident(name)} WITH ${options.join(" ")}`, ...grantRoles(name, inputs), searchPath(name, inputs), ...timeouts(name, inputs)],
  }];
}

/** resourcePostgreSQLRoleUpdate: only what changed, after locking the role; memberships are reset every time. */
export function updateRole(previous: Inputs, inputs: Inputs): SqlStep[] {
  const oldName = requiredStr(previous, "name");
  const name = requiredStr(inputs, "name");
  const password = str(inputs, "password");
  const alter = (clause: string) => `ALTER ROLE ${ident(name)} ${clause}`;
  const statements = [
    ...(oldName !== name ? [`ALTER ROLE ${ident(oldName)} RENAME TO ${ident(name)}`] : []),
    ...((changed(previous, inputs, "password") || oldName !== name) && password ? [alter(`PASSWORD ${passwordValue(password)}`)] : []),
    ...(changed(previous, inputs, BYPASSRLS[0]) ? [alter(`WITH ${flag(inputs, BYPASSRLS)}`)] : []),
    ...(changed(previous, inputs, "connectionLimit") ? [alter(`CONNECTION LIMIT ${connectionLimit(inputs)}`)] : []),
    ...UPDATE_ORDER.filter(([key]) => changed(previous, inputs, key)).map((f) => alter(`WITH ${flag(inputs, f)}`)),
    ...(changed(previous, inputs, "validUntil") && str(inputs, "validUntil") ? [alter(`VALID UNTIL ${validUntil(inputs)}`)] : []),
  ];
  return [{
    database: undefined,
    transaction: true,
    prelude: lockRole(oldName),
    statements,
    revokeMembershipsOf: name,
    epilogue: [...grantRoles(name, inputs), searchPath(name, inputs), ...timeouts(name, inputs, previous)],
  }];
}

/**
 * resourcePostgreSQLRoleDelete: one transaction in the provider's database only (it does not
 * visit every database, so DROP ROLE fails while the role owns objects elsewhere).
 */
export function deleteRole(inputs: Inputs, provider: ProviderContext): SqlStep[] {
  const name = requiredStr(inputs, "name");
  const reassign = !bool(inputs, "skipReassignOwned", false);
  return [{
    database: undefined,
    transaction: true,
    prelude: lockRole(name),
    statements: reassign ? [`REASSIGN OWNED BY ${ident(name)} TO ${ident(provider.adminUser)}`, `DROP OWNED BY ${ident(name)}`] : [],
    ...(reassign ? { membership: { roles: [{ role: name }], style: "withRolesGranted" as const } } : {}),
    epilogue: bool(inputs, "skipDropRole", false) ? [] : [`DROP ROLE ${ident(name)}`],
  }];
}

/** resourcePostgreSQLRoleExists */
export const roleExists = { query: "SELECT rolname FROM pg_catalog.pg_roles WHERE rolname = $1", key: "name" } as const;
