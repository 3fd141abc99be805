import { attempt } from "../../local/attempt";
import type { ServerInfo } from "../../local/server";

/*
 * What a command could have left on a server, read as the superuser: the objects, owners, ACLs and
 * settings of every database named, the cluster's roles, memberships, role settings and database
 * ACLs, and the number of events in each audit ledger. Statistics (reltuples, relpages, ...) are
 * left out: autovacuum changes them on its own.
 */

const PER_DATABASE: Readonly<Record<string, string>> = {
  pg_class: "SELECT oid, relname, relnamespace, relkind, relowner, relpersistence, relacl::text FROM pg_class ORDER BY oid",
  pg_namespace: "SELECT oid, nspname, nspowner, nspacl::text FROM pg_namespace ORDER BY oid",
  pg_proc: "SELECT oid, proname, pronamespace, proowner, prosecdef, proacl::text, md5(prosrc) AS body FROM pg_proc ORDER BY oid",
  pg_trigger: "SELECT oid, tgrelid, tgname, tgenabled, tgfoid FROM pg_trigger ORDER BY oid",
  pg_event_trigger: "SELECT oid, evtname, evtevent, evtenabled, evtfoid, evttags::text FROM pg_event_trigger ORDER BY oid",
  pg_default_acl: "SELECT oid, defaclrole, defaclnamespace, defaclobjtype, defaclacl::text FROM pg_default_acl ORDER BY oid",
  pg_policy: "SELECT oid, polname, polrelid, polcmd, polroles::text FROM pg_policy ORDER BY oid",
  pg_largeobject_metadata: "SELECT oid, lomowner, lomacl::text FROM pg_largeobject_metadata ORDER BY oid",
};

/** The ledger's size, in a database that has one. */
const LEDGER_COUNT = "SELECT count(*)::int AS events FROM audit.events";

const CLUSTER: Readonly<Record<string, string>> = {
  pg_authid: "SELECT oid, rolname, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolbypassrls, rolconnlimit, " +
    "rolvaliduntil::text, md5(coalesce(rolpassword, '')) AS password FROM pg_authid ORDER BY oid",
  pg_auth_members: "SELECT roleid, member, grantor, admin_option, inherit_option, set_option FROM pg_auth_members ORDER BY roleid, member, grantor",
  pg_db_role_setting: "SELECT setdatabase, setrole, setconfig::text FROM pg_db_role_setting ORDER BY setdatabase, setrole",
  pg_database: "SELECT oid, datname, datdba, datconnlimit, datallowconn, datistemplate, datacl::text FROM pg_database ORDER BY oid",
};

async function read(server: ServerInfo, database: string, sql: string): Promise<readonly Record<string, unknown>[]> {
  const outcome = await attempt(server, { user: server.user, password: server.password }, database, [sql]);
  if (outcome.code !== undefined) throw new Error(`snapshot of ${database} failed: ${outcome.code} ${outcome.message ?? ""}`);
  return outcome.rows;
}

export type CatalogSnapshot = Record<string, readonly Record<string, unknown>[]>;

export async function catalogSnapshot(server: ServerInfo, databases: readonly string[]): Promise<CatalogSnapshot> {
  const snapshot: CatalogSnapshot = {};
  for (const [catalog, sql] of Object.entries(CLUSTER)) snapshot[catalog] = await read(server, "postgres", sql);
  for (const database of databases) {
    for (const [catalog, sql] of Object.entries(PER_DATABASE)) snapshot[`${database}.${catalog}`] = await read(server, database, sql);
    const [ledger] = await read(server, database, "SELECT to_regclass('audit.events') IS NOT NULL AS present");
    if (ledger?.["present"] === true) snapshot[`${database}.audit.events`] = await read(server, database, LEDGER_COUNT);
  }
  return snapshot;
}
