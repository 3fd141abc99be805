import { bool, ident, requiredStr, str, type Inputs, type SqlStep } from "./sql";

/* postgresql_schema: resource_postgresql_schema.go. One transaction, on the schema's database. */

/** ForceNew */
export const SCHEMA_REPLACES_ON = ["database"] as const;

/**
 * createSchema. The provider checks pg_namespace first and, when the schema already exists,
 * only sets its owner; `ifNotExists` changes the statement text, not that behaviour. The local
 * apply keeps the check in SQL so a step stays a fixed list of statements.
 */
export function createSchema(inputs: Inputs): SqlStep[] {
  const name = requiredStr(inputs, "name");
  const owner = str(inputs, "owner");
  const create = `CREATE SCHEMA ${bool(inputs, "ifNotExists", true) ? "IF NOT EXISTS " : ""}${ident(name)}${owner === undefined ? "" : ` AUTHORIZATION ${ident(owner)}`}`;
  const statements = owner === undefined ? [create] : [create, `ALTER SCHEMA ${ident(name)} OWNER TO ${ident(owner)}`];
  const roles = [{ ownerOfCurrentDatabase: true } as const, ...(owner === undefined ? [] : [{ role: owner }])];
  return [{ database: str(inputs, "database"), transaction: true, statements, membership: { roles, style: "withRolesGranted" } }];
}

/** resourcePostgreSQLSchemaUpdate */
export function updateSchema(previous: Inputs, inputs: Inputs): SqlStep[] {
  const oldName = requiredStr(previous, "name");
  const name = requiredStr(inputs, "name");
  const owner = str(inputs, "owner");
  const statements = [
    ...(oldName !== name ? [`ALTER SCHEMA ${ident(oldName)} RENAME TO ${ident(name)}`] : []),
    ...(owner !== undefined ? [`ALTER SCHEMA ${ident(name)} OWNER TO ${ident(owner)}`] : []),
  ];
  return [{ database: str(inputs, "database"), transaction: true, statements }];
}

/** resourcePostgreSQLSchemaDelete: RESTRICT unless dropCascade, so a schema with tables is never dropped. */
export function deleteSchema(inputs: Inputs): SqlStep[] {
  const cascade = bool(inputs, "dropCascade", false) ? "CASCADE" : "RESTRICT";
  const owner = str(inputs, "owner");
  return [{
    database: str(inputs, "database"),
    transaction: true,
    statements: [`DROP SCHEMA IF EXISTS ${ident(requiredStr(inputs, "name"))} ${cascade}`],
    membership: { roles: owner === undefined ? [] : [{ role: owner }], style: "withRolesGranted" },
  }];
}
