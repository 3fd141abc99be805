import { quoteIdent, quoteLiteral } from "../spec/naming";
import { GUARD_EVENT_TRIGGERS, GUARDED_TRIGGER_FUNCTIONS } from "./audit-guard-sql";
import { textArraySql } from "./audit-trigger-shapes-sql";
import { PLATFORM_SCHEMAS } from "../spec/platform-names";

/*
 * Drift: what differs, in the database, from the ledger and guard its migration installs. The
 * event triggers keep tenants from changing coverage, but not everything that can happen to a
 * database goes through them: a superuser disabling an event trigger while debugging, a
 * restore, a major-version upgrade on RDS (which needs event triggers dropped first), a bug
 * such as issue 13's finding 1. Tables created meanwhile are uncovered, triggers may be
 * reshaped. drift() lists each difference in one line; every apply reads it (the SqlMigration's
 * `drift` query, and the local engine after each apply) and re-applies the migration when it
 * lists anything, which re-covers exactly the tables that drifted, revokes what was granted, and
 * restores the ledger's row-level security (ledger_security(), audit-security-sql.ts) if it was
 * disabled, FORCEd, or a policy was added, removed or reshaped.
 * What drift() does not read: the bodies of the ledger's and guard's functions (only a
 * superuser, or a member of the NOLOGIN audit owner, can replace them).
 */

const GUARD = PLATFORM_SCHEMAS.guard;
const LEDGER = PLATFORM_SCHEMAS.ledger;

/** The query an apply runs to find drift: one row per difference, none when the database is as declared. */
export const AUDIT_DRIFT_QUERY = `SELECT problem FROM ${GUARD}.drift() AS problem`;

export function auditDriftSql(coveredSchemas: readonly string[], guardOwner: string): string {
  const covered = textArraySql(coveredSchemas);
  const eventTriggers = GUARD_EVENT_TRIGGERS.map(({ name, event, tags, handler }) =>
    `(${quoteLiteral(name)}, ${quoteLiteral(event)}, ${textArraySql(tags)}, ${quoteLiteral(`${GUARD}.${handler}()`)})`).join(",\n         ");
  return `
-- Who besides its owner may execute a function of the ledger or the guard (extension members,
-- hstore's, apart). Nobody but the guard owner, on the trigger functions it attaches: the trigger mechanism calls trigger functions without checking
-- EXECUTE, and EXECUTE is what CREATE TRIGGER checks, so holding it would let a tenant attach
-- a ledger function in a shape of its own.
CREATE OR REPLACE FUNCTION ${GUARD}.function_grants() RETURNS TABLE (fn regprocedure, grantee oid)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT DISTINCT p.oid::regprocedure, a.grantee
  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace,
       LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) AS a
  WHERE n.nspname IN (${quoteLiteral(LEDGER)}, ${quoteLiteral(GUARD)}) AND a.grantee <> p.proowner
    -- The guard owner's EXECUTE on the trigger functions cover() attaches (audit-guard-sql.ts).
    AND NOT (a.grantee = ${quoteLiteral(quoteIdent(guardOwner))}::regrole
             AND p.oid IN (${GUARDED_TRIGGER_FUNCTIONS.map((fn) => `${quoteLiteral(fn)}::regprocedure`).join(", ")}))
    AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
$fn$;

CREATE OR REPLACE FUNCTION ${GUARD}.drift() RETURNS SETOF text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp SET standard_conforming_strings = on AS $fn$
  SELECT format('%s: trigger %s is %s', c.oid::regclass, p.name, p.problem)
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, LATERAL ${GUARD}.problems(c.oid) AS p
  WHERE c.relkind IN ('r', 'p') AND n.nspname = ANY (${covered}) AND p.problem IS NOT NULL
  UNION ALL
  SELECT format('event trigger %s is %s', e.name, CASE WHEN t.oid IS NULL THEN 'missing' WHEN t.evtenabled <> 'O' THEN 'disabled' ELSE 'reshaped' END)
  FROM (VALUES ${eventTriggers}) AS e (name, event, tags, handler)
  LEFT JOIN pg_event_trigger t ON t.evtname = e.name
  WHERE t.oid IS NULL OR t.evtenabled <> 'O' OR t.evtevent <> e.event OR t.evtfoid IS DISTINCT FROM to_regprocedure(e.handler)
     OR ARRAY(SELECT unnest(t.evttags) ORDER BY 1) <> ARRAY(SELECT unnest(e.tags) ORDER BY 1)
  UNION ALL
  SELECT format('%s is executable by %s', g.fn, CASE g.grantee WHEN 0 THEN 'PUBLIC' ELSE g.grantee::regrole::text END)
  FROM ${GUARD}.function_grants() AS g
  UNION ALL
  SELECT format('%s.events: %s', ${quoteLiteral(LEDGER)}, s.problem) FROM ${GUARD}.ledger_security() AS s
$fn$;
REVOKE ALL ON FUNCTION ${GUARD}.function_grants(), ${GUARD}.drift() FROM PUBLIC;`;
}

/** Revokes every grant function_grants() finds: PUBLIC's default, and any a superuser made since. */
export function revokeFunctionGrantsSql(): string {
  return `
DO $grants$
DECLARE
  extra record;
BEGIN
  FOR extra IN SELECT fn, grantee FROM ${GUARD}.function_grants() LOOP
    IF extra.grantee = 0 THEN
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', extra.fn);
    ELSE
      EXECUTE format('REVOKE ALL ON FUNCTION %s FROM %I', extra.fn, (SELECT rolname FROM pg_roles WHERE oid = extra.grantee));
    END IF;
  END LOOP;
END
$grants$;`;
}
