import { quoteIdent, quoteLiteral } from "../spec/naming";

/*
 * A platform schema is made by a superuser, who then writes functions into it that run with its
 * rights. A schema of that name found owned by anyone else could already hold functions that
 * role wrote: it is refused, never adopted. Pure: no Pulumi import.
 */

/**
 * A DO block that raises 42501 when `schema` exists and is owned by anyone but the current user;
 * `purpose` names what refuses it ("the audit guard"). Runs before `CREATE SCHEMA IF NOT EXISTS`.
 */
export function refuseForeignSchemaSql(schema: string, purpose: string, owner?: string): string {
  // With `owner`, the schema is handed to that platform role after the migration makes it: found
  // owned by it, or still by the migration's login, it is the platform's own.
  const expected = owner === undefined
    ? "found_owner <> current_user"
    : `found_owner::regrole NOT IN (current_user::regrole, ${quoteLiteral(quoteIdent(owner))}::regrole)`;
  return `DO $owner$
DECLARE
  found_owner text := (SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = ${quoteLiteral(schema)});
BEGIN
  IF found_owner IS NOT NULL AND ${expected} THEN
    RAISE EXCEPTION 'schema ${schema.replace(/'/g, "''").replace(/%/g, "%%")} exists and is owned by %, not by %: ${purpose} will not adopt it', found_owner, current_user
      USING ERRCODE = 'insufficient_privilege';
  END IF;
END
$owner$;`;
}
