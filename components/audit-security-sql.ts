import { quoteIdent, quoteLiteral } from "../spec/naming";
import { PLATFORM_SCHEMAS } from "../spec/platform-names";
import { textArraySql } from "./audit-trigger-shapes-sql";

/*
 * Row-level security on audit.events (issue 13, finding 3; docs/audit-ledger.md): a role of one
 * environment reads, and adds application events for, only its own environment's schemas. A role
 * with no policy (every role but the environments' own) sees no row and can add none.
 *
 * The policies are rendered once, here, and read twice: the migration creates them from this
 * text, and ledger_security() compares the table with it. drift() (audit-drift-sql.ts) reports
 * what that comparison finds, so an apply restores row-level security switched off, FORCEd, or a
 * policy added, removed or reshaped by a superuser; and the migration changes only what the
 * comparison finds, so a re-apply with nothing changed never takes the ACCESS EXCLUSIVE lock that
 * ALTER TABLE and CREATE/DROP POLICY need, which would queue every audited write behind it.
 */

const GUARD = PLATFORM_SCHEMAS.guard;
const LEDGER = PLATFORM_SCHEMAS.ledger;

/** Who sees which events (issue 13, finding 3; docs/audit-ledger.md): one environment's share of the ledger. */
export interface LedgerEnvironment {
  readonly environment: string;
  /** Its runtime and DDL roles: they read and write only the events of `schemas`. */
  readonly roles: readonly string[];
  /** Its workspace schemas, exactly. */
  readonly schemas: readonly string[];
  /** The names of its two policies on audit.events (platform form). */
  readonly policies: { readonly select: string; readonly insert: string };
}

interface LedgerPolicy {
  readonly name: string;
  /** pg_policy.polcmd: r (SELECT) or a (INSERT). */
  readonly command: "r" | "a";
  readonly roles: readonly string[];
  /** The expression as Postgres stores and prints it (pg_get_expr) without its outer parentheses. */
  readonly expression: string;
}

function ledgerPolicies(environments: readonly LedgerEnvironment[]): LedgerPolicy[] {
  return environments.flatMap(({ roles, schemas, policies }) => {
    // Written the way pg_get_expr() prints it back, so the comparison is one of text.
    const expression = `schema_name = ANY (ARRAY[${schemas.map((schema) => `${quoteLiteral(schema)}::text`).join(", ")}])`;
    return [
      { name: policies.select, command: "r" as const, roles, expression },
      { name: policies.insert, command: "a" as const, roles, expression },
    ];
  });
}

function createPolicySql({ name, command, roles, expression }: LedgerPolicy): string {
  const clause = command === "r" ? `FOR SELECT TO ${roles.map(quoteIdent).join(", ")} USING` : `FOR INSERT TO ${roles.map(quoteIdent).join(", ")} WITH CHECK`;
  return `CREATE POLICY ${quoteIdent(name)} ON ${LEDGER}.events AS PERMISSIVE ${clause} (${expression});`;
}

/**
 * audit__guard.ledger_security(): how audit.events differs from the rendered row-level security,
 * one row per difference with the repair it needs (enable, no force, policies). Not FORCEd, on
 * purpose: the table's owner, and so the SECURITY DEFINER trigger functions that run as it, are
 * not subject to the policies and record every environment's events.
 */
export function ledgerSecurityFunctionSql(environments: readonly LedgerEnvironment[]): string {
  const policies = ledgerPolicies(environments);
  const expected = policies.length === 0
    ? "(SELECT NULL::text, NULL::\"char\", NULL::text[], NULL::text WHERE false)"
    : `(VALUES ${policies.map(({ name, command, roles, expression }) =>
      `(${quoteLiteral(name)}, ${quoteLiteral(command)}::"char", ${textArraySql(roles)}, ${quoteLiteral(`(${expression})`)})`).join(",\n         ")})`;
  return `
CREATE OR REPLACE FUNCTION ${GUARD}.ledger_security() RETURNS TABLE (repair text, problem text)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp SET standard_conforming_strings = on AS $fn$
  SELECT 'enable', 'row-level security is disabled' FROM pg_class WHERE oid = '${LEDGER}.events'::regclass AND NOT relrowsecurity
  UNION ALL
  SELECT 'no force', 'row-level security is forced' FROM pg_class WHERE oid = '${LEDGER}.events'::regclass AND relforcerowsecurity
  UNION ALL
  SELECT 'policies', format('policy %s is %s', coalesce(p.name, e.name), CASE WHEN p.name IS NULL THEN 'missing' WHEN e.name IS NULL THEN 'not the platform''s' ELSE 'reshaped' END)
  FROM (SELECT polname::text, polcmd, polpermissive, pg_get_expr(polqual, polrelid), pg_get_expr(polwithcheck, polrelid),
               ARRAY(SELECT CASE r WHEN 0 THEN 'public' ELSE (SELECT rolname::text FROM pg_roles WHERE oid = r) END FROM unnest(polroles) AS r ORDER BY 1)
        FROM pg_policy WHERE polrelid = '${LEDGER}.events'::regclass) AS p (name, command, permissive, using_expression, check_expression, roles)
  FULL JOIN ${expected} AS e (name, command, roles, expression) ON p.name = e.name
  WHERE p.name IS NULL OR e.name IS NULL OR NOT p.permissive OR p.command <> e.command
     OR p.roles <> ARRAY(SELECT unnest(e.roles) ORDER BY 1)
     OR p.using_expression IS DISTINCT FROM CASE e.command WHEN 'r' THEN e.expression END
     OR p.check_expression IS DISTINCT FROM CASE e.command WHEN 'a' THEN e.expression END
$fn$;
REVOKE ALL ON FUNCTION ${GUARD}.ledger_security() FROM PUBLIC;`;
}

/**
 * Restores what ledger_security() lists, and only that. The policies are replaced as a set: every
 * policy on the table is dropped and the rendered ones created again, so a policy the design does
 * not render (added by hand, or left by an environment since removed) does not survive. Runs while
 * the guard's event triggers are dropped (auditGuardSql), whose sql_drop trigger would refuse the
 * drops; it needs the audit owner's membership, which the ledger migration borrows.
 */
export function ledgerSegregationSql(environments: readonly LedgerEnvironment[]): string {
  const needs = (repair: string) => `EXISTS (SELECT FROM ${GUARD}.ledger_security() WHERE repair = ${quoteLiteral(repair)})`;
  return `
DO $ledger_security$
DECLARE
  found record;
BEGIN
  IF ${needs("enable")} THEN
    ALTER TABLE ${LEDGER}.events ENABLE ROW LEVEL SECURITY;
  END IF;
  IF ${needs("no force")} THEN
    ALTER TABLE ${LEDGER}.events NO FORCE ROW LEVEL SECURITY;
  END IF;
  IF ${needs("policies")} THEN
    FOR found IN SELECT polname FROM pg_policy WHERE polrelid = '${LEDGER}.events'::regclass LOOP
      EXECUTE format('DROP POLICY %I ON ${LEDGER}.events', found.polname);
    END LOOP;
    ${ledgerPolicies(environments).map(createPolicySql).join("\n    ")}
  END IF;
END
$ledger_security$;`;
}
