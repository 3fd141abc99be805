import { AUDIT_TRIGGER, EVENT_TRIGGERS, PLATFORM_SCHEMAS } from "../spec/platform-names";
import { quoteIdent, quoteLiteral } from "../spec/naming";
import { PINNED, textArraySql, triggerShapesSql } from "./audit-trigger-shapes-sql";
import { refuseForeignSchemaSql } from "./schema-ownership-sql";

/*
 * Coverage of the audit ledger and its protection, as idempotent SQL, run by the migration's
 * login (on RDS: the provider login holding rds_superuser, no superuser). Its functions live in
 * their own schema, audit__guard (platform-names.ts), and are handed to the org's owner role
 * (the guard owner), whose rights hold on a managed server without any superuser's: it is a
 * member of every DDL role (so it may attach triggers to their tables and use their schemas), may
 * execute the three trigger functions cover() attaches, and uses the ledger's schema. The
 * provider login inherits it, so the drift checks it runs can call drift(). No tenant role can
 * use the schema, and the guard never calls a function a tenant owns.
 *
 * - Every table created in a workspace schema gets four triggers: insert/update/delete calling
 *   audit.record_statement (with a primary key) or audit.record_change (without one), and
 *   truncate calling audit.refuse_truncate. Their whole definition is rendered once, by
 *   shapes() (audit-trigger-shapes-sql.ts): cover() runs that text, and the checks compare each trigger's pg_get_triggerdef()
 *   with it, so timing, events, level, function, arguments, transition tables, WHEN clause and
 *   column list are all checked, and the enabled state beside them.
 * - Any ALTER TABLE, CREATE/ALTER TRIGGER or CREATE RULE on a covered table is checked right
 *   after it runs: an audit trigger missing, disabled, or in any shape cover() never makes aborts
 *   the command; one cover() made for an earlier primary key is re-made for the current one.
 *   Only the tables the command touched are checked, so one tenant's mistake cannot block
 *   another's migrations.
 * - Dropping an audit trigger (except with its table), or anything of the ledger, is refused.
 * - Tenant roles cannot CREATE CAST: a cast to json would run the tenant's code inside the
 *   ledger's SECURITY DEFINER functions.
 * - Identifiers only ever reach format() as arguments (%I), never inside its format string.
 * - drift() (audit-drift-sql.ts) lists whatever differs from all this; every apply reads it.
 */

const GUARD = PLATFORM_SCHEMAS.guard;
const LEDGER = PLATFORM_SCHEMAS.ledger;

/** The guard's database-wide event triggers: created from this list, and checked against it by drift(). */
export const GUARD_EVENT_TRIGGERS = [
  { name: EVENT_TRIGGERS.cover, event: "ddl_command_end", tags: ["CREATE TABLE", "CREATE TABLE AS", "SELECT INTO"], handler: "cover_new_tables" },
  { name: EVENT_TRIGGERS.guard, event: "ddl_command_end", tags: ["ALTER TABLE", "CREATE TRIGGER", "ALTER TRIGGER", "CREATE RULE"], handler: "check_touched_tables" },
  { name: EVENT_TRIGGERS.drops, event: "sql_drop", tags: undefined, handler: "refuse_drops" },
  { name: EVENT_TRIGGERS.casts, event: "ddl_command_start", tags: ["CREATE CAST"], handler: "refuse_tenant_casts" },
] as const;


/**
 * `guardOwner`: the platform role the guard's schema and functions belong to (see above).
 * `unguarded`: SQL to run while the guard's event triggers are dropped (the ledger's policy repair).
 */
export function auditGuardSql(coveredSchemas: readonly string[], guardOwner: string, unguarded = ""): string {
  const covered = textArraySql(coveredSchemas);
  return [guardSchemaSql(guardOwner), dropEventTriggersSql(), unguarded, triggerShapesSql(), coverageSql(), eventTriggerFunctionsSql(covered), obsoleteFunctionsSql(),
    createEventTriggersSql(), legacyTriggersSql(covered), coverExistingTablesSql(covered)].join("\n");
}

function guardSchemaSql(guardOwner: string): string {
  return `
-- The guard's functions run as its owner, so the schema must be the platform's: one found owned
-- by anyone else could hold functions that role wrote, and is refused rather than adopted.
${refuseForeignSchemaSql(GUARD, "the audit guard", guardOwner)}
CREATE SCHEMA IF NOT EXISTS ${GUARD};
ALTER SCHEMA ${GUARD} OWNER TO ${quoteIdent(guardOwner)};
REVOKE ALL ON SCHEMA ${GUARD} FROM PUBLIC;`.trimStart();
}

/**
 * What the guard owner needs, granted by the migration's login (a temporary member of the audit
 * owner, and the creator of the DDL roles): membership in every DDL role, the ledger's schema,
 * and EXECUTE on the trigger functions cover() attaches (CREATE TRIGGER checks it).
 */
export function guardOwnerGrantsSql(guardOwner: string, ddlRoles: readonly string[]): string {
  const owner = quoteIdent(guardOwner);
  return [
    ...ddlRoles.map((role) => `GRANT ${quoteIdent(role)} TO ${owner};`),
    `GRANT USAGE ON SCHEMA ${LEDGER} TO ${owner};`,
    `GRANT EXECUTE ON FUNCTION ${GUARDED_TRIGGER_FUNCTIONS.join(", ")} TO ${owner};`,
  ].join("\n");
}

/** The ledger's functions cover() attaches as triggers: the guard owner may execute these, and nothing else of the ledger. */
export const GUARDED_TRIGGER_FUNCTIONS = [`${LEDGER}.record_statement()`, `${LEDGER}.record_change()`, `${LEDGER}.refuse_truncate()`] as const;

/**
 * Hands every function of the guard's schema to the guard owner, last: the login made the new
 * ones, and CREATE OR REPLACE kept the owner of the rest.
 */
export function guardOwnershipSql(guardOwner: string): string {
  return `DO $guard_owner$
DECLARE
  owned regprocedure;
BEGIN
  FOR owned IN SELECT p.oid::regprocedure FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = ${quoteLiteral(GUARD)} AND p.proowner <> ${quoteLiteral(quoteIdent(guardOwner))}::regrole LOOP
    EXECUTE pg_catalog.format('ALTER FUNCTION %s OWNER TO %I', owned, ${quoteLiteral(guardOwner)});
  END LOOP;
END
$guard_owner$;`;
}


function coverageSql(): string {
  return `
-- Attaches (or re-makes, enabled, for the current primary key) the four audit triggers.
CREATE OR REPLACE FUNCTION ${GUARD}.cover(target oid) RETURNS void
LANGUAGE plpgsql ${PINNED} AS $fn$
DECLARE
  trigger_shape text;
BEGIN
  FOR trigger_shape IN SELECT shape FROM ${GUARD}.shapes(target, ${GUARD}.primary_key(target)) LOOP
    EXECUTE 'CREATE OR REPLACE TRIGGER ' || trigger_shape;
  END LOOP;
END
$fn$;

-- A covered table is plain, partitioned, or a partition: never a child of a plain table. An
-- UPDATE or DELETE of a parent reaches its children's rows, and its statement trigger sees them
-- in its transition tables as its own, where the key that is unique in the parent is not (a
-- child holds rows under the same keys), and the children's own triggers record them again.
-- (Tenant roles cannot create temporary tables, so no child is ever outside a covered schema.)
CREATE OR REPLACE FUNCTION ${GUARD}.refuse_inheritance(target oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF EXISTS (SELECT FROM pg_inherits i JOIN pg_class parent ON parent.oid = i.inhparent WHERE i.inhrelid = target AND parent.relkind <> 'p') THEN
    RAISE EXCEPTION '% cannot inherit from a table: the audit ledger records a table''s rows by its own key (use a partitioned table)',
      target::regclass USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$fn$;

CREATE OR REPLACE FUNCTION ${GUARD}.verify(target oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  tampered text;
  stale boolean;
BEGIN
  SELECT string_agg(name || ' ' || problem, ', ' ORDER BY name) FILTER (WHERE problem <> 'stale'), coalesce(bool_or(problem = 'stale'), false)
    INTO tampered, stale FROM ${GUARD}.problems(target) WHERE problem IS NOT NULL;
  IF tampered IS NOT NULL THEN
    RAISE EXCEPTION 'the audit ledger must keep covering %: its triggers cannot be dropped, renamed, disabled or reshaped (%)',
      target::regclass, tampered USING ERRCODE = 'insufficient_privilege';
  END IF;
  -- Schema evolution: the primary key changed, so the triggers are re-made to match it.
  IF stale THEN
    PERFORM ${GUARD}.cover(target);
  END IF;
END
$fn$;`;
}

function eventTriggerFunctionsSql(covered: string): string {
  return `
CREATE OR REPLACE FUNCTION ${GUARD}.cover_new_tables() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  created record;
BEGIN
  FOR created IN
    SELECT objid FROM pg_event_trigger_ddl_commands()
    WHERE object_type = 'table' AND schema_name = ANY (${covered})
  LOOP
    PERFORM ${GUARD}.refuse_inheritance(created.objid);
    PERFORM ${GUARD}.cover(created.objid);
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION ${GUARD}.check_touched_tables() RETURNS event_trigger
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
      -- A trigger exactly as cover() makes it is cover() at work (nobody else can make one:
      -- the ledger's functions are not executable by tenant roles); checking the table halfway
      -- through cover() would find the triggers not yet re-made.
      AND NOT (d.command_tag = 'CREATE TRIGGER' AND ${GUARD}.is_current(d.objid))
  LOOP
    PERFORM ${GUARD}.refuse_inheritance(touched);
    PERFORM ${GUARD}.verify(touched);
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION ${GUARD}.refuse_drops() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
DECLARE
  dropped record;
BEGIN
  FOR dropped IN SELECT * FROM pg_event_trigger_dropped_objects() LOOP
    -- address_names is {schema, table, trigger}: names stay whole whatever they contain.
    IF dropped.object_type = 'trigger' AND dropped.address_names[3] = ANY (ARRAY[${Object.values(AUDIT_TRIGGER).map(quoteLiteral).join(", ")}])
       AND to_regclass(format('%I.%I', dropped.address_names[1], dropped.address_names[2])) IS NOT NULL THEN
      RAISE EXCEPTION 'the audit trigger % cannot be dropped while its table exists', dropped.object_identity
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF dropped.schema_name IN (${quoteLiteral(LEDGER)}, ${quoteLiteral(GUARD)}) OR (dropped.object_type = 'schema' AND dropped.object_identity IN (${quoteLiteral(LEDGER)}, ${quoteLiteral(GUARD)})) THEN
      RAISE EXCEPTION 'the audit ledger''s % cannot be dropped', dropped.object_identity USING ERRCODE = 'insufficient_privilege';
    END IF;
  END LOOP;
END
$fn$;

CREATE OR REPLACE FUNCTION ${GUARD}.refuse_tenant_casts() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $fn$
BEGIN
  IF session_user::text LIKE 'tn\\_%' THEN
    RAISE EXCEPTION 'tenant roles cannot create casts: the audit ledger converts rows to json with the privileges of its owner'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$fn$;

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${GUARD} FROM PUBLIC;`;
}

/**
 * The event triggers are dropped first and made again last, in the migration's one transaction:
 * meanwhile the guard's functions can be replaced and dropped (refuse_drops() would refuse), and
 * no other session ever sees the database without them.
 */
function dropEventTriggersSql(): string {
  return GUARD_EVENT_TRIGGERS.map(({ name }) => `DROP EVENT TRIGGER IF EXISTS ${name};`).join("\n");
}

function createEventTriggersSql(): string {
  return GUARD_EVENT_TRIGGERS.map(({ name, event, tags, handler }) =>
    `CREATE EVENT TRIGGER ${name} ON ${event}${tags === undefined ? "" : `\n  WHEN TAG IN (${tags.map(quoteLiteral).join(", ")})`} EXECUTE FUNCTION ${GUARD}.${handler}();`).join("\n");
}

/** Functions of earlier guards, replaced by primary_key() and shapes() (issue 13): dropped, so nothing can call them. */
function obsoleteFunctionsSql(): string {
  return `DROP FUNCTION IF EXISTS ${GUARD}.key_columns(oid);\nDROP FUNCTION IF EXISTS ${GUARD}.expected(oid);`;
}

function legacyTriggersSql(covered: string): string {
  return `
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
    SELECT t.tgname, n.nspname, c.relname FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ANY (${covered}) AND t.tgname LIKE 'tenantry\\_audit\\_%'
      AND t.tgfoid IN ('${LEDGER}.record_statement'::regproc, '${LEDGER}.record_change'::regproc, '${LEDGER}.refuse_truncate'::regproc)
  LOOP
    EXECUTE format('DROP TRIGGER %I ON %I.%I', legacy.tgname, legacy.nspname, legacy.relname);
  END LOOP;
END
$legacy$;`;
}

function coverExistingTablesSql(covered: string): string {
  return `
-- Tables that existed before the ledger, or whose triggers drifted (drift()), are covered again;
-- a table already covered exactly is left alone, so a re-apply takes no lock on it.
SELECT ${GUARD}.cover(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (${covered})
  AND EXISTS (SELECT 1 FROM ${GUARD}.problems(c.oid) WHERE problem IS NOT NULL);
`;
}
