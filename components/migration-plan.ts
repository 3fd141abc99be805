import { coveredSchemas, planLedgerSegregation } from "./audit-plan";
import { AUDIT_DRIFT_QUERY } from "./audit-drift-sql";
import { auditLedgerSql } from "./audit-sql";
import { lockTimeoutDriftSql, lockTimeoutSql } from "./database-plan";
import { closeLargeObjectsSql, largeObjectsDriftSql } from "./large-objects-sql";
import { ENFORCER_DATABASE, guardrailsDriftSql, guardrailsSql } from "./enforcer-sql";
import { databaseName, environmentRoleName, orgRoleName, type EnvironmentRoleKind, type OrgRoleKind } from "../spec/naming";
import type { OrgFacts } from "./org-facts";

/*
 * The org's SqlMigrations, rendered from its registered facts: the program declares exactly
 * these, and the pack renders them again from the same facts and refuses any migration that is
 * not one of them, SQL text included. Pure: no Pulumi import.
 */

export interface MigrationPlan {
  /** Unique within the stack: `<org>-<what>`. */
  readonly migration: string;
  /** Where the SQL runs. */
  readonly database: string;
  readonly sql: string;
  /** Needs a superuser's rights (event triggers): see SqlMigrationArgs.elevated. */
  readonly elevated: boolean;
  /** What every apply reads to find drift from this SQL, re-applying it when it lists anything: see SqlMigrationArgs.drift. */
  readonly drift?: string;
}

export type MigrationFacts = Pick<OrgFacts,
  "slug" | "environments" | "workspaces" | "lockTimeoutMs" | "statementTimeoutMs" | "idleInTransactionTimeoutMs" | "tempFileLimitMb" | "providerDatabase" | "breakGlass">;

export interface OrgMigrations {
  readonly lockTimeouts: MigrationPlan;
  readonly guardrails: MigrationPlan;
  readonly largeObjects: MigrationPlan;
  readonly auditLedger: MigrationPlan;
}

/** Each migration's name after `<org>-`. */
const MIGRATION_SUFFIXES = { lockTimeouts: "lock-timeouts", guardrails: "guardrails", largeObjects: "large-objects", auditLedger: "audit-ledger" } as const satisfies Record<keyof OrgMigrations, string>;

/**
 * The migrations that set login roles' settings: every local `up` runs them again
 * (local/role-settings.ts), since a role can change its own settings and nothing in their inputs
 * would change; a real `pulumi up` re-runs them when their drift queries list a role.
 */
export const ROLE_SETTING_MIGRATION_SUFFIXES: readonly string[] = [MIGRATION_SUFFIXES.lockTimeouts, MIGRATION_SUFFIXES.guardrails];

/** Every kind of role an org has, by construction of the type: a kind added to it must be added here. */
const ORG_ROLE_KINDS = Object.keys({ owner: true, audit: true, breakglass: true } satisfies Record<OrgRoleKind, true>) as OrgRoleKind[];
const ENVIRONMENT_ROLE_KINDS = Object.keys({ runtime: true, ddl: true } satisfies Record<EnvironmentRoleKind, true>) as EnvironmentRoleKind[];

/** The names of every role the org has (or may have: break-glass), whose large objects its drift query reports. */
export function orgRoleNames(org: Pick<MigrationFacts, "slug" | "environments">): string[] {
  return [
    ...ORG_ROLE_KINDS.map((kind) => orgRoleName(org.slug, kind)),
    ...org.environments.flatMap((env) => ENVIRONMENT_ROLE_KINDS.map((kind) => environmentRoleName(org.slug, env, kind))),
  ];
}

export function planMigrations(org: MigrationFacts): OrgMigrations {
  return {
    // ALTER ROLE is cluster-wide: it runs in the provider's own database.
    // A role can change its own settings and nothing in the SQL would change: the drift query
    // reads the catalog on every apply, so a real `pulumi up` puts them back.
    lockTimeouts: {
      migration: `${org.slug}-${MIGRATION_SUFFIXES.lockTimeouts}`, database: org.providerDatabase, sql: lockTimeoutSql(org), elevated: false, drift: lockTimeoutDriftSql(org),
    },
    // Superuser-only: temp_file_limit, and the enforcer (cluster-wide, in the enforcer's database).
    guardrails: {
      migration: `${org.slug}-${MIGRATION_SUFFIXES.guardrails}`, database: ENFORCER_DATABASE, sql: guardrailsSql(org), elevated: true, drift: guardrailsDriftSql(org),
    },
    // Elevated: only the functions' owner (the bootstrap superuser) can take EXECUTE from PUBLIC.
    // Where the login cannot (a managed server), the drift query reports the org's large objects
    // instead, and an apply that leaves any fails naming them.
    largeObjects: {
      migration: `${org.slug}-${MIGRATION_SUFFIXES.largeObjects}`, database: databaseName(org.slug), sql: closeLargeObjectsSql(), elevated: true,
      drift: largeObjectsDriftSql(org.slug, orgRoleNames(org)),
    },
    auditLedger: {
      migration: `${org.slug}-${MIGRATION_SUFFIXES.auditLedger}`,
      database: databaseName(org.slug),
      sql: auditLedgerSql({
        owner: orgRoleName(org.slug, "audit"), coveredSchemas: coveredSchemas(org), environments: planLedgerSegregation(org),
        guardOwner: orgRoleName(org.slug, "owner"), ddlRoles: org.environments.map((env) => environmentRoleName(org.slug, env, "ddl")),
        // The grant is recorded (and its revocation, once off) by the platform, in the ledger's own migration.
        breakGlassRole: orgRoleName(org.slug, "breakglass"),
        ...(org.breakGlass === undefined ? {} : { breakGlass: { ...org.breakGlass, role: orgRoleName(org.slug, "breakglass") } }),
      }),
      elevated: true,
      // Coverage can drift without the SQL changing (a table made while an event trigger was
      // off, a restore): every apply checks it and restores it (audit-drift-sql.ts).
      drift: AUDIT_DRIFT_QUERY,
    },
  };
}
