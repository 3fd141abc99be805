import type { BreakGlassFacts } from "./org-facts";
import { orgRoleName, quoteIdent, quoteLiteral } from "../spec/naming";
import { ENFORCER } from "../spec/platform-names";

/*
 * How the guardrail enforcer ends break-glass sessions (DESIGN property 13, review finding 1).
 * Postgres checks VALID UNTIL and the password only at login: a session opened a minute before
 * the expiry, or before the grant was switched off or handed to someone else, would otherwise run
 * until it chose to stop. The enforcer already ends sessions that break the org's bounds, every
 * period, cluster-wide; it also ends every session of an org's break-glass role that is not
 * inside the org's live grant. Pure: no Pulumi import.
 *
 * The enforcer runs in the enforcer database, and the ledger's grants table is in the org's own
 * database, which no query there can read. So the org's guardrails migration (which runs after
 * the role, and so after its new password) keeps one row per org in the enforcer's database: the
 * break-glass role's name and oid, the grant it carries (`grant_key`: null while break-glass is
 * off) and when that grant took effect (`granted_at`, moved only when the grant changes).
 *
 * A session of that role survives only while all of these hold, so anything else ends it:
 * the org's row says a grant is live; the role still exists and has a VALID UNTIL in the future;
 * and the session started at or after `granted_at` (a session opened with the previous grant's
 * password, or by the previous grantee, predates it).
 */

const S = quoteIdent(ENFORCER.schema);
export const BREAK_GLASS_SESSIONS = `${S}.${quoteIdent(ENFORCER.breakGlass)}`;

/** The enforcer database's table of each org's break-glass role and live grant. */
export function breakGlassSessionsTableSql(): string {
  return `
-- One row per org: its break-glass role and the grant that role carries (null: break-glass off).
CREATE TABLE IF NOT EXISTS ${BREAK_GLASS_SESSIONS} (
  role name PRIMARY KEY,
  org text NOT NULL UNIQUE,
  role_oid oid,
  grant_key text,
  granted_at timestamptz,
  CHECK ((grant_key IS NULL) = (granted_at IS NULL))
);
REVOKE ALL ON TABLE ${BREAK_GLASS_SESSIONS} FROM PUBLIC;`.trim();
}

/**
 * The enforcer's rule, as a query of (pid, role, breach): every client session of a recorded
 * break-glass role (by name, or by oid once the role is dropped) outside its live grant.
 * Judged from pg_stat_activity and pg_roles, which no session setting changes.
 */
export function breakGlassOffendersSql(): string {
  return `SELECT a.pid, b.role,
        CASE WHEN b.granted_at IS NULL THEN 'break-glass off'
             WHEN r.oid IS NULL THEN 'break-glass role dropped'
             WHEN r.rolvaliduntil IS NULL OR r.rolvaliduntil <= clock_timestamp() THEN 'break-glass expired'
             ELSE 'break-glass session predates the live grant' END AS breach
      FROM pg_stat_activity a
      JOIN ${BREAK_GLASS_SESSIONS} b ON a.usename = b.role OR a.usesysid = b.role_oid
      LEFT JOIN pg_roles r ON r.oid = a.usesysid
      WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid()
        AND (b.granted_at IS NULL OR r.oid IS NULL OR r.rolvaliduntil IS NULL OR r.rolvaliduntil <= clock_timestamp()
             OR a.backend_start < b.granted_at)`;
}

/**
 * What identifies a grant to the enforcer: a change to any of these is a new grant (with a new
 * password: org-database.ts), and every session opened before it ends.
 */
export function breakGlassGrantKey(grant: BreakGlassFacts): string {
  return JSON.stringify([grant.grantee, grant.expiresAt, grant.environment, grant.access]);
}

interface SessionFacts {
  readonly slug: string;
  readonly breakGlass?: BreakGlassFacts;
}

/**
 * The org's row, written whether break-glass is on or off (off: no live grant, so any session of
 * a role by that name ends). `granted_at` moves only when the grant key changes, so an apply that
 * changes something else ends no session of the live grant.
 */
export function breakGlassSessionsSql(org: SessionFacts): string {
  const role = quoteLiteral(orgRoleName(org.slug, "breakglass"));
  const key = org.breakGlass === undefined ? "NULL::text" : quoteLiteral(breakGlassGrantKey(org.breakGlass));
  const since = org.breakGlass === undefined ? "NULL::timestamptz" : "clock_timestamp()";
  return `DELETE FROM ${BREAK_GLASS_SESSIONS} WHERE org = ${quoteLiteral(org.slug)} AND role <> ${role};
INSERT INTO ${BREAK_GLASS_SESSIONS} AS b (role, org, role_oid, grant_key, granted_at)
VALUES (${role}, ${quoteLiteral(org.slug)}, (SELECT oid FROM pg_roles WHERE rolname = ${role}), ${key}, ${since})
ON CONFLICT (role) DO UPDATE SET org = EXCLUDED.org, role_oid = coalesce(EXCLUDED.role_oid, b.role_oid), grant_key = EXCLUDED.grant_key,
  granted_at = CASE WHEN b.grant_key IS NOT DISTINCT FROM EXCLUDED.grant_key THEN b.granted_at ELSE EXCLUDED.granted_at END;`;
}

/** The guardrails migration's drift for that row: the role's name when its row is missing or carries another grant. */
export function breakGlassSessionsDriftSql(org: SessionFacts): string {
  const role = quoteLiteral(orgRoleName(org.slug, "breakglass"));
  const key = org.breakGlass === undefined ? "NULL::text" : quoteLiteral(breakGlassGrantKey(org.breakGlass));
  return `SELECT ${role}::text WHERE NOT EXISTS (SELECT 1 FROM ${BREAK_GLASS_SESSIONS} b WHERE b.role = ${role} AND b.org = ${quoteLiteral(org.slug)} AND b.grant_key IS NOT DISTINCT FROM ${key})`;
}
