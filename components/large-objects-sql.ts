import { quoteLiteral } from "../spec/naming";

/*
 * Large objects in an org database. A large object lives in the system catalog
 * pg_largeobject, outside every table: no trigger can be created on a system catalog and
 * event triggers do not fire on function calls, so the ledger can never see one being
 * created, written or removed. Tenant roles therefore get none of the functions that
 * handle them. Pure: no Pulumi import.
 */

/**
 * The large-object functions, as a condition on `pg_catalog.pg_proc p`: every built-in
 * function the server implements in its large-object interface (be-fsstubs.c, whose C
 * symbols all start `be_lo`). Chosen by implementation rather than by a list of names, so a
 * function a later Postgres adds to the interface is in the family without anyone naming it.
 */
export const LARGE_OBJECT_FUNCTION = "p.pronamespace = 'pg_catalog'::pg_catalog.regnamespace"
  + " AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'internal')"
  + " AND pg_catalog.starts_with(p.prosrc, 'be_lo')";

/** The family, one row per function: its name and its argument types (as `regtype` text). */
export const LARGE_OBJECT_FUNCTIONS_QUERY = "SELECT p.proname AS name, p.proargtypes::pg_catalog.regtype[]::text[] AS types"
  + ` FROM pg_catalog.pg_proc p WHERE ${LARGE_OBJECT_FUNCTION} ORDER BY p.proname, p.oid`;

/**
 * The executing login can change who executes the function `p`: it has its owner's privileges
 * (it is the owner or a member of it; a superuser has every role's). For anyone else REVOKE is a
 * no-op with a WARNING: on RDS and Aurora the functions belong to `rdsadmin`, and the master
 * user, a member of `rds_superuser`, is neither.
 */
const REVOCABLE = "pg_catalog.pg_has_role(p.proowner, 'USAGE')";

/** Each grant of EXECUTE on a large-object function, other than its owner's, that the executing login can revoke. */
const REVOCABLE_GRANTS = `FROM pg_catalog.pg_proc p
  CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
  WHERE ${LARGE_OBJECT_FUNCTION} AND a.grantee <> p.proowner AND ${REVOCABLE}`;

/**
 * Takes EXECUTE on every large-object function from everyone but the functions' owner (PUBLIC
 * first of all), in the database it runs in (an org's), then checks that nobody else holds it
 * and raises 42501 naming what is still held. Idempotent, and whenever it runs it also takes
 * back a grant made since (only the owner or a superuser can make one: no tenant role can).
 *
 * Fail-closed where the executing login can revoke (REVOCABLE: locally the embedded superuser,
 * or any server whose elevated login is a superuser). Where it cannot (a managed server), it
 * changes nothing and does not fail: the functions stay open to PUBLIC, and the migration's drift
 * query (largeObjectsDriftSql) reports every large object an org role then owns, which fails the
 * next apply naming it (docs/shared-databases.md): detected, not refused.
 */
export function closeLargeObjectsSql(): string {
  return `-- Large objects live outside every table, where the ledger cannot see them: no tenant role may handle one.
DO $large_objects$
DECLARE
  f record;
  still_held text;
BEGIN
  FOR f IN SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args, a.grantee
  ${REVOCABLE_GRANTS} LOOP
    IF f.grantee = 0 THEN
      EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION pg_catalog.%I(%s) FROM PUBLIC', f.proname, f.args);
    ELSE
      EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION pg_catalog.%I(%s) FROM %I', f.proname, f.args, pg_catalog.pg_get_userbyid(f.grantee));
    END IF;
  END LOOP;
  SELECT pg_catalog.string_agg(pg_catalog.format('%s to %s', p.oid::pg_catalog.regprocedure,
           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END), ', ' ORDER BY p.proname, p.oid) INTO still_held
  ${REVOCABLE_GRANTS};
  IF still_held IS NOT NULL THEN
    RAISE EXCEPTION 'large-object functions are still executable by others than their owner after % revoked them (%)', current_user, still_held
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$large_objects$;`;
}

/**
 * The large-objects migration's drift query, run in the org database as the migration's login:
 * one line per large object owned by one of `roles` (the org's), and one per role of `roles`
 * still able to execute a large-object function the login could take from it (REVOCABLE). On a
 * managed server, where the login can revoke nothing, only the large objects are listed: the
 * functions stay executable there, and listing that would fail every deploy for what no deploy
 * can change. `pg_largeobject_metadata` and the privilege functions are readable by every role.
 */
export function largeObjectsDriftSql(org: string, roles: readonly string[]): string {
  const orgRoles = `ARRAY[${roles.map(quoteLiteral).join(", ")}]::text[]`;
  return `SELECT drift.problem FROM (
  SELECT 1 AS kind, m.oid::bigint AS object, r.rolname::text AS role, ''::text AS fn,
    pg_catalog.format('large object %s is owned by %I, a role of org %s: large objects live outside the ledger', m.oid, r.rolname, ${quoteLiteral(org)}) AS problem
  FROM pg_catalog.pg_largeobject_metadata m JOIN pg_catalog.pg_roles r ON r.oid = m.lomowner
  WHERE r.rolname = ANY (${orgRoles})
  UNION ALL
  SELECT 2, 0, r.rolname::text, p.oid::pg_catalog.regprocedure::text,
    pg_catalog.format('%I can execute %s', r.rolname, p.oid::pg_catalog.regprocedure)
  FROM pg_catalog.pg_proc p CROSS JOIN pg_catalog.pg_roles r
  WHERE ${LARGE_OBJECT_FUNCTION} AND ${REVOCABLE} AND r.rolname = ANY (${orgRoles})
    AND pg_catalog.has_function_privilege(r.oid, p.oid, 'EXECUTE')
) AS drift ORDER BY drift.kind, drift.object, drift.role, drift.fn`;
}
