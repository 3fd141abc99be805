import { bool, changed, ident, literal, lockRole, num, str, strings, requiredStr, type Inputs, type ProviderContext, type SqlStep } from "./sql";

/* postgresql_role: resource_postgresql_role.go. One transaction, on the provider's database. */

const FLAGS: readonly [input: string, sql: string, fallback: boolean][] = [
  ["superuser", "SUPERUSER", false],
  ["createDatabase", "CREATEDB", false],
  ["createRole", "CREATEROLE", false],
  ["inherit", "INHERIT", true],
  ["login", "LOGIN", false],
  ["bypassRowLevelSecurity", "BYPASSRLS", false],
  ["replication", "REPLICATION", false],
];

const flag = (inputs: Inputs, [key, sql, fallback]: (typeof FLAGS)[number]) => (bool(inputs, key, fallback) ? sql : `NO${sql}`);
const connectionLimit = (inputs: Inputs) => num(inputs, "connectionLimit") ?? -1;
const validUntil = (inputs: Inputs) => {
  const value = str(inputs, "validUntil");
  return value === undefined || value === "" || value.toLowerCase() === "infinity" ? "'infinity'" : literal(value);
};

/** setStatementTimeout / setIdleInTransactionSessionTimeout: SET when non-zero, RESET when 0. */
function timeouts(name: string, inputs: Inputs, previous?: Inputs): string[] {
  return [["statementTimeout", "statement_timeout"], ["idleInTransactionSessionTimeout", "idle_in_transaction_session_timeout"]]
    .filter(([key]) => previous === undefined ? (num(inputs, key!) ?? 0) !== 0 : changed(previous, inputs, key!))
    .map(([key, setting]) => {
      const value = num(inputs, key!) ?? 0;
      return value === 0 ? `ALTER ROLE ${ident(name)} RESET ${setting}` : `ALTER ROLE ${ident(name)} SET ${setting} TO ${value}`;
    });
}

/** alterSearchPath runs on every create and update. */
function searchPath(name: string, inputs: Inputs): string {
  const paths = strings(inputs, "searchPaths");
  return `ALTER ROLE ${ident(name)} SET search_path TO ${paths.length === 0 ? "DEFAULT" : paths.map(ident).join(", ")}`;
}

/** resourcePostgreSQLRoleCreate */
export function createRole(inputs: Inputs): SqlStep[] {
  const name = requiredStr(inputs, "name");
  const password = str(inputs, "password");
  const options = [
    ...(password !== undefined && password !== "" ? [`ENCRYPTED PASSWORD ${literal(password)}`] : []),
    `VALID UNTIL ${validUntil(inputs)}`,
    `CONNECTION LIMIT ${connectionLimit(inputs)}`,
    ...FLAGS.map((f) => flag(inputs, f)),
  ];
  return [{
    database: undefined,
    transaction: true,
    statements: [
      `CREATE ROLE ${ident(name)} WITH ${options.join(" ")}`,
      ...strings(inputs, "roles").map((role) => `GRANT ${ident(role)} TO ${ident(name)}`),
      searchPath(name, inputs),
      ...timeouts(name, inputs),
    ],
  }];
}

/** resourcePostgreSQLRoleUpdate: only what changed, after locking the role. */
export function updateRole(previous: Inputs, inputs: Inputs): SqlStep[] {
  const oldName = requiredStr(previous, "name");
  const name = requiredStr(inputs, "name");
  const password = str(inputs, "password");
  const statements = [
    ...lockRole(oldName),
    ...(oldName !== name ? [`ALTER ROLE ${ident(oldName)} RENAME TO ${ident(name)}`] : []),
    ...((changed(previous, inputs, "password") || oldName !== name) && password ? [`ALTER ROLE ${ident(name)} PASSWORD ${literal(password)}`] : []),
    ...(changed(previous, inputs, "bypassRowLevelSecurity") ? [`ALTER ROLE ${ident(name)} WITH ${flag(inputs, FLAGS[5]!)}`] : []),
    ...(changed(previous, inputs, "connectionLimit") ? [`ALTER ROLE ${ident(name)} CONNECTION LIMIT ${connectionLimit(inputs)}`] : []),
    ...FLAGS.filter(([key]) => key !== "bypassRowLevelSecurity" && changed(previous, inputs, key))
      .map((f) => `ALTER ROLE ${ident(name)} WITH ${flag(inputs, f)}`),
    ...(changed(previous, inputs, "validUntil") && str(inputs, "validUntil") ? [`ALTER ROLE ${ident(name)} VALID UNTIL ${validUntil(inputs)}`] : []),
    // revokeRoles + grantRoles: tenantry roles hold no memberships, so the revoke reads nothing back.
    ...strings(inputs, "roles").map((role) => `GRANT ${ident(role)} TO ${ident(name)}`),
    searchPath(name, inputs),
    ...timeouts(name, inputs, previous),
  ];
  return [{ database: undefined, transaction: true, statements }];
}

/** resourcePostgreSQLRoleDelete: in the provider's database only (it does not visit every database). */
export function deleteRole(inputs: Inputs, provider: ProviderContext): SqlStep[] {
  const name = requiredStr(inputs, "name");
  const reassign = bool(inputs, "skipReassignOwned", false)
    ? []
    : [{
        database: undefined,
        transaction: true,
        statements: [...lockRole(name), `REASSIGN OWNED BY ${ident(name)} TO ${ident(provider.adminUser)}`, `DROP OWNED BY ${ident(name)}`],
        membership: { roles: [{ role: name }], style: "withRolesGranted" as const },
      }];
  const drop = bool(inputs, "skipDropRole", false) ? [] : [{ database: undefined, transaction: true, statements: [`DROP ROLE ${ident(name)}`] }];
  // One transaction in the provider; two steps here because the temporary membership must be
  // revoked before the role it names is dropped (the provider does it inside fn's transaction too).
  return [...reassign, ...drop];
}
