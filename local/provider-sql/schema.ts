import { bool, changed, ident, requiredStr, str, type Inputs, type SqlStep } from "./sql";

/* postgresql_schema: resource_postgresql_schema.go. One transaction, on the schema's database. */

/** ForceNew */
export const SCHEMA_REPLACES_ON = ["database"] as const;

const existsQuery = "SELECT TRUE FROM pg_catalog.pg_namespace WHERE nspname = $1";

/**
 * resourcePostgreSQLSchemaCreate / createSchema: create it when absent; when present, only set
 * its owner (so `ifNotExists` changes the statement text, not the behaviour).
 */
export function createSchema(inputs: Inputs): SqlStep[] {
  const name = requiredStr(inputs, "name");
  const owner = str(inputs, "owner");
  const create = `CREATE SCHEMA ${bool(inputs, "ifNotExists", true) ? "IF NOT EXISTS " : ""}${ident(name)}${owner === undefined ? "" : ` AUTHORIZATION ${ident(owner)}`}`;
  const roles = [{ ownerOfCurrentDatabase: true } as const, ...(owner === undefined ? [] : [{ role: owner }])];
  return [{
    database: str(inputs, "database"),
    transaction: true,
    statements: [],
    branch: { exists: existsQuery, params: [name], whenAbsent: [create], whenPresent: owner === undefined ? [] : [ownerStatement(name, owner)] },
    membership: { roles, style: "withRolesGranted" },
  }];
}

const ownerStatement = (name: string, owner: string) => `ALTER SCHEMA ${ident(name)} OWNER TO ${ident(owner)}`;

/** resourcePostgreSQLSchemaUpdate: setSchemaName and setSchemaOwner, each only when it changed. */
export function updateSchema(previous: Inputs, inputs: Inputs): SqlStep[] {
  const oldName = requiredStr(previous, "name");
  const name = requiredStr(inputs, "name");
  const owner = str(inputs, "owner");
  const statements = [
    ...(oldName !== name ? [`ALTER SCHEMA ${ident(oldName)} RENAME TO ${ident(name)}`] : []),
    ...(changed(previous, inputs, "owner") && owner !== undefined ? [ownerStatement(name, owner)] : []),
  ];
  return statements.length === 0 ? [] : [{ database: str(inputs, "database"), transaction: true, statements }];
}

/** resourcePostgreSQLSchemaDelete: RESTRICT unless dropCascade, so a schema with tables is never dropped. */
export function deleteSchema(inputs: Inputs): SqlStep[] {
  const name = requiredStr(inputs, "name");
  const owner = str(inputs, "owner");
  const drop = `DROP SCHEMA ${ident(name)} ${bool(inputs, "dropCascade", false) ? "CASCADE" : "RESTRICT"}`;
  return [{
    database: str(inputs, "database"),
    transaction: true,
    statements: [],
    branch: { exists: "SELECT 1 FROM pg_namespace WHERE nspname = $1", params: [name], whenPresent: [drop], whenAbsent: [] },
    membership: { roles: owner === undefined ? [] : [{ role: owner }], style: "withRolesGranted" },
  }];
}
