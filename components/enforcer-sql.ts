import type { BreakGlassFacts } from "./org-facts";
import { quoteIdent, quoteLiteral } from "../spec/naming";
import { ENFORCER } from "../spec/platform-names";
import { loginRoleNames, superuserSettingDriftSql, superuserSettingSql } from "./role-settings-sql";
import { refuseForeignSchemaSql } from "./schema-ownership-sql";
import { breakGlassOffendersSql, breakGlassSessionsDriftSql, breakGlassSessionsSql, breakGlassSessionsTableSql } from "./break-glass-sessions-sql";

/*
 * The guardrail enforcer: a platform function that ends tenant sessions which outlive their
 * declared limits, whatever the session or the role itself has SET. Role defaults
 * (statement_timeout, lock_timeout, idle_in_transaction_session_timeout) are a convenience a
 * tenant can switch off; this is the limit. Pure: no Pulumi import.
 *
 * Two parts, because pg_stat_activity is cluster-wide and one scheduled job should judge every
 * org on a server:
 * - the cluster's part (enforcerClusterSql), in its enforcer database (the database pg_cron runs
 *   in, `cron.database_name`: ENFORCER_DATABASE): a table of limits and the function that reads
 *   it, run every period by pg_cron on a managed server and by the local engine's loop on the
 *   embedded one;
 * - each org's part (guardrailsSql), an elevated SqlMigration of the org: the cluster's part again
 *   (idempotent, so no server needs it bootstrapped by hand), the pg_cron job where pg_cron is
 *   installed, its roles' rows in that table, and their temp_file_limit, which only a superuser
 *   can set or lift.
 */

/**
 * How often the enforcer runs: pg_cron's shortest interval on a managed server ('1 seconds'),
 * and the local engine's loop.
 */
export const ENFORCER_PERIOD_MS = 1_000;

/**
 * How far past its limit a session may run before the enforcer ends it. A session whose own
 * timeout is intact is cancelled by the server at the limit itself; the grace keeps the enforcer
 * from terminating such a session in the instant between the limit and that cancel. A session
 * is therefore ended at the latest `limit + grace + period` after it started.
 */
export const ENFORCER_GRACE_MS = 250;

/** The longest a tenant session can outlive a limit of `limitMs`. */
export function enforcedBoundMs(limitMs: number): number {
  return limitMs + ENFORCER_GRACE_MS + ENFORCER_PERIOD_MS;
}

const S = quoteIdent(ENFORCER.schema);
const LIMITS = `${S}.${quoteIdent(ENFORCER.limits)}`;
const ENFORCE = `${S}.${quoteIdent(ENFORCER.enforce)}`;

/**
 * Where the enforcer lives and runs: the maintenance database every server has, which is also
 * pg_cron's default `cron.database_name`. Not the org's provider database setting: one enforcer
 * judges every org on the server, whatever database each org's provider connects to.
 */
export const ENFORCER_DATABASE = "postgres";

/**
 * The advisory lock the enforcer's installation holds to its transaction's end: 'tenantry' in
 * ASCII, above any oid (the provider's own advisory locks are keyed by role and database oids).
 */
export const ENFORCER_INSTALL_LOCK = 0x74656e616e747279n;

/** What pg_cron (or the local loop) runs every period: the sessions it ended, one row each. */
export const ENFORCER_COMMAND = `SELECT * FROM ${ENFORCE}()`;

/**
 * The cluster's part, idempotent, run by the cluster's superuser (on RDS: the provider login,
 * a member of rds_superuser, which holds pg_signal_backend and pg_read_all_stats). The function
 * is not SECURITY DEFINER: it ends sessions with its caller's rights, and no one else may call it.
 */
export function enforcerClusterSql(): string {
  const grace = ENFORCER_GRACE_MS;
  return `
-- Every org's guardrails migration installs this: two applied at once would race to create the
-- schema (23505) or replace the function (tuple concurrently updated). The second waits here.
SELECT pg_catalog.pg_advisory_xact_lock(${ENFORCER_INSTALL_LOCK});
-- A schema found owned by anyone else could hold that role's functions: refused, not adopted.
${refuseForeignSchemaSql(ENFORCER.schema, "the enforcer")}
CREATE SCHEMA IF NOT EXISTS ${S};
REVOKE ALL ON SCHEMA ${S} FROM PUBLIC;

-- One row per tenant login role: its declared limits, written by its org's migration.
CREATE TABLE IF NOT EXISTS ${LIMITS} (
  role name PRIMARY KEY,
  org text NOT NULL,
  statement_ms integer NOT NULL CHECK (statement_ms > 0),
  idle_in_transaction_ms integer NOT NULL CHECK (idle_in_transaction_ms > 0),
  lock_wait_ms integer NOT NULL CHECK (lock_wait_ms > 0)
);
REVOKE ALL ON TABLE ${LIMITS} FROM PUBLIC;
${breakGlassSessionsTableSql()}

-- Ends every session of a limited role that has run a statement, waited for a lock, or sat idle
-- in a transaction longer than its limit plus ${grace} ms. Judged from the server's own view of
-- the session (pg_stat_activity, pg_locks), which no session setting changes. Terminated, not
-- cancelled: PL/pgSQL can catch a cancel, nothing can catch a termination.
CREATE OR REPLACE FUNCTION ${ENFORCE}()
RETURNS TABLE (pid integer, role name, breach text, limit_ms integer, elapsed_ms bigint)
LANGUAGE plpgsql VOLATILE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  offender record;
  -- pg_locks copies the server's whole lock table: read it only for sessions waiting on a lock.
  lock_waiters integer[] := ARRAY(SELECT a.pid FROM pg_stat_activity a JOIN ${LIMITS} l ON l.role = a.usename WHERE a.wait_event_type = 'Lock');
BEGIN
  -- A caller without the right to see other roles' sessions sees their state as null and would
  -- end none of them: that is an error, never a quiet pass.
  IF EXISTS (SELECT 1 FROM pg_stat_activity a JOIN ${LIMITS} l ON l.role = a.usename WHERE a.backend_type IS NULL) THEN
    RAISE EXCEPTION '${ENFORCER.schema}.${ENFORCER.enforce}() cannot see the sessions it judges: run it as a superuser, or a member of pg_read_all_stats and pg_signal_backend'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  FOR offender IN
    WITH waits AS (
      SELECT k.pid, min(k.waitstart) AS since FROM pg_locks k
      WHERE cardinality(lock_waiters) > 0 AND k.pid = ANY (lock_waiters) AND NOT k.granted AND k.waitstart IS NOT NULL GROUP BY k.pid
    ), judged AS (
      SELECT a.pid, l.role, b.breach, b.limit_ms, b.elapsed_ms, b.priority
      FROM pg_stat_activity a
      JOIN ${LIMITS} l ON l.role = a.usename
      LEFT JOIN waits w ON w.pid = a.pid
      CROSS JOIN LATERAL (VALUES
        (1, 'lock wait', l.lock_wait_ms, w.since),
        (2, 'statement', l.statement_ms, CASE WHEN a.state IN ('active', 'fastpath function call') THEN a.query_start END),
        (3, 'idle in transaction', l.idle_in_transaction_ms,
          CASE WHEN a.state IN ('idle in transaction', 'idle in transaction (aborted)') THEN a.state_change END)
      ) AS s(priority, breach, limit_ms, since)
      CROSS JOIN LATERAL (SELECT s.priority, s.breach, s.limit_ms, floor(extract(epoch FROM clock_timestamp() - s.since) * 1000)::bigint AS elapsed_ms) AS b
      WHERE a.backend_type = 'client backend' AND a.pid <> pg_backend_pid() AND b.elapsed_ms > b.limit_ms + ${grace}
    )
    SELECT DISTINCT ON (j.pid) j.pid, j.role, j.breach, j.limit_ms, j.elapsed_ms FROM judged j ORDER BY j.pid, j.priority
  LOOP
    IF pg_terminate_backend(offender.pid) THEN
      pid := offender.pid; role := offender.role; breach := offender.breach; limit_ms := offender.limit_ms; elapsed_ms := offender.elapsed_ms;
      RETURN NEXT;
    END IF;
  END LOOP;
  -- Break-glass sessions outside the org's live grant (break-glass-sessions-sql.ts): expired,
  -- switched off, or opened before the grant now in force. No limit or elapsed time applies.
  FOR offender IN
    SELECT DISTINCT ON (x.pid) x.pid, x.role, x.breach FROM (${breakGlassOffendersSql()}) AS x ORDER BY x.pid
  LOOP
    IF pg_terminate_backend(offender.pid) THEN
      pid := offender.pid; role := offender.role; breach := offender.breach; limit_ms := NULL; elapsed_ms := NULL;
      RETURN NEXT;
    END IF;
  END LOOP;
END
$fn$;
REVOKE ALL ON FUNCTION ${ENFORCE}() FROM PUBLIC;
`.trim();
}

/**
 * The pg_cron job, by name (so running it again replaces it), where the pg_cron extension is
 * installed in this database; where it is not, nothing: the migration still succeeds, and nothing
 * runs the enforcer on that server until its cluster declares pg_cron (issue 18). The call is
 * planned only when the branch runs, so a server without the `cron` schema never parses it.
 */
export function enforcerScheduleSql(): string {
  return `DO $schedule$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
    PERFORM cron.schedule(${quoteLiteral(ENFORCER.job)}, ${quoteLiteral(`${ENFORCER_PERIOD_MS / 1000} seconds`)}, ${quoteLiteral(ENFORCER_COMMAND)});
  END IF;
END
$schedule$;`;
}

/**
 * The parameters a managed cluster needs for the enforcer and the guardrails (its parameter
 * group, declared with the cluster: issue 18). pg_cron must be preloaded and run in the
 * enforcer's database; on RDS, `rds.restrict_password_commands` keeps a role from changing its
 * own password (only members of rds_password may), which no apply can see or undo.
 */
export const ENFORCER_CLUSTER_PARAMETERS = {
  shared_preload_libraries: "pg_cron",
  "cron.database_name": ENFORCER_DATABASE,
  "rds.restrict_password_commands": "1",
  // A job every second would otherwise write 86,400 rows a day into cron.job_run_details.
  "cron.log_run": "off",
} as const;

export interface GuardrailFacts {
  readonly slug: string;
  readonly environments: readonly string[];
  readonly statementTimeoutMs: number;
  readonly lockTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
  readonly tempFileLimitMb: number;
  /** Present while break-glass is on: its login carries the same settings and limits. */
  readonly breakGlass?: BreakGlassFacts;
}

const tempFileLimit = (org: GuardrailFacts) => quoteLiteral(`${org.tempFileLimitMb}MB`);

/**
 * The org's part: the enforcer itself (idempotent: a server nobody bootstrapped gets it here), its
 * pg_cron job where pg_cron is installed, each login role's temp_file_limit (superuser-only to
 * set, and so to lift; any `IN DATABASE` one reset first) and its row of limits for the enforcer,
 * replacing the org's previous rows (an environment removed takes its roles' rows with it).
 * Idempotent; a changed quota changes the checksum.
 */
export function guardrailsSql(org: GuardrailFacts): string {
  const roles = loginRoleNames(org);
  const rows = roles.map((role) =>
    `  (${quoteLiteral(role)}, ${quoteLiteral(org.slug)}, ${org.statementTimeoutMs}, ${org.idleInTransactionTimeoutMs}, ${org.lockTimeoutMs})`);
  return [
    enforcerClusterSql(),
    enforcerScheduleSql(),
    superuserSettingSql(roles, tempFileLimit(org)),
    `DELETE FROM ${LIMITS} WHERE org = ${quoteLiteral(org.slug)};`,
    `INSERT INTO ${LIMITS} (role, org, statement_ms, idle_in_transaction_ms, lock_wait_ms) VALUES\n${rows.join(",\n")};`,
    breakGlassSessionsSql(org),
  ].join("\n");
}

/**
 * The guardrails migration's drift query: the login roles whose temp_file_limit is not the
 * declared one (or is set `IN DATABASE`), or whose row in the enforcer's table is missing or
 * differs. A server without the enforcer's table fails the query, which the SqlMigration takes
 * as drift too.
 */
export function guardrailsDriftSql(org: GuardrailFacts): string {
  const roles = loginRoleNames(org);
  return `${superuserSettingDriftSql(roles, tempFileLimit(org))}
UNION
SELECT r.role FROM unnest(ARRAY[${roles.map(quoteLiteral).join(", ")}]::text[]) AS r(role)
WHERE NOT EXISTS (SELECT 1 FROM ${LIMITS} l WHERE l.role = r.role AND l.org = ${quoteLiteral(org.slug)}
  AND l.statement_ms = ${org.statementTimeoutMs} AND l.idle_in_transaction_ms = ${org.idleInTransactionTimeoutMs} AND l.lock_wait_ms = ${org.lockTimeoutMs})
UNION
${breakGlassSessionsDriftSql(org)}
ORDER BY 1`;
}
