import { quoteIdent, quoteLiteral } from "../spec/naming";

/*
 * Who a move's copy and verification run as (docs/move.md): each table's owner, never the
 * provider login. The copy runs whatever the table carries (CHECK constraints, index expressions,
 * row-level security policies, ALWAYS triggers) with the rights of the session's current user;
 * as the provider login that would be CREATEDB, CREATEROLE and rds_superuser, handed to tenant
 * code. As the owner it is the tenant's own rights, and the ledger, whose row-level security
 * only its NOLOGIN owner bypasses, reads and writes whole.
 *
 * The provider login created every role of the org, so it holds ADMIN on them (PG16+) but, by
 * default, neither INHERIT nor SET. Where it may not SET ROLE to an owner it grants itself a
 * membership WITH INHERIT FALSE, SET TRUE for the copy, and revokes it after, as the Postgres
 * provider does around an ownership change. The grant is its own (GRANTED BY the login), so the
 * revoke takes back exactly that grant and no membership the program declared.
 */

/** Each table and sequence of these schemas with its owner. Columns: schema, name, kind ('table' | 'sequence'), owner. */
export function ownersSql(schemas: readonly string[]): string {
  return `SELECT n.nspname AS schema, c.relname AS name, CASE WHEN c.relkind = 'S' THEN 'sequence' ELSE 'table' END AS kind, pg_get_userbyid(c.relowner) AS owner
FROM pg_class AS c JOIN pg_namespace AS n ON n.oid = c.relnamespace
WHERE n.nspname = ANY (ARRAY[${schemas.map(quoteLiteral).join(", ")}]::text[]) AND c.relkind IN ('r', 'p', 'S')
ORDER BY 1, 2`;
}

/**
 * Whether the session's login may SET ROLE to this role already, and whether it holds a
 * membership in it granted by itself (a grant of the program's, which a temporary grant by the
 * same grantor would overwrite and its revoke would take away). Columns: may_set, self_granted (booleans).
 */
export function maySetRoleSql(role: string): string {
  return `SELECT pg_has_role(session_user, ${quoteLiteral(role)}, 'SET') AS may_set,
  EXISTS (SELECT 1 FROM pg_auth_members AS m JOIN pg_roles AS r ON r.oid = m.roleid JOIN pg_roles AS u ON u.oid = m.member
    WHERE r.rolname = ${quoteLiteral(role)} AND u.rolname = session_user AND m.grantor = m.member) AS self_granted`;
}

/** The login's own temporary membership: SET only, so nothing of the owner's rights is inherited outside a SET ROLE. */
export function grantSetRoleSql(role: string): string {
  return `GRANT ${quoteIdent(role)} TO SESSION_USER WITH INHERIT FALSE, SET TRUE GRANTED BY SESSION_USER`;
}

/** Takes back that grant, and only it; a no-op (with a warning) when it is not there, so a rerun may repeat it. */
export function revokeSetRoleSql(role: string): string {
  return `REVOKE ${quoteIdent(role)} FROM SESSION_USER GRANTED BY SESSION_USER`;
}

/** Every owner these tables and sequences have, once each, sorted: the roles the session must be able to SET. */
export function ownersToAssume(owners: readonly { readonly owner: string }[]): string[] {
  return [...new Set(owners.map((o) => o.owner))].sort();
}
