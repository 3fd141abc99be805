import { AUDIT_SCHEMA } from "../components/audit-sql";
import { environmentRoleName } from "../spec/naming";
import { APPLICATION_EVENT_COLUMNS, AUDIT_EVENTS_TABLE, GRANT_SHAPES, MEMBERSHIP_SHAPES, type GrantShape } from "./grant-shapes";
import { granteeOf, orgDatabase, orgRoles, type Grantee, type OrgFacts } from "./org-roles";
import { environmentSchemas, type AclFacts, type MembershipFacts } from "./shape-match";

/* What a refused grant or membership is, and what would be allowed instead, in words. */

const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value) ?? "undefined");
const list = (value: unknown) => (Array.isArray(value) ? value.map(text).join(", ") : text(value));

/** `privileges SELECT, TRUNCATE on every table in schema web_prod of database tn_acme to tn_acme_prod_runtime`. */
export function describeAcl(acl: AclFacts): string {
  const revoke = Array.isArray(acl.privileges) && acl.privileges.length === 0;
  const what = `${acl.resource === "DefaultPrivileges" ? "default " : ""}${revoke ? "privileges [] (a revoke)" : `privileges ${list(acl.privileges)}`}`;
  const database = `database ${text(acl.database)}`;
  const schema = acl.schema === undefined || acl.schema === "" ? "no schema" : `schema ${text(acl.schema)}`;
  const objects = Array.isArray(acl.objects) && acl.objects.length > 0 ? `${text(acl.objectType)} ${list(acl.objects)}` : `every ${text(acl.objectType)}`;
  const columns = Array.isArray(acl.columns) && acl.columns.length > 0 ? ` (columns ${list(acl.columns)})` : "";
  const owner = acl.owner === undefined ? "" : ` ${text(acl.owner)} creates`;
  const target = acl.objectType === "database" && acl.schema === undefined ? database
    : acl.objectType === "schema" ? `${schema} of ${database}`
    : `${objects}${columns}${owner} in ${schema} of ${database}`;
  const grantOption = acl.withGrantOption === true ? " WITH GRANT OPTION" : "";
  return `${what} on ${target} to ${text(acl.role)}${grantOption}`;
}

function renderShape(shape: GrantShape, grantee: Grantee, org: OrgFacts): string {
  const privileges = shape.privileges.length === 0 ? "privileges [] (a revoke)" : shape.privileges.join(", ");
  const schemas = grantee.env === undefined ? [] : environmentSchemas(org, grantee.env);
  const on = {
    "org-database": `database ${orgDatabase(org)}`,
    "public-schema": "schema public",
    "own-environment-schemas": shape.objectType === "schema" ? `schema ${schemas.join(", ")}` : `every ${shape.objectType} in ${schemas.join(", ")}`,
    "audit-schema": `schema ${AUDIT_SCHEMA}`,
    "audit-events": `${AUDIT_SCHEMA}.${AUDIT_EVENTS_TABLE}`,
    "audit-events-columns": `columns among ${APPLICATION_EVENT_COLUMNS.join(", ")} of ${AUDIT_SCHEMA}.${AUDIT_EVENTS_TABLE}`,
  }[shape.on];
  const owner = shape.owner === undefined || grantee.env === undefined ? "" : ` (owner ${environmentRoleName(org.slug, grantee.env, "ddl")})`;
  return `${shape.resource} ${privileges} on ${on}${owner}`;
}

/** What the role of `acl` may receive; the shapes of the same object type first, if it has any. */
export function allowedFor(acl: AclFacts, org: OrgFacts): string {
  const grantee = granteeOf(acl.role, org);
  if (grantee === undefined) {
    return `${text(acl.role)} is no role of org ${org.slug}: grants go only to the runtime and DDL roles of its environments (${org.environments.join(", ")}), and PUBLIC only ever loses privileges.`;
  }
  const own = GRANT_SHAPES.filter((shape) => shape.grantee === grantee.kind);
  if (own.length === 0) return `${text(acl.role)} receives no Grant or DefaultPrivileges.`;
  const sameType = own.filter((shape) => shape.objectType === acl.objectType);
  const who = grantee.kind === "public" ? "PUBLIC" : text(acl.role);
  return `Allowed for ${who}: ${(sameType.length > 0 ? sameType : own).map((shape) => renderShape(shape, grantee, org)).join("; ")}.`;
}

export function describeMembership(membership: MembershipFacts): string {
  const admin = membership.withAdminOption === true ? " WITH ADMIN OPTION" : "";
  return `makes ${text(membership.role)} a member of ${text(membership.grantRole)}${admin}`;
}

/** The memberships the design makes, with this org's names. */
export function allowedMemberships(org: OrgFacts): string {
  const nameOf = (kind: string) => (kind === "provider-login" ? `the provider login ${org.providerLogin}` : orgRoles(org).find((r) => r.kind === kind)?.name ?? kind);
  return MEMBERSHIP_SHAPES.map((shape) => `${nameOf(shape.member)} in ${nameOf(shape.of)}, without admin option`).join("; ");
}
