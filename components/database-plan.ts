import type { BreakGlassFacts } from "./org-facts";
import { connectionBudget } from "../spec/connection-budget";
import { planLifecycle } from "./lifecycle-plan";
import type { OrgSpec } from "../spec/spec";
import { databaseName, environmentRoleName, orgRoleName, quoteIdent, quoteLiteral, schemaName, type EnvironmentRoleKind } from "../spec/naming";
import { loginRoleNames, userSettingsDriftSql, userSettingsSql, type DeclaredSetting } from "./role-settings-sql";

/*
 * What the org's database, roles, schemas and grants are, as plain data. The components only
 * turn these plans into resources, so every security decision is testable without Pulumi.
 */

/**
 * Fixed at creation. The provider replaces a database whose template, encoding or collation
 * changes, and a replaced database is dropped WITH (FORCE): these must never vary. `C` is the
 * one collation every Postgres (RDS, Cloud SQL, a laptop) has, and it sorts deterministically.
 */
export const DATABASE_SETTINGS = {
  template: "template0",
  encoding: "UTF8",
  lcCollate: "C",
  lcCtype: "C",
} as const;

/** DML only: no TRUNCATE (it skips row triggers, so the audit ledger), REFERENCES or TRIGGER. */
export const RUNTIME_TABLE_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"] as const;
export const RUNTIME_SEQUENCE_PRIVILEGES = ["USAGE", "SELECT"] as const;

export interface DatabasePlan {
  readonly name: string;
  readonly owner: string;
  /** The whole per-org concurrency quota, enforced by the server for every non-superuser. */
  readonly connectionLimit: number;
  /**
   * production: `protect` + `retainOnDelete`; sandbox: `retainOnDelete` only. Offboarding lifts
   * `protect` so a destroy can finish, and never `retainOnDelete`: the database is forgotten, never dropped.
   */
  readonly protect: boolean;
  readonly retainOnDelete: true;
}

export function planDatabase(spec: OrgSpec): DatabasePlan {
  return {
    name: databaseName(spec.slug),
    owner: orgRoleName(spec.slug, "owner"),
    connectionLimit: spec.quotas.maxConnections,
    protect: planLifecycle(spec).protectDatabase,
    retainOnDelete: true,
  };
}

export interface LoginRolePlan {
  readonly env: string;
  readonly kind: EnvironmentRoleKind;
  readonly name: string;
  /** Whether it may log in: off while the org is offboarding (lifecycle-plan.ts). */
  readonly login: boolean;
  readonly connectionLimit: number;
  readonly statementTimeoutMs: number;
  readonly lockTimeoutMs: number;
  readonly idleInTransactionSessionTimeoutMs: number;
  /** `temp_file_limit` in MB: superuser-only in Postgres, so the role cannot lift it. */
  readonly tempFileLimitMb: number;
}

/**
 * Per environment a runtime role (the app's pool) and a DDL role (migrations), both with
 * guardrails; their connection limits split the org's quota (see connection-budget.ts).
 */
export function planLoginRoles(spec: OrgSpec, env: string): readonly [LoginRolePlan, LoginRolePlan] {
  const { quotas } = spec;
  const budget = connectionBudget(quotas.maxConnections, spec.environments.length);
  const guardrails = {
    env,
    login: planLifecycle(spec).logins,
    statementTimeoutMs: quotas.statementTimeoutMs,
    lockTimeoutMs: quotas.lockTimeoutMs,
    idleInTransactionSessionTimeoutMs: quotas.idleInTransactionTimeoutMs,
    tempFileLimitMb: quotas.tempFileLimitMb,
  };
  return [
    { ...guardrails, kind: "runtime", name: environmentRoleName(spec.slug, env, "runtime"), connectionLimit: budget.runtime },
    { ...guardrails, kind: "ddl", name: environmentRoleName(spec.slug, env, "ddl"), connectionLimit: budget.ddl },
  ];
}

/** Every login role of the org, environment by environment. */
export function planAllLoginRoles(spec: OrgSpec): LoginRolePlan[] {
  return spec.environments.flatMap((env) => planLoginRoles(spec, env));
}

/** What the `lock-timeouts` migration needs of the org. */
export interface RoleTimeoutFacts {
  readonly slug: string;
  readonly environments: readonly string[];
  readonly statementTimeoutMs: number;
  readonly lockTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
  /** Present while break-glass is on: its login carries the same settings and limits. */
  readonly breakGlass?: BreakGlassFacts;
}

/**
 * The user-settable settings every login role carries. The provider's Role declares the statement
 * and idle timeouts too, but sees a role's own change only on a refresh and never sees
 * `lock_timeout` (it has no field for it) nor an `IN DATABASE` row: the migration declares all
 * three so its drift query can hold them.
 */
function declaredTimeouts(org: RoleTimeoutFacts): DeclaredSetting[] {
  return [
    { name: "statement_timeout", value: String(org.statementTimeoutMs) },
    { name: "idle_in_transaction_session_timeout", value: String(org.idleInTransactionTimeoutMs) },
    { name: "lock_timeout", value: String(org.lockTimeoutMs) },
  ];
}

/**
 * The timeouts of every login role (runtime, then DDL, per environment), after resetting whatever
 * else a role set on itself (role-wide or `IN DATABASE`). Idempotent; a changed quota changes the
 * checksum. Rendered from the org's facts, so the pack renders the same.
 */
export function lockTimeoutSql(org: RoleTimeoutFacts): string {
  return [userSettingsSql(loginRoleNames(org), declaredTimeouts(org)), ownerMembershipSql(org.slug)].join("\n");
}

/**
 * The `lock-timeouts` migration's drift query: the login roles whose settings differ from
 * lockTimeoutSql's, and the provider login itself when it no longer inherits the org's owner role.
 */
export function lockTimeoutDriftSql(org: RoleTimeoutFacts): string {
  return `SELECT drift.problem FROM (${userSettingsDriftSql(loginRoleNames(org), declaredTimeouts(org))}) AS drift (problem)
UNION ALL
${ownerMembershipDriftSql(org.slug)}`;
}

/**
 * The provider login's membership in the org's owner role, which the GrantRole declares: every
 * database-level grant is applied as that owner, and without it REVOKE ... FROM PUBLIC is a
 * silent no-op (issue 14, finding 2: a replaced GrantRole lost it). Checked on every apply, and
 * granted again by the same migration: the login created the owner role, so it may grant it.
 */
function ownerMembershipSql(slug: string): string {
  return `GRANT ${quoteIdent(orgRoleName(slug, "owner"))} TO CURRENT_USER;`;
}

function ownerMembershipDriftSql(slug: string): string {
  const owner = quoteLiteral(orgRoleName(slug, "owner"));
  return `SELECT pg_catalog.format('the provider login %I does not inherit %I', current_user, ${owner}::text)
WHERE NOT ${inheritsRoleSql("current_user", owner)}`;
}

/**
 * The one test of "the login holds the owner role's privileges without SET ROLE", shared by the
 * drift query above and the proof claims (local and remote): pg_has_role's USAGE is exactly
 * that, on every version. Both arguments are SQL expressions (a quoted literal, a parameter,
 * current_user).
 */
export function inheritsRoleSql(member: string, role: string): string {
  return `pg_catalog.pg_has_role(${member}, ${role}, 'USAGE')`;
}

export interface SchemaPlan {
  readonly workspace: string;
  readonly env: string;
  readonly name: string;
  /** The environment's DDL role: it creates the tables, so default privileges are keyed to it. */
  readonly owner: string;
}

export function planEnvironmentSchemas(spec: OrgSpec, env: string): SchemaPlan[] {
  const owner = environmentRoleName(spec.slug, env, "ddl");
  return spec.workspaces.map((ws) => ({ workspace: ws.slug, env, name: schemaName(ws.slug, env), owner }));
}

/** One `postgresql.Grant`. An empty privilege list revokes everything (the provider's semantics). */
export interface GrantPlan {
  readonly kind: "grant";
  /** Unique within the org; becomes the tail of the resource name. */
  readonly key: string;
  readonly role: string;
  readonly database: string;
  readonly schema?: string;
  readonly objectType: "database" | "schema" | "table" | "sequence" | "column";
  /** Named objects; empty or absent means every object of the type in the schema. */
  readonly objects?: readonly string[];
  /** For objectType column: the columns of the one object named. */
  readonly columns?: readonly string[];
  readonly privileges: readonly string[];
}

/** One `postgresql.DefaultPrivileges`: what `owner` creates later in `schema` is granted to `role`. */
export interface DefaultPrivilegesPlan {
  readonly kind: "default-privileges";
  readonly key: string;
  readonly role: string;
  readonly owner: string;
  readonly database: string;
  readonly schema: string;
  readonly objectType: "table" | "sequence";
  readonly privileges: readonly string[];
}

export type AclPlan = GrantPlan | DefaultPrivilegesPlan;

/**
 * Database-level ACL: PUBLIC loses CONNECT and TEMPORARY on the org database and everything on
 * its `public` schema (PG < 15 grants CREATE there to PUBLIC); each login role gets CONNECT only.
 */
export function planDatabaseAcl(spec: OrgSpec): AclPlan[] {
  const database = databaseName(spec.slug);
  const connects = spec.environments.flatMap((env) =>
    planLoginRoles(spec, env).map((role): GrantPlan => ({
      kind: "grant", key: `${env}-${role.kind}-connect`, role: role.name, database, objectType: "database", privileges: ["CONNECT"],
    })),
  );
  return [
    { kind: "grant", key: "public-revoke-database", role: "public", database, objectType: "database", privileges: [] },
    { kind: "grant", key: "public-revoke-public-schema", role: "public", database, schema: "public", objectType: "schema", privileges: [] },
    ...connects,
  ];
}

/**
 * Schema-level ACL of one environment: its runtime role gets USAGE and DML on what exists now
 * and, through default privileges keyed to the DDL role, on what the DDL role creates later.
 * Exactly one Grant per (role, database, schema, object type): the provider revokes whatever a
 * Grant does not list, so two of them would undo each other.
 */
export function planSchemaAcl(spec: OrgSpec, env: string): AclPlan[] {
  const database = databaseName(spec.slug);
  const runtime = environmentRoleName(spec.slug, env, "runtime");
  return planEnvironmentSchemas(spec, env).flatMap((schema): AclPlan[] => {
    const base = { role: runtime, database, schema: schema.name };
    const key = (what: string) => `${schema.name}-runtime-${what}`;
    return [
      { ...base, kind: "grant", key: key("usage"), objectType: "schema", privileges: ["USAGE"] },
      { ...base, kind: "grant", key: key("tables"), objectType: "table", privileges: [...RUNTIME_TABLE_PRIVILEGES] },
      { ...base, kind: "grant", key: key("sequences"), objectType: "sequence", privileges: [...RUNTIME_SEQUENCE_PRIVILEGES] },
      { ...base, kind: "default-privileges", key: key("default-tables"), owner: schema.owner, objectType: "table", privileges: [...RUNTIME_TABLE_PRIVILEGES] },
      { ...base, kind: "default-privileges", key: key("default-sequences"), owner: schema.owner, objectType: "sequence", privileges: [...RUNTIME_SEQUENCE_PRIVILEGES] },
    ];
  });
}
