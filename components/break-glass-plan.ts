import type { BreakGlassAccess } from "../spec/break-glass-spec";
import type { OrgSpec } from "../spec/spec";
import { databaseName, orgRoleName } from "../spec/naming";
import { planEnvironmentSchemas, RUNTIME_TABLE_PRIVILEGES, type GrantPlan } from "./database-plan";

/*
 * The break-glass login (DESIGN property 13) as plain data: one role, bounded like every other
 * login and tighter (one connection, an expiry), reaching one environment's schemas with read
 * or DML privileges and nothing else. The component only turns this into resources, and the
 * pack's shapes (policies/grant-shapes.ts) state the same privileges again on their own.
 */

/** One person, one session: an emergency login never needs a pool. */
export const BREAK_GLASS_CONNECTION_LIMIT = 1;

/** Table privileges by access: read is SELECT alone; write is the runtime's DML, never TRUNCATE. */
export const BREAK_GLASS_TABLE_PRIVILEGES: Readonly<Record<BreakGlassAccess, readonly string[]>> = {
  read: ["SELECT"],
  write: RUNTIME_TABLE_PRIVILEGES,
};

/** Sequences: read may look at them (SELECT); write may also advance them (USAGE: nextval). */
export const BREAK_GLASS_SEQUENCE_PRIVILEGES: Readonly<Record<BreakGlassAccess, readonly string[]>> = {
  read: ["SELECT"],
  write: ["USAGE", "SELECT"],
};

export interface BreakGlassPlan {
  readonly name: string;
  readonly grantee: string;
  readonly reason: string;
  /** The login's VALID UNTIL: Postgres refuses its password from then on. */
  readonly validUntil: string;
  readonly environment: string;
  readonly access: BreakGlassAccess;
  readonly connectionLimit: number;
  readonly statementTimeoutMs: number;
  readonly lockTimeoutMs: number;
  readonly idleInTransactionSessionTimeoutMs: number;
  /** CONNECT on the org database, then per schema of the environment USAGE, tables and sequences. */
  readonly grants: readonly GrantPlan[];
}

/** The break-glass login of the org, or undefined while break-glass is off. */
export function planBreakGlass(spec: OrgSpec): BreakGlassPlan | undefined {
  const breakGlass = spec.breakGlass;
  if (!breakGlass.enabled) return undefined;
  const { environment, access } = breakGlass;
  const name = orgRoleName(spec.slug, "breakglass");
  const database = databaseName(spec.slug);
  const schemaGrants = planEnvironmentSchemas(spec, environment).flatMap((schema): GrantPlan[] => {
    const base = { kind: "grant", role: name, database, schema: schema.name } as const;
    const key = (what: string) => `${schema.name}-breakglass-${what}`;
    return [
      { ...base, key: key("usage"), objectType: "schema", privileges: ["USAGE"] },
      { ...base, key: key("tables"), objectType: "table", privileges: [...BREAK_GLASS_TABLE_PRIVILEGES[access]] },
      { ...base, key: key("sequences"), objectType: "sequence", privileges: [...BREAK_GLASS_SEQUENCE_PRIVILEGES[access]] },
    ];
  });
  return {
    name,
    grantee: breakGlass.grantee,
    reason: breakGlass.reason,
    validUntil: new Date(Date.parse(breakGlass.expiresAt)).toISOString(),
    environment,
    access,
    connectionLimit: BREAK_GLASS_CONNECTION_LIMIT,
    statementTimeoutMs: spec.quotas.statementTimeoutMs,
    lockTimeoutMs: spec.quotas.lockTimeoutMs,
    idleInTransactionSessionTimeoutMs: spec.quotas.idleInTransactionTimeoutMs,
    grants: [
      { kind: "grant", key: "breakglass-connect", role: name, database, objectType: "database", privileges: ["CONNECT"] },
      ...schemaGrants,
    ],
  };
}

/**
 * What the login's generated password is kept for: a change to any of these replaces the
 * password, so every grant (another grantee, environment, access or expiry) gets its own, and the
 * previous grantee's password stops working with the apply that changes it. Their sessions are
 * ended by the enforcer (break-glass-sessions-sql.ts).
 */
export function breakGlassPasswordKeepers(plan: BreakGlassPlan): Record<string, string> {
  return { grantee: plan.grantee, environment: plan.environment, access: plan.access, expiresAt: plan.validUntil };
}
