import { auditDriftSql, revokeFunctionGrantsSql } from "./audit-drift-sql";
import { auditGuardSql, guardOwnerGrantsSql, guardOwnershipSql } from "./audit-guard-sql";
import { type LedgerEnvironment, ledgerSecurityFunctionSql, ledgerSegregationSql } from "./audit-security-sql";
import { BREAK_GLASS_ACTOR_PREFIX, BREAK_GLASS_GRANTS, breakGlassGrantSql, breakGlassGrantsTableSql, UNRECORDED_GRANTEE, type BreakGlassGrant } from "./break-glass-ledger-sql";
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
 *   pinned search_path: one event per changed row with the actor and correlation id from
 *   `SET LOCAL tenantry.actor` / `tenantry.correlation_id` (the actor falls back to
 *   session_user, never blank), the primary key, before/after, and the diff of changed columns
 *   only. Columns whose names look like credentials are "[redacted]", in the key too.
 * - TRUNCATE of a covered table is refused: it would delete rows no trigger can see.
 * - No function of the ledger is executable by anyone but its owner: triggers call them without
 *   an EXECUTE check, and CREATE TRIGGER checks it, so no tenant can attach one in its own shape.
 * - Values are compared and stored through their text form, so the writers pin
 *   extra_float_digits: a session that lowers it must not make 1.5 -> 1.6 look unchanged.
 * Coverage and its protection live in audit-guard-sql.ts, owned by the org's owner role;
 * who reads which events, in audit-security-sql.ts.
 */

export const AUDIT_SCHEMA = PLATFORM_SCHEMAS.ledger;
/** Column names whose values never enter the ledger. */
export const REDACTED_COLUMNS = "(password|passwd|secret|token|api_?key|credential|private_?key)";
export const MAX_ACTOR_LENGTH = 256;
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
  const unguarded = [ledgerSecurityFunctionSql(options.environments), ledgerSegregationSql(options.environments)].join("\n");
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
-- hstore's row difference is what makes set-based diffs cheap (a trusted extension; on RDS too).
CREATE EXTENSION IF NOT EXISTS hstore SCHEMA audit;

CREATE TABLE IF NOT EXISTS audit.events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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

CREATE OR REPLACE FUNCTION audit.redact(row_data jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT jsonb_object_agg(key, CASE WHEN key ~* '${REDACTED_COLUMNS}' THEN to_jsonb('[redacted]'::text) ELSE value END)
  FROM jsonb_each(row_data)
$fn$;
ALTER FUNCTION audit.redact(jsonb) OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.redact(jsonb) FROM PUBLIC;

-- Row by row: for tables without a primary key, whose old and new rows cannot be paired.
-- Changed columns are found before redaction, so a change to a secret column is recorded.
CREATE OR REPLACE FUNCTION audit.record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET extra_float_digits = 3 AS $fn$
DECLARE
  old_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
  new_row jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
  before_row jsonb := audit.redact(old_row);
  after_row jsonb := audit.redact(new_row);
  changed jsonb;
BEGIN
  SELECT jsonb_object_agg(k, jsonb_build_object('before', before_row -> k, 'after', after_row -> k))
    INTO changed
    FROM jsonb_object_keys(coalesce(new_row, old_row)) AS k
    WHERE coalesce(old_row -> k, 'null') IS DISTINCT FROM coalesce(new_row -> k, 'null');
  IF changed IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO audit.events (actor, correlation_id, schema_name, table_name, operation, before, after, diff)
  VALUES (audit.actor(), audit.correlation_id(), TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, before_row, after_row, changed);
  RETURN NULL;
END
$fn$;
ALTER FUNCTION audit.record_change() OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.record_change() FROM PUBLIC;

${statementPiecesSql(owner)}

${recordStatementSql()}
ALTER FUNCTION audit.record_statement() OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.record_statement() FROM PUBLIC;

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
 * Set-based, once per statement, from the statement's transition tables: a 10,000-row UPDATE is
 * one INSERT ... SELECT, not 10,000 trigger calls. TG_ARGV holds the primary key columns. Old
 * and new rows are paired by a FULL JOIN on them (equality, so the join can hash), so an UPDATE
 * that changes a key still leaves both halves on record. hstore's C-level row difference finds
 * an UPDATE's changed columns. The actor is read once per statement.
 *
 * The SQL it runs is built here, and a column name never becomes part of a format string: each
 * goes in as a format() argument (%I, %L), and every format string is a constant of this
 * function. (A key column named `id%1$s` once turned into `idn` by being formatted twice.)
 */
function recordStatementSql(): string {
  return `
CREATE OR REPLACE FUNCTION audit.record_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET extra_float_digits = 3 AS $fn$
DECLARE
  keys text[] := ARRAY(SELECT unnest(TG_ARGV));
  secrets text[];
  non_null_keys constant text := 'ARRAY(SELECT e.key FROM jsonb_each(%s) AS e WHERE e.value <> ''null''::jsonb)';
  old_key text;
  new_key text;
  old_row text;
  new_row text;
  pairing text;
  changes text;
BEGIN
  SELECT coalesce(array_agg(attname::text), '{}') INTO secrets FROM pg_attribute
   WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped AND attname ~* '${REDACTED_COLUMNS}';
  -- alias.* is the whole row even when a column shares the alias's name; a null-extended side of
  -- the FULL JOIN is recognised by its first key column, which a real row never has null.
  SELECT format('CASE WHEN o.%I IS NULL THEN NULL ELSE %s END', keys[1], audit.row_json('o', secrets)),
         format('CASE WHEN n.%I IS NULL THEN NULL ELSE %s END', keys[1], audit.row_json('n', secrets)),
         format('CASE WHEN o.%I IS NULL THEN NULL ELSE jsonb_build_object(%s) END', keys[1], string_agg(audit.key_pair('o', c, secrets), ', ' ORDER BY i)),
         format('CASE WHEN n.%I IS NULL THEN NULL ELSE jsonb_build_object(%s) END', keys[1], string_agg(audit.key_pair('n', c, secrets), ', ' ORDER BY i)),
         string_agg(format('o.%1$I = n.%1$I', c), ' AND ' ORDER BY i)
    INTO old_row, new_row, old_key, new_key, pairing FROM unnest(keys) WITH ORDINALITY AS k (c, i);
  changes := CASE TG_OP
    WHEN 'INSERT' THEN format('SELECT k, NULL::jsonb, a, %s FROM (SELECT %s, %s FROM new_rows AS n) AS x (k, a)',
                              format(non_null_keys, 'a'), new_key, new_row)
    WHEN 'DELETE' THEN format('SELECT k, b, NULL::jsonb, %s FROM (SELECT %s, %s FROM old_rows AS o) AS x (k, b)',
                              format(non_null_keys, 'b'), old_key, old_row)
    ELSE format('SELECT coalesce(kn, ko), b, a, changed FROM (SELECT %s, %s, %s, %s, '
                'CASE WHEN o.%I IS NULL THEN %s WHEN n.%I IS NULL THEN %s '
                'ELSE audit.akeys(audit.hstore(n.*) OPERATOR(audit.-) audit.hstore(o.*)) END '
                'FROM old_rows AS o FULL JOIN new_rows AS n ON %s) AS x (kn, ko, b, a, changed) WHERE cardinality(changed) > 0',
                new_key, old_key, old_row, new_row,
                keys[1], format(non_null_keys, new_row), keys[1], format(non_null_keys, old_row), pairing)
  END;
  EXECUTE format(
    'INSERT INTO audit.events (actor, correlation_id, schema_name, table_name, operation, primary_key, before, after, diff) '
    'SELECT $5, $1, $2, $4, %L, key, b, a, '
    '(SELECT jsonb_object_agg(c, jsonb_build_object(''before'', b -> c, ''after'', a -> c)) FROM unnest(changed) AS c) '
    'FROM (%s) AS changes (key, b, a, changed)',
    TG_OP, changes)
  USING audit.correlation_id(), TG_TABLE_SCHEMA, secrets, TG_TABLE_NAME, audit.actor();
  RETURN NULL;
END
$fn$;`.trim();
}

/**
 * Two pieces of the statement trigger's SQL, for the side `side` of the join (o or n): a whole
 * row as json with secret columns redacted ($3 holds their names), and one key column's
 * `'name', value` pair for jsonb_build_object. Names are format() arguments only.
 */
function statementPiecesSql(owner: string): string {
  const o = quoteIdent(owner);
  return `
CREATE OR REPLACE FUNCTION audit.row_json(side text, secrets text[]) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT CASE WHEN cardinality(secrets) = 0 THEN format('to_jsonb(%I.*)', side)
              ELSE format('(to_jsonb(%1$I.*) - $3) || (SELECT jsonb_object_agg(c, ''[redacted]''::text) FROM unnest($3) AS c)', side) END
$fn$;
ALTER FUNCTION audit.row_json(text, text[]) OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.row_json(text, text[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit.key_pair(side text, key_column text, secrets text[]) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT CASE WHEN key_column = ANY (secrets) THEN format('%L, ''"[redacted]"''::jsonb', key_column)
              ELSE format('%L, %I.%I', key_column, side, key_column) END
$fn$;
ALTER FUNCTION audit.key_pair(text, text, text[]) OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.key_pair(text, text, text[]) FROM PUBLIC;`.trim();
}
