import { quoteIdent } from "./naming";

/*
 * The append-only audit ledger of one org database, as idempotent SQL (applied by a
 * SqlMigration, re-applied whenever this text changes). Pure: tested for its text here and for
 * its behaviour on a real Postgres by the proof.
 *
 * - audit.events is owned by the NOLOGIN audit owner; tenant roles get SELECT and INSERT only
 *   (Grant resources), so no tenant role can update, delete or truncate a row.
 * - audit.record_statement() (and audit.record_change() for tables without a primary key),
 *   SECURITY DEFINER as the audit owner with a pinned search_path, write one event per changed
 *   row: actor and correlation id from `SET LOCAL tenantry.actor` / `tenantry.correlation_id`
 *   (the actor falls back to session_user, never blank), the primary key, before/after, and the
 *   diff of changed columns only. Columns whose names look like credentials are "[redacted]".
 * - A direct INSERT by a tenant role is an application event. Tenant roles may INSERT only the
 *   descriptive columns (a column grant, see audit-plan.ts): actor, operation and time come
 *   from their defaults (session_user, 'APPLICATION', clock_timestamp()), so no role can write
 *   an event in someone else's name. Privileges, not a trigger, enforce it.
 * - Coverage needs nobody to remember it: an event trigger attaches the row trigger to every
 *   table created in a workspace schema, and a second one refuses any DDL that leaves a covered
 *   table without its enabled trigger (DISABLE TRIGGER, DROP TRIGGER), even by the table's owner.
 *   Event triggers need a superuser to create (on RDS: rds_superuser), hence an elevated migration.
 */

export const AUDIT_SCHEMA = "audit";
export const AUDIT_TRIGGER = "tenantry_audit";
/** What covers a table with a primary key: set-based statement triggers, plus truncation. */
export const STATEMENT_TRIGGERS = ["insert", "update", "delete", "truncate"].map((op) => `${AUDIT_TRIGGER}_${op}`);
/** What covers a table without one: a row trigger, plus truncation. */
export const ROW_TRIGGERS = [`${AUDIT_TRIGGER}_row`, `${AUDIT_TRIGGER}_truncate`];
/** Column names whose values never enter the ledger. */
export const REDACTED_COLUMNS = "(password|passwd|secret|token|api_?key|credential|private_?key)";

export interface AuditLedgerSql {
  /** The NOLOGIN role that owns the ledger. */
  readonly owner: string;
  /** Every workspace schema of every environment: the tables the ledger covers. */
  readonly coveredSchemas: readonly string[];
}

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
const literalArray = (values: readonly string[]) => `ARRAY[${values.map(literal).join(", ")}]::text[]`;

export function auditLedgerSql({ owner, coveredSchemas }: AuditLedgerSql): string {
  const o = quoteIdent(owner);
  const covered = literalArray(coveredSchemas);
  return `
-- hstore's row difference is what makes set-based diffs cheap (a trusted extension; on RDS too).
CREATE EXTENSION IF NOT EXISTS hstore SCHEMA audit;

CREATE TABLE IF NOT EXISTS audit.events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL DEFAULT session_user CHECK (actor <> ''),
  correlation_id text,
  schema_name text NOT NULL,
  table_name text NOT NULL,
  operation text NOT NULL DEFAULT 'APPLICATION' CHECK (operation IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'APPLICATION')),
  result text NOT NULL DEFAULT 'committed',
  primary_key jsonb,
  before jsonb,
  after jsonb,
  diff jsonb
);
ALTER TABLE audit.events OWNER TO ${o};
DROP TRIGGER IF EXISTS stamp_application_event ON audit.events;
DROP FUNCTION IF EXISTS audit.stamp_application_event();

CREATE OR REPLACE FUNCTION audit.redact(row_data jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT jsonb_object_agg(key, CASE WHEN key ~* '${REDACTED_COLUMNS}' THEN to_jsonb('[redacted]'::text) ELSE value END)
  FROM jsonb_each(row_data)
$fn$;
ALTER FUNCTION audit.redact(jsonb) OWNER TO ${o};

CREATE OR REPLACE FUNCTION audit.actor() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT coalesce(nullif(current_setting('tenantry.actor', true), ''), session_user::text)
$fn$;
ALTER FUNCTION audit.actor() OWNER TO ${o};

-- Row by row: only for tables without a primary key, whose old and new rows cannot be paired.
CREATE OR REPLACE FUNCTION audit.record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  before_row jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN audit.redact(to_jsonb(OLD)) END;
  after_row jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN audit.redact(to_jsonb(NEW)) END;
  changed jsonb;
BEGIN
  IF TG_LEVEL = 'STATEMENT' THEN
    INSERT INTO audit.events (actor, correlation_id, schema_name, table_name, operation)
    VALUES (audit.actor(), nullif(current_setting('tenantry.correlation_id', true), ''), TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP);
    RETURN NULL;
  END IF;
  SELECT jsonb_object_agg(k, jsonb_build_object('before', before_row -> k, 'after', after_row -> k))
    INTO changed
    FROM jsonb_object_keys(coalesce(after_row, before_row)) AS k
    WHERE (before_row -> k) IS DISTINCT FROM (after_row -> k);
  IF TG_OP = 'UPDATE' AND changed IS NULL THEN
    RETURN NULL;
  END IF;
  INSERT INTO audit.events (actor, correlation_id, schema_name, table_name, operation, before, after, diff)
  VALUES (audit.actor(), nullif(current_setting('tenantry.correlation_id', true), ''), TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP,
          before_row, after_row, changed);
  RETURN NULL;
END
$fn$;
ALTER FUNCTION audit.record_change() OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.record_change() FROM PUBLIC;

-- Set-based, once per statement, from the statement's transition tables: a 10,000-row UPDATE
-- is one INSERT ... SELECT, not 10,000 trigger calls. TG_ARGV holds the primary key columns,
-- which pair each old row with its new row (by equality, so the join can hash: primary key
-- columns are never null). An UPDATE's changed columns come from hstore's C-level row
-- difference, so the diff costs one lookup per changed column, not per column. Columns that
-- look like credentials are redacted: a change to one is recorded, its value never.
CREATE OR REPLACE FUNCTION audit.record_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  secret_columns text[];
  row_json text;
  key_json text;
  pairing text;
  changes text;
BEGIN
  SELECT coalesce(array_agg(attname::text), '{}') INTO secret_columns FROM pg_attribute
   WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped AND attname ~* '${REDACTED_COLUMNS}';
  -- alias.* is the whole row even when a column shares the alias's name.
  row_json := CASE WHEN cardinality(secret_columns) = 0 THEN 'to_jsonb(%1$s.*)'
                   ELSE '(to_jsonb(%1$s.*) - $3) || (SELECT jsonb_object_agg(c, ''[redacted]''::text) FROM unnest($3) AS c)' END;
  SELECT 'jsonb_build_object(' || string_agg(format('%L, %%1$s.%I', c, c), ', ') || ')',
         string_agg(format('o.%1$I = n.%1$I', c), ' AND ')
    INTO key_json, pairing FROM unnest(TG_ARGV) AS c;
  changes := CASE TG_OP
    WHEN 'INSERT' THEN format(
      'SELECT k, NULL::jsonb, a, (SELECT jsonb_object_agg(e.key, jsonb_build_object(''before'', NULL, ''after'', e.value)) FROM jsonb_each(a) AS e) '
      'FROM (SELECT %s, %s FROM new_rows AS n) AS x (k, a)', format(key_json, 'n'), format(row_json, 'n'))
    WHEN 'DELETE' THEN format(
      'SELECT k, b, NULL::jsonb, (SELECT jsonb_object_agg(e.key, jsonb_build_object(''before'', e.value, ''after'', NULL)) FROM jsonb_each(b) AS e) '
      'FROM (SELECT %s, %s FROM old_rows AS o) AS x (k, b)', format(key_json, 'o'), format(row_json, 'o'))
    ELSE format(
      'SELECT k, b, a, (SELECT jsonb_object_agg(c, jsonb_build_object(''before'', b -> c, ''after'', a -> c)) FROM unnest(changed) AS c) '
      'FROM (SELECT %s, %s, %s, audit.akeys(audit.hstore(n.*) OPERATOR(audit.-) audit.hstore(o.*)) '
      'FROM old_rows AS o JOIN new_rows AS n ON %s) AS x (k, b, a, changed) WHERE cardinality(changed) > 0',
      format(key_json, 'n'), format(row_json, 'o'), format(row_json, 'n'), pairing)
  END;
  EXECUTE format(
    'INSERT INTO audit.events (actor, correlation_id, schema_name, table_name, operation, primary_key, before, after, diff) '
    -- Filtered on the array, not the diff: a filter on the diff would build every diff twice.
    'SELECT $5, $1, $2, $4, %L, key, b, a, diff FROM (%s) AS changes (key, b, a, diff)',
    TG_OP, changes)
  -- The actor once per statement: a function call per row would cost more than the row itself.
  USING nullif(current_setting('tenantry.correlation_id', true), ''), TG_TABLE_SCHEMA, secret_columns, TG_TABLE_NAME, audit.actor();
  RETURN NULL;
END
$fn$;
ALTER FUNCTION audit.record_statement() OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.record_statement() FROM PUBLIC;

-- The covered schemas, in one place for both event triggers.
CREATE OR REPLACE FUNCTION audit.covered_schemas() RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$ SELECT ${covered} $fn$;
ALTER FUNCTION audit.covered_schemas() OWNER TO ${o};

-- Attaches the ledger to a covered table, idempotently: with a primary key, three statement
-- triggers over transition tables; without one, a row trigger. Truncation is recorded either way.
CREATE OR REPLACE FUNCTION audit.cover(target oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  key_columns text;
  operation text;
BEGIN
  SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY array_position(i.indkey::int2[], a.attnum))
    INTO key_columns
    FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
    WHERE i.indrelid = target AND i.indisprimary;
  IF key_columns IS NOT NULL AND NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = target AND tgname = '${AUDIT_TRIGGER}_row') THEN
    FOREACH operation IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
      IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = target AND tgname = '${AUDIT_TRIGGER}_' || operation) THEN
        EXECUTE format('CREATE TRIGGER %I AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION audit.record_statement(%s)',
                       '${AUDIT_TRIGGER}_' || operation, upper(operation), target::regclass,
                       CASE operation WHEN 'insert' THEN 'NEW TABLE AS new_rows' WHEN 'delete' THEN 'OLD TABLE AS old_rows'
                                      ELSE 'OLD TABLE AS old_rows NEW TABLE AS new_rows' END,
                       key_columns);
      END IF;
    END LOOP;
  ELSIF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = target AND tgname LIKE '${AUDIT_TRIGGER}\\_%') THEN
    EXECUTE format('CREATE TRIGGER ${AUDIT_TRIGGER}_row AFTER INSERT OR UPDATE OR DELETE ON %s FOR EACH ROW EXECUTE FUNCTION audit.record_change()', target::regclass);
  END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_trigger WHERE tgrelid = target AND tgname = '${AUDIT_TRIGGER}_truncate') THEN
    EXECUTE format('CREATE TRIGGER ${AUDIT_TRIGGER}_truncate AFTER TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION audit.record_change()', target::regclass);
  END IF;
END
$fn$;
REVOKE ALL ON FUNCTION audit.cover(oid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit.cover_new_tables() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  created record;
BEGIN
  FOR created IN
    SELECT objid FROM pg_event_trigger_ddl_commands()
    WHERE object_type = 'table' AND schema_name = ANY (audit.covered_schemas())
  LOOP
    PERFORM audit.cover(created.objid);
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION audit.refuse_uncovered_tables() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  uncovered text;
BEGIN
  SELECT string_agg(format('%I.%I', n.nspname, c.relname), ', ') INTO uncovered
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (audit.covered_schemas())
    AND NOT (
      NOT EXISTS (SELECT 1 FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname LIKE '${AUDIT_TRIGGER}\\_%' AND t.tgenabled <> 'O')
      AND ((SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = ANY (${literalArray(STATEMENT_TRIGGERS)})) = ${STATEMENT_TRIGGERS.length}
        OR (SELECT count(*) FROM pg_trigger t WHERE t.tgrelid = c.oid AND t.tgname = ANY (${literalArray(ROW_TRIGGERS)})) = ${ROW_TRIGGERS.length})
    );
  IF uncovered IS NOT NULL THEN
    RAISE EXCEPTION 'the audit ledger must keep covering %: its ${AUDIT_TRIGGER}_* triggers cannot be dropped or disabled', uncovered
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$fn$;

DROP EVENT TRIGGER IF EXISTS tenantry_audit_cover;
CREATE EVENT TRIGGER tenantry_audit_cover ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO') EXECUTE FUNCTION audit.cover_new_tables();
DROP EVENT TRIGGER IF EXISTS tenantry_audit_guard;
CREATE EVENT TRIGGER tenantry_audit_guard ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'DROP TRIGGER') EXECUTE FUNCTION audit.refuse_uncovered_tables();

-- Tables that existed before the ledger are covered too.
SELECT audit.cover(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (audit.covered_schemas());
`.trimStart();
}
