import { ENFORCER_DATABASE } from "./enforcer-sql";
import { quoteIdent, quoteLiteral } from "../spec/naming";

/*
 * The databases every Postgres server has besides the orgs': `postgres` (the maintenance
 * database clients and providers connect to by default) and `template1` (the default template
 * of CREATE DATABASE). Postgres gives PUBLIC CONNECT and TEMPORARY on both, so every role of
 * every org could reach them: create large objects or temporary tables there, out of every
 * org's ledger, and (in template1) leave behind what the next database cloned from it would
 * start with. Closing them is server setup, done once per server by the platform, not by an
 * org's stack: the local engine runs it on its embedded server (local/provider-admin.ts), and
 * on a managed server it is a step of the platform's cluster bootstrap (docs/shared-databases.md).
 * Pure: no Pulumi import.
 */

/** `template0` is not among them: it accepts no connections at all (datallowconn is false). */
export const SHARED_DATABASES = ["postgres", "template1"] as const;

/** The database-level privileges PUBLIC must not hold on them (CREATE it never gets by default; checked all the same). */
const DATABASE_PRIVILEGES = ["CONNECT", "TEMPORARY", "CREATE"] as const;

/** A platform login that must keep connecting to the database it is configured with (the provider's `postgresql:database`). */
export interface AdmittedLogin {
  readonly login: string;
  readonly database: string;
}

const isShared = (database: string) => (SHARED_DATABASES as readonly string[]).includes(database);

/**
 * The shared databases a provider login must keep connecting to: the one it is configured with,
 * if shared, and always the enforcer's (`postgres`), where the org's elevated guardrails
 * migration runs whatever the provider's configured database is (components/migration-plan.ts).
 */
const connectsTo = (login: AdmittedLogin): string[] => [...new Set([login.database, ENFORCER_DATABASE])].filter(isShared);

/**
 * Revokes every privilege on the shared databases from PUBLIC, then grants CONNECT back, by name,
 * to each admitted login on the shared databases it connects to (connectsTo; superusers need no grant),
 * and CREATE on the enforcer's database, where its org's guardrails migration makes the
 * enforcer's schema: a managed server's master user owns that database, any other login needs it.
 * Idempotent. Only a database's owner (or a superuser) can change its privileges: for anyone else
 * REVOKE is a no-op with a WARNING, so the script ends by checking that PUBLIC holds nothing on
 * them and raises 42501 naming what it still holds.
 */
export function closeSharedDatabasesSql(admitted: readonly AdmittedLogin[]): string {
  const shared = `ARRAY[${SHARED_DATABASES.map(quoteLiteral).join(", ")}]`;
  const privileges = DATABASE_PRIVILEGES.map((privilege) => `(${quoteLiteral(privilege)})`).join(", ");
  return [
    ...SHARED_DATABASES.map((database) => `REVOKE ALL ON DATABASE ${quoteIdent(database)} FROM PUBLIC;`),
    ...admitted.flatMap((a) => connectsTo(a).map((database) => `GRANT CONNECT ON DATABASE ${quoteIdent(database)} TO ${quoteIdent(a.login)};`)),
    ...admitted.map((a) => `GRANT CREATE ON DATABASE ${quoteIdent(ENFORCER_DATABASE)} TO ${quoteIdent(a.login)};`),
    `DO $shared$
DECLARE
  still_open text;
BEGIN
  SELECT pg_catalog.string_agg(pg_catalog.format('%s on %I', p.privilege, d.datname), ', ' ORDER BY d.datname, p.privilege) INTO still_open
  FROM pg_catalog.pg_database d CROSS JOIN (VALUES ${privileges}) AS p (privilege)
  WHERE d.datname = ANY (${shared}) AND pg_catalog.has_database_privilege('public', d.oid, p.privilege);
  IF still_open IS NOT NULL THEN
    RAISE EXCEPTION 'PUBLIC still holds %: only the databases'' owner can revoke it, and % does not own them', still_open, current_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$shared$;`,
  ].join("\n");
}
