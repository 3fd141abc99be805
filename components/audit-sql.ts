import { auditDriftSql, revokeFunctionGrantsSql } from "./audit-drift-sql";
import { auditGuardSql, guardOwnerGrantsSql, guardOwnershipSql } from "./audit-guard-sql";
import { type LedgerEnvironment, ledgerSecurityFunctionSql, ledgerSegregationSql } from "./audit-security-sql";
import { BREAK_GLASS_ACTOR_PREFIX, BREAK_GLASS_GRANTS, breakGlassGrantSql, breakGlassGrantsTableSql, UNRECORDED_GRANTEE, type BreakGlassGrant } from "./break-glass-ledger-sql";
import { ledgerWritersSql, obsoleteWritersSql } from "./audit-writers-sql";
import { quoteIdent, quoteLiteral } from "../spec/naming";
import { PLATFORM_SCHEMAS } from "../spec/platform-names";

export type { LedgerEnvironment } from "./audit-security-sql";

/*
 * The append-only audit ledger of one org database, as idempotent SQL (applied by a
 * SqlMigration, re-applied whenever this text changes). Pure: tested for its text here and for
 * its behaviour on a real Postgres by the proof.
 *
 * This part is the ledger itself, owned by the NOLOGIN audit owner:
 * - audit.events; tenant roles get SELECT and INSERT of descriptive columns only (column grant,
 *   audit-plan.ts), so no tenant role can update, delete or truncate a row, and an application
 *   event's actor, operation and time come from their defaults (session_user, 'APPLICATION',
 *   clock_timestamp()): nobody writes in another's name.
 * - audit.record_statement() (set-based, per statement, for tables with a primary key) and
 *   audit.record_change() (per row, without one), SECURITY DEFINER as the audit owner with a
 *   pinned search_path (audit-writers-sql.ts): one event per changed row with the actor and
 *   correlation id from `SET LOCAL tenantry.actor` / `tenantry.correlation_id` (the actor falls
 *   back to session_user, never blank); an INSERT's new row, a DELETE's old row, an UPDATE's key
 *   and its changed columns only. Columns whose names look like credentials are "[redacted]".
 * - TRUNCATE of a covered table is refused: it would delete rows no trigger can see.
 * - No function of the ledger is executable by anyone but its owner: triggers call them without
 *   an EXECUTE check, and CREATE TRIGGER checks it, so no tenant can attach one in its own shape.
 * Coverage and its protection live in audit-guard-sql.ts, owned by the org's owner role;
 * who reads which events, in audit-security-sql.ts.
 */

export const AUDIT_SCHEMA = PLATFORM_SCHEMAS.ledger;
export { REDACTED_COLUMNS } from "./audit-writers-sql";
export const MAX_ACTOR_LENGTH = 256;
/** The ledger's one index (eventsIndexSql). */
export const EVENTS_ID_INDEX = "events_id_range";
/**
 * How long the ledger migration waits for any lock before it fails (and the next apply retries).
 * A DDL lock request queues every later writer behind it, and audited writes all insert into
 * audit.events: waiting behind a long transaction would stall them all for as long.
 */
export const LEDGER_LOCK_TIMEOUT = "2s";

export interface AuditLedgerSql {
  /** The NOLOGIN role that owns the ledger. */
  readonly owner: string;
  /** Every workspace schema of every environment: the tables the ledger covers. */
  readonly coveredSchemas: readonly string[];
  /** Per environment, whose roles read and write the events of which schemas (audit-plan.ts). */
  readonly environments: readonly LedgerEnvironment[];
  /** The org's owner role, which the guard's functions belong to and run as (audit-guard-sql.ts). */
  readonly guardOwner: string;
  /** Every environment's DDL role: the guard owner is a member of each, to attach triggers to their tables. */
  readonly ddlRoles: readonly string[];
  /** The org's break-glass role name (naming.ts), whose sessions' actor is its grantee's: fixed whether break-glass is on or off. */
  readonly breakGlassRole: string;
  /** The break-glass grant to record while break-glass is on (break-glass-ledger-sql.ts); undefined records its revocation, if any is live. */
  readonly breakGlass?: BreakGlassGrant;
}

export function auditLedgerSql(options: AuditLedgerSql): string {
  const o = quoteIdent(options.owner);
  // Handing objects to the audit owner needs membership in it for a non-superuser (an RDS
  // master user holding rds_superuser): borrowed for the migration, as the provider does.
  // Row-level security is repaired while the guard's event triggers are dropped, which its
  // sql_drop trigger would otherwise refuse for the policy drops.
  // So is the ledger's index: dropping the old primary key's index is a drop in the ledger's schema.
  const unguarded = [ledgerSecurityFunctionSql(options.environments), ledgerSegregationSql(options.environments), eventsIndexSql(), obsoleteWritersSql()].join("\n");
  return [
    `SET LOCAL lock_timeout = ${quoteLiteral(LEDGER_LOCK_TIMEOUT)};`, `GRANT ${o} TO CURRENT_USER;`, ledgerSql(options.owner, options.breakGlassRole),
    breakGlassGrantSql(options.owner, options.breakGlass),
    guardOwnerGrantsSql(options.guardOwner, options.ddlRoles),
    auditGuardSql(options.coveredSchemas, options.guardOwner, unguarded), auditDriftSql(options.coveredSchemas, options.guardOwner), revokeFunctionGrantsSql(),
    guardOwnershipSql(options.guardOwner),
    `REVOKE ${o} FROM CURRENT_USER;`,
  ].join("\n");
}

function ledgerSql(owner: string, breakGlassRole: string): string {
  const o = quoteIdent(owner);
  return `
CREATE TABLE IF NOT EXISTS audit.events (
  id bigint GENERATED ALWAYS AS IDENTITY,
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL DEFAULT session_user CHECK (btrim(actor) <> '' AND length(actor) <= ${MAX_ACTOR_LENGTH}),
  correlation_id text CHECK (length(correlation_id) <= ${MAX_ACTOR_LENGTH}),
  schema_name text NOT NULL,
  table_name text NOT NULL,
  operation text NOT NULL DEFAULT 'APPLICATION' CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'APPLICATION')),
  result text NOT NULL DEFAULT 'committed',
  primary_key jsonb,
  before jsonb,
  after jsonb,
  diff jsonb
);
-- ALTER TABLE takes ACCESS EXCLUSIVE even when the owner is already right: only when it is not.
DO $owner$
BEGIN
  IF (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'audit.events'::regclass) <> ${quoteLiteral(owner)} THEN
    ALTER TABLE audit.events OWNER TO ${o};
  END IF;
END
$owner$;

${breakGlassGrantsTableSql(owner)}

-- The break-glass login (by session_user, which no login can change: SET SESSION AUTHORIZATION
-- needs a superuser, SET ROLE changes current_user only) is break-glass:<grantee> from its latest
-- recorded grant, whatever it SETs; every other session keeps tenantry.actor, then session_user.
-- The break-glass prefix is that branch's alone: another session claiming it (in any case, after
-- any blanks or control characters) is
-- recorded as its session_user, so no one else's change passes for the break-glass login's.
-- It runs inside the SECURITY DEFINER triggers, as the audit owner, who alone reads the grants.
CREATE OR REPLACE FUNCTION audit.actor() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT left(CASE WHEN session_user = ${quoteLiteral(breakGlassRole)}
    THEN ${quoteLiteral(BREAK_GLASS_ACTOR_PREFIX)} || coalesce((SELECT grantee FROM ${BREAK_GLASS_GRANTS} WHERE role = ${quoteLiteral(breakGlassRole)} ORDER BY id DESC LIMIT 1), ${quoteLiteral(UNRECORDED_GRANTEE)})
    WHEN claimed ~* ${quoteLiteral(`^[[:space:][:cntrl:]]*${BREAK_GLASS_ACTOR_PREFIX}`)} THEN session_user::text
    ELSE coalesce(claimed, session_user::text) END, ${MAX_ACTOR_LENGTH})
  FROM (SELECT nullif(btrim(current_setting('tenantry.actor', true)), '') AS claimed) AS session_setting
$fn$;
ALTER FUNCTION audit.actor() OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.actor() FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit.correlation_id() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT left(nullif(btrim(current_setting('tenantry.correlation_id', true)), ''), ${MAX_ACTOR_LENGTH})
$fn$;
ALTER FUNCTION audit.correlation_id() OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.correlation_id() FROM PUBLIC;

${ledgerWritersSql(owner)}

CREATE OR REPLACE FUNCTION audit.refuse_truncate() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  RAISE EXCEPTION 'TRUNCATE of %.% is refused: the audit ledger could not record its rows; DELETE them instead', TG_TABLE_SCHEMA, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$fn$;
ALTER FUNCTION audit.refuse_truncate() OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.refuse_truncate() FROM PUBLIC;
`.trimStart();
}

/**
 * audit.events is indexed by a BRIN index on id, not a primary key (issue 19; docs/audit-ledger.md,
 * "What the ledger costs"). A b-tree on id cost every audited write a third of its ledger insert
 * (8 ms of CPU per 10,000 events) and answered no query a BRIN cannot: readers scan ranges of ids
 * (new events since the last one read) or whole tables. Ids stay unique by construction: the
 * column is GENERATED ALWAYS, and no role but the audit owner may write it (tenant roles hold
 * INSERT on the descriptive columns only, so neither OVERRIDING SYSTEM VALUE nor COPY of id is
 * theirs), and nothing may update the ledger. A ledger made with the primary key loses it here,
 * once: the drop takes the table's ACCESS EXCLUSIVE lock, and the index build a SHARE lock for
 * one pass over the ledger (BRIN builds in about a second per gigabyte); neither runs again.
 */
export function eventsIndexSql(): string {
  return `
DO $events_index$
DECLARE
  key_constraint name := (SELECT conname FROM pg_constraint WHERE conrelid = '${AUDIT_SCHEMA}.events'::regclass AND contype = 'p');
BEGIN
  IF key_constraint IS NOT NULL THEN
    EXECUTE format('ALTER TABLE ${AUDIT_SCHEMA}.events DROP CONSTRAINT %I', key_constraint);
  END IF;
  IF to_regclass('${AUDIT_SCHEMA}.${EVENTS_ID_INDEX}') IS NULL THEN
    CREATE INDEX ${EVENTS_ID_INDEX} ON ${AUDIT_SCHEMA}.events USING brin (id);
  END IF;
END
$events_index$;`;
}
