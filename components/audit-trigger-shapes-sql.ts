import { quoteLiteral } from "../spec/naming";
import { AUDIT_TRIGGER, PLATFORM_SCHEMAS } from "../spec/platform-names";

/*
 * The audit triggers' exact definitions, and how a covered table's triggers compare with them:
 * the guard's checks (audit-guard-sql.ts) and drift() (audit-drift-sql.ts) both read these.
 */

const GUARD = PLATFORM_SCHEMAS.guard;
const LEDGER = PLATFORM_SCHEMAS.ledger;

/** A SQL text[] of the values (standard_conforming_strings is on: only quotes are doubled); NULL for none. */
export function textArraySql(values: readonly string[] | undefined): string {
  return values === undefined ? "NULL::text[]" : `ARRAY[${values.map(quoteLiteral).join(", ")}]::text[]`;
}

/**
 * The functions a guard function may compare trigger text with: pg_get_triggerdef() qualifies
 * names outside the search_path and writes string literals by standard_conforming_strings, so
 * both are pinned (a session could otherwise turn a legitimate trigger into a mismatch).
 */
export const PINNED = "SET search_path = pg_catalog, pg_temp SET standard_conforming_strings = on";

/** The four triggers' definitions, and how a table's triggers compare with them. */
export function triggerShapesSql(): string {
  const triggers = `(VALUES (${quoteLiteral(AUDIT_TRIGGER.insert)}, 'INSERT', 'NEW TABLE AS new_rows'), ` +
    `(${quoteLiteral(AUDIT_TRIGGER.update)}, 'UPDATE', 'OLD TABLE AS old_rows NEW TABLE AS new_rows'), ` +
    `(${quoteLiteral(AUDIT_TRIGGER.delete)}, 'DELETE', 'OLD TABLE AS old_rows'), (${quoteLiteral(AUDIT_TRIGGER.truncate)}, 'TRUNCATE', NULL))`;
  return `
-- The primary key columns, in key order; empty without one. A key the ledger pairs rows by must
-- be unique when each statement ends: a DEFERRABLE key is checked only at commit, so its keys can
-- repeat within a transaction and the pairing join would match rows that are not each other.
-- Such a table is recorded row by row, like a table without a key (indimmediate is false).
CREATE OR REPLACE FUNCTION ${GUARD}.primary_key(target oid) RETURNS text[]
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT coalesce(array_agg(a.attname::text ORDER BY array_position(i.indkey::int2[], a.attnum)), '{}')
  FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
  WHERE i.indrelid = target AND i.indisprimary AND i.indimmediate
$fn$;

-- A trigger's arguments: pg_trigger.tgargs holds each followed by a zero byte.
CREATE OR REPLACE FUNCTION ${GUARD}.trigger_args(trigger_oid oid) RETURNS text[]
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  rest bytea := (SELECT tgargs FROM pg_trigger WHERE oid = trigger_oid);
  args text[] := '{}';
  ends integer;
BEGIN
  LOOP
    ends := position(decode('00', 'hex') IN rest);
    EXIT WHEN ends IS NULL OR ends = 0;
    args := args || convert_from(substring(rest FROM 1 FOR ends - 1), pg_catalog.getdatabaseencoding());
    rest := substring(rest FROM ends + 1);
  END LOOP;
  RETURN args;
END
$fn$;

-- Each audit trigger's definition for a table with primary key \`keys\` (none: row by row), as
-- pg_get_triggerdef() writes it after "CREATE TRIGGER ". Key names are written as literals the
-- way it writes them (quotes doubled; backslashes kept, standard_conforming_strings being on).
CREATE OR REPLACE FUNCTION ${GUARD}.shapes(target oid, keys text[]) RETURNS TABLE (name text, shape text)
LANGUAGE sql STABLE ${PINNED} AS $fn$
  SELECT t.name, CASE
      WHEN t.event = 'TRUNCATE' THEN
        format('%I BEFORE TRUNCATE ON %I.%I FOR EACH STATEMENT EXECUTE FUNCTION %I.refuse_truncate()', t.name, n.nspname, c.relname, ${quoteLiteral(LEDGER)})
      WHEN cardinality(keys) = 0 THEN
        format('%I AFTER %s ON %I.%I FOR EACH ROW EXECUTE FUNCTION %I.record_change()', t.name, t.event, n.nspname, c.relname, ${quoteLiteral(LEDGER)})
      ELSE
        format('%I AFTER %s ON %I.%I REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION %I.record_statement(%s)', t.name, t.event, n.nspname, c.relname,
               t.transition_tables, ${quoteLiteral(LEDGER)}, (SELECT string_agg('''' || replace(k, '''', '''''') || '''', ', ' ORDER BY i) FROM unnest(keys) WITH ORDINALITY AS a (k, i)))
    END
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, ${triggers} AS t (name, event, transition_tables)
  WHERE c.oid = target
$fn$;

-- How each audit trigger of a table differs from its definition for the current primary key:
-- NULL (it does not), missing, disabled, stale (cover() made it for another primary key, or
-- for none), or reshaped (a shape cover() never makes).
CREATE OR REPLACE FUNCTION ${GUARD}.problems(target oid) RETURNS TABLE (name text, problem text)
LANGUAGE sql STABLE ${PINNED} AS $fn$
  SELECT s.name, CASE
      WHEN t.oid IS NULL THEN 'missing'
      WHEN t.tgenabled <> 'O' THEN 'disabled'
      WHEN pg_get_triggerdef(t.oid) = 'CREATE TRIGGER ' || s.shape THEN NULL
      WHEN pg_get_triggerdef(t.oid) IN (
        SELECT 'CREATE TRIGGER ' || earlier.shape FROM (VALUES ('{}'::text[]), (${GUARD}.trigger_args(t.oid))) AS k (keys),
          LATERAL ${GUARD}.shapes(target, k.keys) AS earlier WHERE earlier.name = s.name) THEN 'stale'
      ELSE 'reshaped'
    END
  FROM ${GUARD}.shapes(target, ${GUARD}.primary_key(target)) AS s
  LEFT JOIN pg_trigger t ON t.tgrelid = target AND t.tgname = s.name
$fn$;

-- True when this trigger is exactly what cover() makes for its table now.
CREATE OR REPLACE FUNCTION ${GUARD}.is_current(trigger_oid oid) RETURNS boolean
LANGUAGE sql STABLE ${PINNED} AS $fn$
  SELECT EXISTS (SELECT 1 FROM pg_trigger t JOIN ${GUARD}.problems(t.tgrelid) p ON p.name = t.tgname
                 WHERE t.oid = trigger_oid AND p.problem IS NULL)
$fn$;`;
}
