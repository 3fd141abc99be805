import { AUDIT_SCHEMA, type LedgerEnvironment } from "./audit-sql";
import { planLoginRoles, type AclPlan } from "./database-plan";
import { databaseName, environmentRoleName, orgRoleName, schemaName } from "../spec/naming";
import { platformName } from "../spec/platform-names";
import type { OrgSpec } from "../spec/spec";

/* The audit ledger's names and grants, as plain data (the SQL itself is in audit-sql.ts). */

/** Tenant roles may read the ledger and add application events; nothing else, ever. */
export const AUDIT_EVENT_PRIVILEGES = ["SELECT", "INSERT"] as const;

/**
 * The columns an application event may set. actor, operation and occurred_at are left to their
 * defaults (session_user, 'APPLICATION', clock_timestamp()): an event is always in the name of
 * the role that wrote it.
 */
export const APPLICATION_EVENT_COLUMNS = ["correlation_id", "schema_name", "table_name", "primary_key", "before", "after", "diff"] as const;

export function auditOwnerName(spec: OrgSpec): string {
  return orgRoleName(spec.slug, "audit");
}

/** The ledger's row-level security policies for one environment's roles: what they read, what they write. */
export function ledgerPolicyNames(env: string): { readonly select: string; readonly insert: string } {
  return { select: platformName("environment", env, "select"), insert: platformName("environment", env, "insert") };
}

/** Every workspace schema of every environment (workspace slugs, as the org's facts hold them). */
export function coveredSchemas(org: { readonly environments: readonly string[]; readonly workspaces: readonly string[] }): string[] {
  return org.environments.flatMap((env) => org.workspaces.map((workspace) => schemaName(workspace, env)));
}

/**
 * Who sees which events: per environment, its runtime and DDL roles and its workspace schemas.
 * The schemas are listed, not matched by a `_<env>` suffix: an allowlist rendered from the org's
 * facts admits exactly the org's schemas, and the migration is rendered again (and re-applied)
 * whenever they change.
 */
export function planLedgerSegregation(org: { readonly slug: string; readonly environments: readonly string[]; readonly workspaces: readonly string[] }): LedgerEnvironment[] {
  return org.environments.map((env) => ({
    environment: env,
    roles: [environmentRoleName(org.slug, env, "runtime"), environmentRoleName(org.slug, env, "ddl")],
    schemas: org.workspaces.map((workspace) => schemaName(workspace, env)),
    policies: ledgerPolicyNames(env),
  }));
}

/** Per login role: USAGE on the audit schema, SELECT on audit.events, INSERT on its descriptive columns. */
export function planAuditAcl(spec: OrgSpec): AclPlan[] {
  const database = databaseName(spec.slug);
  return spec.environments.flatMap((env) => planLoginRoles(spec, env).flatMap((role): AclPlan[] => {
    const base = { kind: "grant" as const, role: role.name, database, schema: AUDIT_SCHEMA };
    return [
      { ...base, key: `${env}-${role.kind}-usage`, objectType: "schema", privileges: ["USAGE"] },
      { ...base, key: `${env}-${role.kind}-events-read`, objectType: "table", objects: ["events"], privileges: ["SELECT"] },
      { ...base, key: `${env}-${role.kind}-events-write`, objectType: "column", objects: ["events"], columns: [...APPLICATION_EVENT_COLUMNS], privileges: ["INSERT"] },
    ];
  }));
}
