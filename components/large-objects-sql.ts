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
