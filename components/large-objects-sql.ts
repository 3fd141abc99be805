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
 * Takes EXECUTE on every large-object function from everyone but the functions' owner (PUBLIC
 * first of all), in the database it runs in (an org's), then checks that nobody else holds it
 * and raises 42501 naming what is still held. Idempotent, and whenever it runs it also takes
 * back a grant made since (only the owner or a superuser can make one: no tenant role can).
 *
 * The functions belong to the bootstrap superuser, and only their owner (or a superuser) can
 * change who executes them: for anyone else REVOKE is a no-op with a WARNING, which is why the
 * check exists. So this is an elevated migration: locally the embedded superuser runs it; on a
 * managed server whose master user is not the functions' owner (RDS: `rdsadmin` owns them, the
 * master user holds `rds_superuser`), it stops the deploy with that message rather than leave
 * them open (docs/shared-databases.md).
 */
export function closeLargeObjectsSql(): string {
  const held = `FROM pg_catalog.pg_proc p
  CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
  WHERE ${LARGE_OBJECT_FUNCTION} AND a.grantee <> p.proowner`;
  return `-- Large objects live outside every table, where the ledger cannot see them: no tenant role may handle one.
DO $large_objects$
DECLARE
  f record;
  still_held text;
BEGIN
  FOR f IN SELECT p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid) AS args, a.grantee
  ${held} LOOP
    IF f.grantee = 0 THEN
      EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION pg_catalog.%I(%s) FROM PUBLIC', f.proname, f.args);
    ELSE
      EXECUTE pg_catalog.format('REVOKE EXECUTE ON FUNCTION pg_catalog.%I(%s) FROM %I', f.proname, f.args, pg_catalog.pg_get_userbyid(f.grantee));
    END IF;
  END LOOP;
  SELECT pg_catalog.string_agg(pg_catalog.format('%s to %s', p.oid::pg_catalog.regprocedure,
           CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.quote_ident(pg_catalog.pg_get_userbyid(a.grantee)) END), ', ' ORDER BY p.proname, p.oid) INTO still_held
  ${held};
  IF still_held IS NOT NULL THEN
    RAISE EXCEPTION 'large-object functions are still executable by others than their owner after % revoked them (%): only their owner (the bootstrap superuser) or a superuser can revoke that', current_user, still_held
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$large_objects$;`;
}
