/*
 * The grants, memberships and roles the design allows, as data. The pack refuses every
 * `Grant`, `DefaultPrivileges`, `GrantRole` and `Role` that matches none of these: a guarantee
 * by allowlist, so a shape nobody thought of (PUBLIC given CREATE, a privilege Postgres adds
 * next year) is refused without anyone naming it.
 *
 * The table is read off what the program declares (components/database-plan.ts,
 * audit-plan.ts, org-database.ts, audit-ledger.ts) but states its privileges itself, on
 * purpose: if the program widens a grant, the pack must refuse it, not follow it.
 *
 * Pure: no Pulumi import. Objects are described relative to the org and the grantee's
 * environment, never by a name the grant itself supplies.
 */

/** Who receives a privilege. runtime and ddl exist once per environment of the org. */
export type GranteeKind = "public" | "org-owner" | "audit-owner" | "break-glass" | "runtime" | "ddl" | "provider-login";

/** The provider's object types (Grant: all of these but type; DefaultPrivileges: table..type). */
export type ObjectType =
  | "database" | "schema" | "table" | "sequence" | "column"
  | "function" | "procedure" | "routine" | "type" | "foreign_data_wrapper" | "foreign_server";

/** Which object a shape reaches. */
export type Reach =
  /** The org's own database, no schema. */
  | "org-database"
  /** Schema `public` of the org database. */
  | "public-schema"
  /** Every `<workspace>_<E>` schema, E being the grantee's own environment: never another's. */
  | "own-environment-schemas"
  /** The audit ledger's schema. */
  | "audit-schema"
  /** The ledger's events table, named. */
  | "audit-events"
  /** Some of the events table's application columns, named (APPLICATION_EVENT_COLUMNS). */
  | "audit-events-columns";

export interface GrantShape {
  readonly resource: "Grant" | "DefaultPrivileges";
  readonly grantee: GranteeKind;
  readonly objectType: ObjectType;
  /** Exactly these, compared without regard to case (the provider upper-cases them); [] revokes all. */
  readonly privileges: readonly string[];
  readonly on: Reach;
  /** Break-glass only: the shape holds only for an org whose break-glass access is this one. */
  readonly access?: "read" | "write";
  /** DefaultPrivileges only: whose future objects they apply to. */
  readonly owner?: "ddl-of-same-environment";
  /** Why the design needs it; printed in docs and messages. */
  readonly why: string;
}

const DML = ["SELECT", "INSERT", "UPDATE", "DELETE"];
const SEQUENCE_USE = ["USAGE", "SELECT"];

/** Every Grant and DefaultPrivileges the design makes. Nothing here has WITH GRANT OPTION. */
export const GRANT_SHAPES: readonly GrantShape[] = [
  { resource: "Grant", grantee: "public", objectType: "database", privileges: [], on: "org-database",
    why: "Postgres gives PUBLIC CONNECT and TEMPORARY on a new database; this takes them back" },
  { resource: "Grant", grantee: "public", objectType: "schema", privileges: [], on: "public-schema",
    why: "PG < 15 gives PUBLIC CREATE on schema public; this takes it back" },
  { resource: "Grant", grantee: "runtime", objectType: "database", privileges: ["CONNECT"], on: "org-database",
    why: "the app's pool connects; no TEMPORARY, no CREATE" },
  { resource: "Grant", grantee: "ddl", objectType: "database", privileges: ["CONNECT"], on: "org-database",
    why: "migrations connect; the DDL role already owns its environment's schemas" },
  { resource: "Grant", grantee: "runtime", objectType: "schema", privileges: ["USAGE"], on: "own-environment-schemas",
    why: "the app reaches its environment's schemas, never another environment's" },
  { resource: "Grant", grantee: "runtime", objectType: "table", privileges: DML, on: "own-environment-schemas",
    why: "DML only: no TRUNCATE (it skips the ledger's row triggers), REFERENCES or TRIGGER" },
  { resource: "Grant", grantee: "runtime", objectType: "sequence", privileges: SEQUENCE_USE, on: "own-environment-schemas",
    why: "nextval and currval for the tables it writes" },
  { resource: "DefaultPrivileges", grantee: "runtime", objectType: "table", privileges: DML, on: "own-environment-schemas",
    owner: "ddl-of-same-environment", why: "the same DML on tables the environment's migrations create later" },
  { resource: "DefaultPrivileges", grantee: "runtime", objectType: "sequence", privileges: SEQUENCE_USE, on: "own-environment-schemas",
    owner: "ddl-of-same-environment", why: "the same on sequences the environment's migrations create later" },
  // Break-glass: its one environment (the org's breakGlass.environment), read or DML as the spec
  // says, never CREATE or TEMPORARY, never the audit ledger, never default privileges.
  { resource: "Grant", grantee: "break-glass", objectType: "database", privileges: ["CONNECT"], on: "org-database",
    why: "the break-glass login connects; no TEMPORARY, no CREATE" },
  { resource: "Grant", grantee: "break-glass", objectType: "schema", privileges: ["USAGE"], on: "own-environment-schemas",
    why: "break-glass reaches its one environment's schemas, never CREATE in them" },
  { resource: "Grant", grantee: "break-glass", objectType: "table", privileges: ["SELECT"], on: "own-environment-schemas", access: "read",
    why: "read break-glass reads its environment's tables" },
  { resource: "Grant", grantee: "break-glass", objectType: "sequence", privileges: ["SELECT"], on: "own-environment-schemas", access: "read",
    why: "read break-glass reads its environment's sequences without advancing them" },
  { resource: "Grant", grantee: "break-glass", objectType: "table", privileges: DML, on: "own-environment-schemas", access: "write",
    why: "write break-glass has the runtime's DML: no TRUNCATE, REFERENCES or TRIGGER" },
  { resource: "Grant", grantee: "break-glass", objectType: "sequence", privileges: SEQUENCE_USE, on: "own-environment-schemas", access: "write",
    why: "write break-glass may advance the sequences of the rows it inserts" },
  ...(["runtime", "ddl"] as const).flatMap((grantee): GrantShape[] => [
    { resource: "Grant", grantee, objectType: "schema", privileges: ["USAGE"], on: "audit-schema",
      why: "tenant roles reach the audit ledger" },
    { resource: "Grant", grantee, objectType: "table", privileges: ["SELECT"], on: "audit-events",
      why: "tenant roles read the ledger" },
    { resource: "Grant", grantee, objectType: "column", privileges: ["INSERT"], on: "audit-events-columns",
      why: "tenant roles add application events; actor, operation and time keep their defaults" },
  ]),
];

/** The table the ledger's rows live in (components/audit-sql.ts). */
export const AUDIT_EVENTS_TABLE = "events";

/**
 * The only columns of the ledger an application may set (components/audit-plan.ts): never
 * actor, operation, occurred_at or id, so no event is written in another's name.
 */
export const APPLICATION_EVENT_COLUMNS: readonly string[] = ["correlation_id", "schema_name", "table_name", "primary_key", "before", "after", "diff"];

export interface MembershipShape {
  /** The role that becomes a member. */
  readonly member: GranteeKind;
  /** The role it becomes a member of. */
  readonly of: GranteeKind;
  readonly why: string;
}

/** Every GrantRole the design makes, none WITH ADMIN OPTION. */
export const MEMBERSHIP_SHAPES: readonly MembershipShape[] = [
  { member: "provider-login", of: "org-owner",
    why: "a non-owner's GRANT or REVOKE on a database is a silent no-op: the provider must act as the owner" },
];

export type RoleKind = "org-owner" | "audit-owner" | "break-glass" | "runtime" | "ddl";

export interface RoleKindShape {
  /** LOGIN or NOLOGIN. Other attributes every kind shares: see the rules in postgres.ts. */
  readonly login: boolean;
  readonly why: string;
}

/**
 * Every role the design declares. No kind holds SUPERUSER, CREATEDB, CREATEROLE, REPLICATION
 * or BYPASSRLS, a membership (memberships are GrantRoles, judged by MEMBERSHIP_SHAPES) or a
 * role to assume at login; a login has the guardrails of postgres-login-role-guardrails.
 */
export const ROLE_KINDS: Readonly<Record<RoleKind, RoleKindShape>> = {
  "org-owner": { login: false, why: "the org owner owns the database, and nobody logs in as it" },
  "audit-owner": { login: false, why: "the audit owner owns the ledger, and nobody logs in as it" },
  runtime: { login: true, why: "a runtime role is the app pool's login" },
  ddl: { login: true, why: "a DDL role is the migrations' login" },
  "break-glass": { login: true, why: "break-glass is a login that expires (postgres-break-glass-expires)" },
};
