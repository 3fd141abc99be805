import { bool, ident, lockDatabase, lockRole, requiredStr, str, strings, type Inputs, type Membership, type RoleSource, type SqlStep } from "./sql";

/*
 * postgresql_grant: resource_postgresql_grant.go. Create and update are one transaction on the
 * grant's database: REVOKE everything the Grant covers, then GRANT what it lists. That is why
 * two Grants on one (role, database, schema, object type) undo each other.
 */

/** ForceNew (Pulumi replaces a Grant delete-before-replace). */
export const GRANT_REPLACES_ON = ["role", "database", "schema", "objectType", "objects", "columns", "withGrantOption"] as const;

const PLURAL_OBJECT_TYPES = new Set(["table", "sequence", "function", "procedure", "routine"]);

function target(inputs: Inputs): string {
  const objectType = requiredStr(inputs, "objectType");
  const schema = str(inputs, "schema");
  const objects = strings(inputs, "objects");
  switch (objectType) {
    case "database":
      return `DATABASE ${ident(requiredStr(inputs, "database"))}`;
    case "schema":
      return `SCHEMA ${ident(schema ?? "")}`;
    default:
      if (!PLURAL_OBJECT_TYPES.has(objectType)) throw new Error(`internal: the local apply does not translate Grant objectType ${objectType}`);
      return objects.length === 0
        ? `ALL ${objectType.toUpperCase()}S IN SCHEMA ${ident(schema ?? "")}`
        : `${objectType.toUpperCase()} ${objects.map((o) => `${ident(schema ?? "")}.${ident(o)}`).join(",")}`;
  }
}

/** The column form: `(c1,c2) ON TABLE "s"."t"`. */
function columnTarget(inputs: Inputs): string {
  const [table] = strings(inputs, "objects");
  return `(${strings(inputs, "columns").map(ident).join(",")}) ON TABLE ${ident(str(inputs, "schema") ?? "")}.${ident(table ?? "")}`;
}

/** createRevokeQuery: all privileges unless specific objects and privileges are named. */
function revoke(inputs: Inputs): string {
  const privileges = strings(inputs, "privileges");
  if (requiredStr(inputs, "objectType") === "column") {
    return privileges.length === 0 ? "SELECT NULL" : `REVOKE ${privileges.join(",")} ${columnTarget(inputs)} FROM ${ident(requiredStr(inputs, "role"))}`;
  }
  const specific = strings(inputs, "objects").length > 0 && privileges.length > 0;
  return `REVOKE ${specific ? privileges.join(",") : "ALL PRIVILEGES"} ON ${target(inputs)} FROM ${ident(requiredStr(inputs, "role"))}`;
}

/** createGrantQuery */
function grant(inputs: Inputs): string[] {
  const privileges = strings(inputs, "privileges");
  if (privileges.length === 0) return [];
  const option = bool(inputs, "withGrantOption", false) ? " WITH GRANT OPTION" : "";
  if (requiredStr(inputs, "objectType") === "column") {
    return [`GRANT ${privileges.join(",")} ${columnTarget(inputs)} TO ${ident(requiredStr(inputs, "role"))}${option}`];
  }
  return [`GRANT ${privileges.join(",")} ON ${target(inputs)} TO ${ident(requiredStr(inputs, "role"))}${option}`];
}

/**
 * getRolesToGrant: the owners of the schema and of its tables, so the provider can grant as them.
 * Nothing for a database: which is why a non-owner admin's database grants are no-ops.
 */
function membership(inputs: Inputs): Membership {
  const objectType = requiredStr(inputs, "objectType");
  const schema = str(inputs, "schema") ?? "";
  const roles: RoleSource[] = objectType === "database" ? [] : [
    ...(objectType === "schema" ? [] : [{ ownersOfTablesIn: schema }]),
    { ownerOfSchema: schema },
  ];
  return { roles, style: "withRolesGranted" };
}

function locks(inputs: Inputs): string[] {
  const role = requiredStr(inputs, "role");
  return [...lockRole(role), ...(requiredStr(inputs, "objectType") === "database" ? lockDatabase(requiredStr(inputs, "database")) : [])];
}

/** resourcePostgreSQLGrantCreateOrUpdate; on update the revoke uses the previous values. */
export function createOrUpdateGrant(inputs: Inputs, previous?: Inputs): SqlStep[] {
  return [{
    database: requiredStr(inputs, "database"),
    transaction: true,
    prelude: locks(inputs),
    statements: [revoke(previous ?? inputs), ...grant(inputs)],
    membership: membership(inputs),
  }];
}

/** resourcePostgreSQLGrantDelete */
export function deleteGrant(inputs: Inputs): SqlStep[] {
  return [{ database: requiredStr(inputs, "database"), transaction: true, prelude: locks(inputs), statements: [revoke(inputs)], membership: membership(inputs) }];
}
