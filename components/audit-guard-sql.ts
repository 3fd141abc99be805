import { AUDIT_TRIGGER, AUDIT_TRIGGER_PREFIX, EVENT_TRIGGERS, PLATFORM_SCHEMAS } from "../spec/platform-names";

/*
 * Coverage of the audit ledger and its protection, as idempotent SQL. Everything here runs as
 * the migration's superuser (on RDS: the provider login holding rds_superuser), so it lives in
 * its own schema, audit__guard (platform-names.ts), that no other role owns or can use, and it never calls a
 * function a less privileged role owns: the audit owner can replace its own functions, and a
 * schema owner can drop anything in its schema.
 *
 * - Every table created in a workspace schema gets four triggers: insert/update/delete calling
 *   audit.record_statement (with a primary key) or audit.record_change (without one), and
 *   truncate calling audit.refuse_truncate.
 * - Any ALTER TABLE, CREATE/ALTER TRIGGER or CREATE RULE on a covered table is checked right
 *   after it runs: a missing, renamed, disabled or replaced audit trigger aborts the command; a
 *   changed primary key re-covers the table. Only the tables the command touched are checked,
 *   so one tenant's mistake cannot block another's migrations.
 * - Dropping an audit trigger (except with its table), or anything of the ledger, is refused.
 * - Tenant roles cannot CREATE CAST: a cast to json would run the tenant's code inside the
 *   ledger's SECURITY DEFINER functions.
 */

const literal = (value: string) => `'${value.replace(/'/g, "''")}'`;
/** A LIKE pattern matching names that start with `prefix` (its `_` taken literally). */
const startsWith = (prefix: string) => literal(`${prefix.replace(/[\\_%]/g, (c) => `\\${c}`)}%`);

const G = PLATFORM_SCHEMAS.guard;
const L = PLATFORM_SCHEMAS.ledger;

export function auditGuardSql(coveredSchemas: readonly string[]): string {
  const covered = `ARRAY[${coveredSchemas.map(literal).join(", ")}]::text[]`;
  return `
-- The guard runs as the migration's superuser, so it must own its schema: one found owned by
-- anyone else could hold functions that role wrote, and is refused rather than adopted.
DO $guard$
DECLARE
  found_owner text := (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = ${literal(G)});
BEGIN
  IF found_owner IS NOT NULL AND found_owner <> current_user THEN
    RAISE EXCEPTION 'schema ${G} exists and is owned by %, not by %: the audit guard will not adopt it', found_owner, current_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$guard$;
CREATE SCHEMA IF NOT EXISTS ${G};
REVOKE ALL ON SCHEMA ${G} FROM PUBLIC;

-- The primary key columns, quoted and in key order: the record_statement trigger arguments.
CREATE OR REPLACE FUNCTION ${G}.key_columns(target oid) RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT string_agg(quote_literal(a.attname), ', ' ORDER BY array_position(i.indkey::int2[], a.attnum))
  FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
  WHERE i.indrelid = target AND i.indisprimary
$fn$;

-- Attaches (or re-attaches after a primary key change) the four audit triggers.
CREATE OR REPLACE FUNCTION ${G}.cover(target oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  key_columns text := ${G}.key_columns(target);
  operation text;
BEGIN
  FOREACH operation IN ARRAY ARRAY['insert', 'update', 'delete'] LOOP
    IF key_columns IS NULL THEN
      EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON %s FOR EACH ROW EXECUTE FUNCTION audit.record_change()',
                     ${literal(AUDIT_TRIGGER_PREFIX)} || operation, upper(operation), target::regclass);
    ELSE
      EXECUTE format('CREATE OR REPLACE TRIGGER %I AFTER %s ON %s REFERENCING %s FOR EACH STATEMENT EXECUTE FUNCTION audit.record_statement(%s)',
                     ${literal(AUDIT_TRIGGER_PREFIX)} || operation, upper(operation), target::regclass,
                     CASE operation WHEN 'insert' THEN 'NEW TABLE AS new_rows' WHEN 'delete' THEN 'OLD TABLE AS old_rows'
                                    ELSE 'OLD TABLE AS old_rows NEW TABLE AS new_rows' END,
                     key_columns);
    END IF;
  END LOOP;
  EXECUTE format('CREATE OR REPLACE TRIGGER ${AUDIT_TRIGGER.truncate} BEFORE TRUNCATE ON %s FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_truncate()',
                 target::regclass);
END
$fn$;

-- What the four triggers must look like now: their functions, and the current primary key.
CREATE OR REPLACE FUNCTION ${G}.expected(target oid) RETURNS TABLE (name text, definition text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  WITH key AS (SELECT ${G}.key_columns(target) AS columns)
  SELECT ${literal(AUDIT_TRIGGER_PREFIX)} || op,
         CASE WHEN key.columns IS NULL THEN 'FOR EACH ROW EXECUTE FUNCTION audit.record_change()'
              ELSE 'FOR EACH STATEMENT EXECUTE FUNCTION audit.record_statement(' || key.columns || ')' END
  FROM key, unnest(ARRAY['insert', 'update', 'delete']) AS op
  UNION ALL
  SELECT ${literal(AUDIT_TRIGGER.truncate)}, 'FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_truncate()'
$fn$;

CREATE OR REPLACE FUNCTION ${G}.verify(target oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  tampered text;
  stale boolean;
BEGIN
  -- Tampering: an audit trigger missing, disabled, or calling anything but the ledger.
  SELECT string_agg(e.name, ', ') INTO tampered
  FROM ${G}.expected(target) e
  LEFT JOIN pg_trigger t ON t.tgrelid = target AND t.tgname = e.name
  WHERE t.oid IS NULL OR t.tgenabled <> 'O'
     OR t.tgfoid NOT IN ('audit.record_statement'::regproc, 'audit.record_change'::regproc, 'audit.refuse_truncate'::regproc);
  IF tampered IS NOT NULL THEN
    RAISE EXCEPTION 'the audit ledger must keep covering %: its triggers (%) cannot be dropped, renamed, disabled or replaced',
      target::regclass, tampered USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- Schema evolution: the primary key changed, so the triggers are re-attached to match it.
  SELECT bool_or(position(e.definition IN pg_get_triggerdef(t.oid)) = 0) INTO stale
  FROM ${G}.expected(target) e JOIN pg_trigger t ON t.tgrelid = target AND t.tgname = e.name;
  IF stale THEN
    PERFORM ${G}.cover(target);
  END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION ${G}.cover_new_tables() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  created record;
BEGIN
  FOR created IN
    SELECT objid FROM pg_event_trigger_ddl_commands()
    WHERE object_type = 'table' AND schema_name = ANY (${covered})
  LOOP
    PERFORM ${G}.cover(created.objid);
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION ${G}.check_touched_tables() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  touched oid;
BEGIN
  FOR touched IN
    SELECT DISTINCT c.oid FROM pg_event_trigger_ddl_commands() AS d
    JOIN pg_class c ON c.oid = CASE d.classid
      WHEN 'pg_class'::regclass THEN d.objid
      WHEN 'pg_trigger'::regclass THEN (SELECT tgrelid FROM pg_trigger WHERE oid = d.objid)
      WHEN 'pg_rewrite'::regclass THEN (SELECT ev_class FROM pg_rewrite WHERE oid = d.objid)
    END
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (${covered})
      -- A trigger created with the ledger's own function is cover() at work (or a harmless
      -- copy of it): checking the table halfway through cover() would refuse cover() itself.
      AND NOT (d.command_tag = 'CREATE TRIGGER' AND EXISTS (
        SELECT 1 FROM pg_trigger t WHERE t.oid = d.objid AND t.tgname LIKE ${startsWith(AUDIT_TRIGGER_PREFIX)}
          AND t.tgfoid IN ('audit.record_statement'::regproc, 'audit.record_change'::regproc, 'audit.refuse_truncate'::regproc)))
  LOOP
    PERFORM ${G}.verify(touched);
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION ${G}.refuse_drops() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  dropped record;
BEGIN
  FOR dropped IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    -- address_names is {schema, table, trigger}: names stay whole whatever they contain.
    IF dropped.object_type = 'trigger' AND dropped.address_names[3] LIKE ${startsWith(AUDIT_TRIGGER_PREFIX)}
       AND to_regclass(format('%I.%I', dropped.address_names[1], dropped.address_names[2])) IS NOT NULL THEN
      RAISE EXCEPTION 'the audit trigger % cannot be dropped while its table exists', dropped.object_identity
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF dropped.schema_name IN (${literal(L)}, ${literal(G)}) OR (dropped.object_type = 'schema' AND dropped.object_identity IN (${literal(L)}, ${literal(G)})) THEN
      RAISE EXCEPTION 'the audit ledger''s % cannot be dropped', dropped.object_identity USING ERRCODE = 'insufficient_privilege';
    END IF;
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION ${G}.refuse_tenant_casts() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF session_user::text LIKE 'tn\\_%' THEN
    RAISE EXCEPTION 'tenant roles cannot create casts: the audit ledger converts rows to json with the privileges of its owner'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$fn$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${G} FROM PUBLIC;

DROP EVENT TRIGGER IF EXISTS ${EVENT_TRIGGERS.cover};
CREATE EVENT TRIGGER ${EVENT_TRIGGERS.cover} ON ddl_command_end
  WHEN TAG IN ('CREATE TABLE', 'CREATE TABLE AS', 'SELECT INTO') EXECUTE FUNCTION ${G}.cover_new_tables();
DROP EVENT TRIGGER IF EXISTS ${EVENT_TRIGGERS.guard};
CREATE EVENT TRIGGER ${EVENT_TRIGGERS.guard} ON ddl_command_end
  WHEN TAG IN ('ALTER TABLE', 'CREATE TRIGGER', 'ALTER TRIGGER', 'CREATE RULE') EXECUTE FUNCTION ${G}.check_touched_tables();
DROP EVENT TRIGGER IF EXISTS ${EVENT_TRIGGERS.drops};
CREATE EVENT TRIGGER ${EVENT_TRIGGERS.drops} ON sql_drop EXECUTE FUNCTION ${G}.refuse_drops();
DROP EVENT TRIGGER IF EXISTS ${EVENT_TRIGGERS.casts};
CREATE EVENT TRIGGER ${EVENT_TRIGGERS.casts} ON ddl_command_start
  WHEN TAG IN ('CREATE CAST') EXECUTE FUNCTION ${G}.refuse_tenant_casts();

-- Before platform names had a shape of their own (platform-names.ts) the guard's event
-- triggers and audit triggers were named tenantry_audit_*: only the migration's superuser can
-- make event triggers, and only row triggers calling the ledger's functions are removed, so
-- nothing of a tenant's is touched. Without this an upgraded database would record twice.
DROP EVENT TRIGGER IF EXISTS tenantry_audit_cover;
DROP EVENT TRIGGER IF EXISTS tenantry_audit_guard;
DROP EVENT TRIGGER IF EXISTS tenantry_audit_drops;
DROP EVENT TRIGGER IF EXISTS tenantry_audit_casts;
DO $legacy$
DECLARE
  legacy record;
BEGIN
  FOR legacy IN
    SELECT t.tgname, t.tgrelid::regclass AS target FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (${covered}) AND t.tgname LIKE 'tenantry\\_audit\\_%'
      AND t.tgfoid IN ('${L}.record_statement'::regproc, '${L}.record_change'::regproc, '${L}.refuse_truncate'::regproc)
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %s', legacy.tgname, legacy.target);
  END LOOP;
END
$legacy$;

-- Tables that existed before the ledger are covered too.
SELECT ${G}.cover(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (${covered});
`.trimStart();
}
