import { environmentRoleName, orgRoleName, quoteIdent, quoteLiteral } from "../spec/naming";

/*
 * Freezing an org's writers for a move (docs/move.md) and giving their logins back on rollback.
 * Pure SQL; run by the provider login, which on RDS is the master user (CREATEROLE, ADMIN on
 * the roles it created, pg_signal_backend through rds_superuser): no superuser is needed.
 *
 * Every login of the org that can write is frozen: each environment's runtime and DDL roles and
 * the break-glass login. A write the copy did not see would be lost on the switch, so the set is
 * derived from the naming scheme, not listed by the caller.
 */

export function writerRoles(org: string, environments: readonly string[]): string[] {
  return [
    ...environments.flatMap((env) => [environmentRoleName(org, env, "runtime"), environmentRoleName(org, env, "ddl")]),
    orgRoleName(org, "breakglass"),
  ];
}

/** What the freeze changes, read before it: the rollback restores exactly this. */
export interface LoginAttributes {
  readonly role: string;
  readonly canLogin: boolean;
  readonly connectionLimit: number;
}

/** Columns: role, can_login, connection_limit; roles that do not exist (break-glass never declared) are absent. */
export function loginAttributesSql(roles: readonly string[]): string {
  return `SELECT rolname AS role, rolcanlogin AS can_login, rolconnlimit AS connection_limit
FROM pg_roles WHERE rolname = ANY (ARRAY[${roles.map(quoteLiteral).join(", ")}]::text[]) ORDER BY 1`;
}

/**
 * NOLOGIN and CONNECTION LIMIT 0 first, so a session ended next cannot come back; then every
 * session of those roles ended, waiting up to `waitMs` for each (pg_terminate_backend's
 * timeout). Its last statement returns what still holds a write open (role, holds: a session's
 * pid or a prepared transaction): the freeze holds only when it returns none.
 */
export function freezeSql(roles: readonly string[], waitMs = 5000): string[] {
  const list = `ARRAY[${roles.map(quoteLiteral).join(", ")}]::text[]`;
  return [
    ...roles.map((role) => `DO $freeze$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ${quoteLiteral(role)}) THEN ALTER ROLE ${quoteIdent(role)} NOLOGIN CONNECTION LIMIT 0; END IF; END $freeze$`),
    `SELECT pg_terminate_backend(pid, ${Math.trunc(waitMs)}) FROM pg_stat_activity WHERE usename = ANY (${list}) AND pid <> pg_backend_pid()`,
    // A prepared transaction outlives its session's end, and its role may COMMIT PREPARED it later:
    // a write the copy would not see (only where max_prepared_transactions is above 0).
    `SELECT usename::text AS role, 'pid ' || pid AS holds FROM pg_stat_activity WHERE usename = ANY (${list}) AND pid <> pg_backend_pid()
UNION ALL SELECT owner::text, 'prepared transaction ' || quote_literal(gid) || ' in ' || quote_ident(database) FROM pg_prepared_xacts WHERE owner = ANY (${list})
ORDER BY 1, 2`,
  ];
}

/** The recorded attributes back, role by role. */
export function unfreezeSql(recorded: readonly LoginAttributes[]): string[] {
  return recorded.map((r) => `ALTER ROLE ${quoteIdent(r.role)} ${r.canLogin ? "LOGIN" : "NOLOGIN"} CONNECTION LIMIT ${Math.trunc(r.connectionLimit)}`);
}
