import { quoteIdent } from "../spec/naming";

/*
 * The ledger's two writers (docs/audit-ledger.md, "What an event holds"), as idempotent SQL run
 * by the ledger's migration, owned by the audit owner and executable by nobody else:
 *
 * - audit.record_statement(key columns...): once per statement, for tables with a primary key,
 *   from the statement's transition tables: a 10,000-row UPDATE is one INSERT ... SELECT.
 * - audit.record_change(): row by row, for tables without one (their old and new rows cannot
 *   be paired).
 *
 * What an event holds (format 2, issue 19): an INSERT its new row (`after`), a DELETE its old
 * row (`before`), an UPDATE its key and, for the changed columns only, their before and after
 * values (`diff`); never whole before and after images of an update. A table without a primary
 * key has no key: its UPDATE records the whole old row in `before`, the row's only identity. A
 * row whose key changed is two UPDATE events, its old row alone and its new row alone. A column is changed when
 * its stored value differs byte for byte (record_image_ne: a case-insensitive collation must not
 * hide a change of case, nor a type whose text form two values share, such as regproc's overloads,
 * hide a change of value). The writers pin extra_float_digits, so values are recorded exactly.
 * A table whose primary key is deferrable counts as one without a key (audit-trigger-shapes-sql.ts).
 * Columns whose names look like
 * credentials are "[redacted]" in every image and key, and a change to one is recorded with
 * "[redacted]" on both sides: that it changed, never its values.
 */

/** Column names whose values never enter the ledger. */
export const REDACTED_COLUMNS = "(password|passwd|secret|token|api_?key|credential|private_?key)";
/** What a redacted column's change records in the diff. */
export const REDACTED_CHANGE = `{"before": "[redacted]", "after": "[redacted]"}`;
/**
 * Built-in types whose = is byte equality (int2, int4, int8, bool, bytea, oid, date, timestamp,
 * timestamptz, uuid; text and varchar under a deterministic collation): for these a column's
 * change is found by pg_catalog's <> (and a null on one side), a tenth of the cost of
 * record_image_ne over one-column rows.
 * An allowlist by object id, so a domain, a tenant type or any type not named here (numeric, whose
 * 1.0 = 1.00; float8, whose 0 = -0; citext; regproc) keeps the byte-for-byte comparison.
 */
export const EXACT_EQUALITY_TYPES = "'bool'::regtype::oid, 'bytea'::regtype::oid, 'int8'::regtype::oid, 'int2'::regtype::oid, 'int4'::regtype::oid, 'text'::regtype::oid, 'oid'::regtype::oid, 'varchar'::regtype::oid, 'date'::regtype::oid, 'timestamp'::regtype::oid, 'timestamptz'::regtype::oid, 'uuid'::regtype::oid";

export function ledgerWritersSql(owner: string): string {
  const o = quoteIdent(owner);
  return [redactSql(o), recordChangeSql(o), statementPiecesSql(o), recordStatementSql(o)].join("\n\n");
}

/**
 * The writers' helpers an earlier apply made with other signatures, dropped by the migration
 * while the guard's event triggers are off (its sql_drop trigger refuses drops in the ledger's
 * schema): the writers call the typed forms.
 */
export function obsoleteWritersSql(): string {
  return "DROP FUNCTION IF EXISTS audit.column_changed(text);\nDROP FUNCTION IF EXISTS audit.column_diff(text, text[]);";
}

function redactSql(o: string): string {
  return `
CREATE OR REPLACE FUNCTION audit.redact(row_data jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT jsonb_object_agg(key, CASE WHEN key ~* '${REDACTED_COLUMNS}' THEN to_jsonb('[redacted]'::text) ELSE value END)
  FROM jsonb_each(row_data)
$fn$;
ALTER FUNCTION audit.redact(jsonb) OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.redact(jsonb) FROM PUBLIC;`.trim();
}

/**
 * Row by row, for a table without a primary key. Such a row has no identity but its values, so
 * an UPDATE records its whole old row (redacted) in `before`, as logical replication's REPLICA
 * IDENTITY FULL does, beside the diff. Changed columns are found by comparing each column's stored
 * value (audit.changed_columns), before redaction, so a change to a secret column is recorded.
 */
function recordChangeSql(o: string): string {
  return `
CREATE OR REPLACE FUNCTION audit.record_change() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET extra_float_digits = 3 AS $fn$
DECLARE
  changed text[];
  old_row jsonb;
  new_row jsonb;
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO audit.events (actor, correlation_id, schema_name, table_name, operation, after)
    VALUES (audit.actor(), audit.correlation_id(), TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, audit.redact(to_jsonb(NEW)));
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO audit.events (actor, correlation_id, schema_name, table_name, operation, before)
    VALUES (audit.actor(), audit.correlation_id(), TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, audit.redact(to_jsonb(OLD)));
  ELSE
    IF OLD OPERATOR(pg_catalog.*=) NEW THEN
      RETURN NULL;
    END IF;
    EXECUTE audit.changed_columns(TG_RELID) INTO changed USING OLD, NEW;
    old_row := to_jsonb(OLD);
    new_row := to_jsonb(NEW);
    INSERT INTO audit.events (actor, correlation_id, schema_name, table_name, operation, before, diff)
    VALUES (audit.actor(), audit.correlation_id(), TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, audit.redact(old_row),
      (SELECT jsonb_object_agg(c, CASE WHEN c ~* '${REDACTED_COLUMNS}' THEN '${REDACTED_CHANGE}'::jsonb
                                       ELSE jsonb_build_object('before', old_row -> c, 'after', new_row -> c) END)
         FROM unnest(changed) AS c));
  END IF;
  RETURN NULL;
END
$fn$;
ALTER FUNCTION audit.record_change() OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.record_change() FROM PUBLIC;`.trim();
}

/**
 * Pieces of the statement trigger's SQL, each for one side of the join (o: old, n: new) or one
 * column. Names are format() arguments only (%I, %L), never part of a format string.
 * - row_json: the whole row; secret columns overwritten by $3 (their names mapped to "[redacted]").
 * - key_pair: one key column's `'name', value` pair for jsonb_build_object.
 * - column_changed: whether a column's stored value differs between the sides, byte for byte:
 *   for EXACT_EQUALITY_TYPES pg_catalog's <> or a null on one side only (IS DISTINCT FROM
 *   would resolve = by the search path, whose pg_temp could hold an exact match for varchar), else record_image_ne over one-column rows (a
 *   function call, so no row comparison expands it to the type's = operator). Not the text
 *   forms: regproc's overloads share theirs.
 * - column_diff: `{"name": {"before": ..., "after": ...}}` when it differs, else `{}` (which
 *   jsonb's || skips without copying).
 */
function statementPiecesSql(o: string): string {
  return `
CREATE OR REPLACE FUNCTION audit.row_json(side text, secrets text[]) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT CASE WHEN cardinality(secrets) = 0 THEN format('to_jsonb(%I.*)', side) ELSE format('(to_jsonb(%I.*) || $3)', side) END
$fn$;
ALTER FUNCTION audit.row_json(text, text[]) OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.row_json(text, text[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit.key_pair(side text, key_column text, secrets text[]) RETURNS text
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT CASE WHEN key_column = ANY (secrets) THEN format('%L, ''"[redacted]"''::jsonb', key_column)
              ELSE format('%L, %I.%I', key_column, side, key_column) END
$fn$;
ALTER FUNCTION audit.key_pair(text, text, text[]) OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.key_pair(text, text, text[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit.column_changed(column_name text, column_type oid, column_collation oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT CASE WHEN column_type IN (${EXACT_EQUALITY_TYPES})
                   AND (column_collation = 0 OR (SELECT collisdeterministic FROM pg_collation WHERE oid = column_collation))
              THEN format('(o.%1$I OPERATOR(pg_catalog.<>) n.%1$I OR (o.%1$I IS NULL) <> (n.%1$I IS NULL))', column_name)
              ELSE format('pg_catalog.record_image_ne(ROW(o.%1$I), ROW(n.%1$I))', column_name) END
$fn$;
ALTER FUNCTION audit.column_changed(text, oid, oid) OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.column_changed(text, oid, oid) FROM PUBLIC;

CREATE OR REPLACE FUNCTION audit.column_diff(column_name text, column_type oid, column_collation oid, secrets text[]) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT format('CASE WHEN %s THEN %s ELSE ''{}''::jsonb END', audit.column_changed(column_name, column_type, column_collation),
    CASE WHEN column_name = ANY (secrets) THEN format('%L::jsonb', jsonb_build_object(column_name, '${REDACTED_CHANGE}'::jsonb))
         ELSE format('jsonb_build_object(%1$L, jsonb_build_object(''before'', o.%1$I, ''after'', n.%1$I))', column_name) END)
$fn$;
ALTER FUNCTION audit.column_diff(text, oid, oid, text[]) OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.column_diff(text, oid, oid, text[]) FROM PUBLIC;

-- The row trigger's query for a row's changed columns, its old row $1 and new row $2.
CREATE OR REPLACE FUNCTION audit.changed_columns(relation oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT format('SELECT array_remove(ARRAY[%s]::text[], NULL) FROM (SELECT ($1).*) AS o, (SELECT ($2).*) AS n',
    string_agg(format('CASE WHEN %s THEN %L END', audit.column_changed(attname, atttypid, attcollation), attname), ', ' ORDER BY attnum))
  FROM pg_attribute WHERE attrelid = relation AND attnum > 0 AND NOT attisdropped
$fn$;
ALTER FUNCTION audit.changed_columns(oid) OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.changed_columns(oid) FROM PUBLIC;`.trim();
}

/**
 * Set-based, once per statement: TG_ARGV holds the primary key columns. An UPDATE's old and new
 * rows are paired by a FULL JOIN on them (equality, so the join can hash or merge); a row whose
 * key changed has no partner and leaves two halves, its old row in `before` and its new row in
 * `after`, each under its own key. Unchanged rows are filtered by one comparison of the two
 * rows' stored values (record_image_ne over whole rows: column_changed for every column at once)
 * before any jsonb is built, and each changed row's diff is built once. The actor and the
 * correlation id are read once per statement.
 */
function recordStatementSql(o: string): string {
  return `
CREATE OR REPLACE FUNCTION audit.record_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET extra_float_digits = 3 AS $fn$
DECLARE
  keys text[] := ARRAY(SELECT unnest(TG_ARGV));
  secrets text[];
  old_key text;
  new_key text;
  pairing text;
  diff text;
  changes text;
BEGIN
  SELECT coalesce(array_agg(attname::text) FILTER (WHERE attname ~* '${REDACTED_COLUMNS}'), '{}')
    INTO secrets FROM pg_attribute WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped;
  SELECT format('jsonb_build_object(%s)', string_agg(audit.key_pair('o', c, secrets), ', ' ORDER BY i)),
         format('jsonb_build_object(%s)', string_agg(audit.key_pair('n', c, secrets), ', ' ORDER BY i)),
         string_agg(format('o.%1$I = n.%1$I', c), ' AND ' ORDER BY i)
    INTO old_key, new_key, pairing FROM unnest(keys) WITH ORDINALITY AS k (c, i);
  IF TG_OP = 'UPDATE' THEN
    SELECT string_agg(audit.column_diff(attname, atttypid, attcollation, secrets), ' || ' ORDER BY attnum) INTO diff
      FROM pg_attribute WHERE attrelid = TG_RELID AND attnum > 0 AND NOT attisdropped;
  END IF;
  changes := CASE TG_OP
    WHEN 'INSERT' THEN format('SELECT %s, NULL::jsonb, %s, NULL::jsonb FROM new_rows AS n', new_key, audit.row_json('n', secrets))
    WHEN 'DELETE' THEN format('SELECT %s, %s, NULL::jsonb, NULL::jsonb FROM old_rows AS o', old_key, audit.row_json('o', secrets))
    -- A null-extended side of the FULL JOIN is recognised by its first key column, which a real row
    -- never has null. num_nulls() counts a null datum only: IS NULL is also true of a composite
    -- whose fields are all null, which a key column may hold.
    ELSE format('SELECT CASE WHEN num_nulls(n.%1$I) = 1 THEN %2$s ELSE %3$s END, CASE WHEN num_nulls(n.%1$I) = 1 THEN %4$s END, '
                'CASE WHEN num_nulls(o.%1$I) = 1 THEN %5$s END, CASE WHEN num_nulls(o.%1$I, n.%1$I) = 0 THEN %6$s END '
                'FROM old_rows AS o FULL JOIN new_rows AS n ON %7$s WHERE num_nulls(o.%1$I, n.%1$I) = 1 OR pg_catalog.record_image_ne(o.*, n.*)',
                keys[1], old_key, new_key, audit.row_json('o', secrets), audit.row_json('n', secrets), diff, pairing)
  END;
  EXECUTE format(
    'INSERT INTO audit.events (actor, correlation_id, schema_name, table_name, operation, primary_key, before, after, diff) '
    'SELECT $4, $1, $2, $5, %L, key, b, a, d FROM (%s) AS changes (key, b, a, d)',
    TG_OP, changes)
  USING audit.correlation_id(), TG_TABLE_SCHEMA, (SELECT coalesce(jsonb_object_agg(c, '[redacted]'::text), '{}') FROM unnest(secrets) AS c),
        audit.actor(), TG_TABLE_NAME;
  RETURN NULL;
END
$fn$;
ALTER FUNCTION audit.record_statement() OWNER TO ${o};
REVOKE ALL ON FUNCTION audit.record_statement() FROM PUBLIC;`.trim();
}
