import { bool, changed, ident, literal, num, requiredStr, str, type Inputs, type ProviderContext, type SqlStep } from "./sql";

/* postgresql_database: resource_postgresql_database.go. No transaction: each statement autocommits. */

/** ForceNew: a change replaces the database, and a replaced database is dropped WITH (FORCE). */
export const DATABASE_REPLACES_ON = ["template", "encoding", "lcCollate", "lcCtype"] as const;

/**
 * grantRoleMembership around owner changes: creating a database for an owner needs its
 * membership, revoked afterwards even when the statement fails (the provider defers it). The
 * provider also holds an advisory lock on its own role in a side transaction meanwhile; that
 * only serializes concurrent applies and is left out here.
 */
function asOwnerMember(owner: string | undefined, statements: string[]): SqlStep {
  return {
    database: undefined,
    transaction: false,
    statements,
    membership: { roles: owner === undefined ? [] : [{ role: owner }], style: "grantRoleMembership" },
  };
}

/** createDatabase */
export function createDatabase(inputs: Inputs, provider: ProviderContext): SqlStep[] {
  const name = requiredStr(inputs, "name");
  const owner = str(inputs, "owner");
  const template = str(inputs, "template");
  const encoding = str(inputs, "encoding");
  const lcCollate = str(inputs, "lcCollate");
  const lcCtype = str(inputs, "lcCtype");
  const tablespaceName = str(inputs, "tablespaceName");
  const sql = [
    `CREATE DATABASE ${ident(name)} OWNER ${ident(owner ?? provider.adminUser)}`,
    template === undefined ? "TEMPLATE template0" : template.toUpperCase() === "DEFAULT" ? "TEMPLATE DEFAULT" : `TEMPLATE ${ident(template)}`,
    encoding === undefined ? "ENCODING 'UTF8'" : encoding.toUpperCase() === "DEFAULT" ? "ENCODING DEFAULT" : `ENCODING ${literal(encoding)}`,
    ...(lcCollate === undefined ? [] : [lcCollate.toUpperCase() === "DEFAULT" ? "LC_COLLATE DEFAULT" : `LC_COLLATE ${literal(lcCollate)}`]),
    ...(lcCtype === undefined ? [] : [lcCtype.toUpperCase() === "DEFAULT" ? "LC_CTYPE DEFAULT" : `LC_CTYPE ${literal(lcCtype)}`]),
    ...(tablespaceName === undefined ? [] : [`TABLESPACE ${ident(tablespaceName)}`]),
    `ALLOW_CONNECTIONS ${String(bool(inputs, "allowConnections", true))}`,
    `CONNECTION LIMIT ${num(inputs, "connectionLimit") ?? -1}`,
    `IS_TEMPLATE ${String(bool(inputs, "isTemplate", false))}`,
  ].join(" ");
  return [asOwnerMember(owner, [sql])];
}

/** resourcePostgreSQLDatabaseUpdate: each changed setting, in the provider's order (rename, owner, the rest). */
export function updateDatabase(previous: Inputs, inputs: Inputs): SqlStep[] {
  if (bool(inputs, "alterObjectOwnership", false)) {
    throw new Error("the local apply does not translate alterObjectOwnership (REASSIGN OWNED inside the database); tenantry never sets it");
  }
  const oldName = requiredStr(previous, "name");
  const name = requiredStr(inputs, "name");
  const owner = str(inputs, "owner");
  const step = (statements: string[]): SqlStep[] => (statements.length === 0 ? [] : [{ database: undefined, transaction: false, statements }]);
  return [
    ...step(oldName !== name ? [`ALTER DATABASE ${ident(oldName)} RENAME TO ${ident(name)}`] : []),
    ...(changed(previous, inputs, "owner") && owner !== undefined ? [asOwnerMember(owner, [`ALTER DATABASE ${ident(name)} OWNER TO ${ident(owner)}`])] : []),
    ...step([
      ...(changed(previous, inputs, "tablespaceName") ? [tablespace(name, str(inputs, "tablespaceName"))] : []),
      ...(changed(previous, inputs, "connectionLimit") ? [`ALTER DATABASE ${ident(name)} CONNECTION LIMIT = ${num(inputs, "connectionLimit") ?? -1}`] : []),
      ...(changed(previous, inputs, "allowConnections") ? [`ALTER DATABASE ${ident(name)} ALLOW_CONNECTIONS ${String(bool(inputs, "allowConnections", true))}`] : []),
      ...(changed(previous, inputs, "isTemplate") ? [`ALTER DATABASE ${ident(name)} IS_TEMPLATE ${String(bool(inputs, "isTemplate", false))}`] : []),
    ]),
  ];
}

/** setDBTablespace: RESET when empty or DEFAULT. */
function tablespace(name: string, value: string | undefined): string {
  return value === undefined || value === "" || value.toUpperCase() === "DEFAULT"
    ? `ALTER DATABASE ${ident(name)} RESET TABLESPACE`
    : `ALTER DATABASE ${ident(name)} SET TABLESPACE ${ident(value)}`;
}

/** resourcePostgreSQLDatabaseExists */
export const databaseExists = { query: "SELECT datname FROM pg_database WHERE datname = $1", key: "name" } as const;

/**
 * resourcePostgreSQLDatabaseDelete. The local apply only reaches this for a database that is
 * neither protected nor retained on delete; tenantry's org databases are always retained.
 */
export function deleteDatabase(inputs: Inputs): SqlStep[] {
  const name = requiredStr(inputs, "name");
  return [asOwnerMember(str(inputs, "owner"), [
    ...(bool(inputs, "isTemplate", false) ? [`ALTER DATABASE ${ident(name)} IS_TEMPLATE false`] : []),
    `ALTER DATABASE ${ident(name)} ALLOW_CONNECTIONS false`,
    `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${literal(name)} AND pid <> pg_backend_pid()`,
    `DROP DATABASE ${ident(name)} WITH ( FORCE )`,
  ])];
}
