import type { BreakGlassFacts } from "./org-facts";
import { quoteIdent, quoteLiteral } from "../spec/naming";
import { PLATFORM_SCHEMAS } from "../spec/platform-names";

/*
 * Break-glass in the audit ledger (DESIGN property 13, issue 16 item 2), as idempotent SQL that
 * the ledger's migration runs as the audit owner. Pure: tested for its text here and for its
 * behaviour on a real Postgres by the proof (local/proof/break-glass-claims.ts).
 *
 * - audit.break_glass_grants: one row per grant the platform provisioned, owned by the audit
 *   owner and granted to nobody, so no tenant role, and not the break-glass login, can write it.
 * - Provisioning writes the grant there and, in the same statement, one INSERT event to
 *   audit.events (grantee, reason, expiry, environment, access, in `after`); turning it off or
 *   changing it marks the live grant revoked and writes one UPDATE event (its key, and the diff
 *   of revoked_at), in the ledger's format (audit-writers-sql.ts). Both are conditional on the table:
 *   re-running the SQL with the same grant writes nothing, so an unchanged spec adds no event.
 * - The break-glass login's actor is decided from session_user, which a login cannot change
 *   (SET SESSION AUTHORIZATION needs a superuser, SET ROLE changes current_user only), and the
 *   grantee from the grants table: `tenantry.actor` is not read for that session at all.
 */

const LEDGER = PLATFORM_SCHEMAS.ledger;
export const BREAK_GLASS_GRANTS_TABLE = "break_glass_grants";
export const BREAK_GLASS_GRANTS = `${LEDGER}.${BREAK_GLASS_GRANTS_TABLE}`;
/** The actor prefix of every row the break-glass login changes. */
export const BREAK_GLASS_ACTOR_PREFIX = "break-glass:";
/** Where no grant was ever recorded for the login: it still never passes for anyone else. */
export const UNRECORDED_GRANTEE = "(no recorded grant)";

/** What the ledger records of a grant: the spec's break-glass, and the role it was provisioned as. */
export interface BreakGlassGrant extends BreakGlassFacts {
  readonly role: string;
}

/** The grants table, owned by the audit owner and shut to everyone else. */
export function breakGlassGrantsTableSql(owner: string): string {
  return `
CREATE TABLE IF NOT EXISTS ${BREAK_GLASS_GRANTS} (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  role text NOT NULL,
  grantee text NOT NULL,
  reason text NOT NULL,
  valid_until timestamptz NOT NULL,
  environment text NOT NULL,
  access text NOT NULL CHECK (access IN ('read', 'write')),
  granted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  revoked_at timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS break_glass_grants_live ON ${BREAK_GLASS_GRANTS} (role) WHERE revoked_at IS NULL;
DO $owner$
BEGIN
  IF (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = '${BREAK_GLASS_GRANTS}'::regclass) <> ${quoteLiteral(owner)} THEN
    ALTER TABLE ${BREAK_GLASS_GRANTS} OWNER TO ${quoteIdent(owner)};
  END IF;
END
$owner$;
REVOKE ALL ON ${BREAK_GLASS_GRANTS} FROM PUBLIC;`.trimStart();
}

const COLUMNS = ["role", "grantee", "reason", "valid_until", "environment", "access"] as const;

function grantValues(grant: BreakGlassGrant): string {
  return [grant.role, grant.grantee, grant.reason].map(quoteLiteral)
    .concat(`${quoteLiteral(grant.expiresAt)}::timestamptz`, quoteLiteral(grant.environment), quoteLiteral(grant.access)).join(", ");
}

/** A grant as the ledger's events show it (never the password: there is none in the table). */
const grantJson = (row: string) => `jsonb_build_object(${COLUMNS.map((c) => `'${c}', ${row}.${c}`).join(", ")}, 'granted_at', ${row}.granted_at, 'revoked_at', ${row}.revoked_at)`;

/**
 * Brings the grants table to `grant` (undefined: break-glass is off), writing one event per
 * change and none when there is nothing to change. Runs as the audit owner: the owner is not
 * subject to the ledger's row-level security, which lets no login role add a platform event.
 * No literal is inside a dollar-quoted body, so no reason text can end one early.
 */
export function breakGlassGrantSql(owner: string, grant: BreakGlassGrant | undefined): string {
  const stillWanted = grant === undefined ? "false" : `(g.${COLUMNS.join(", g.")}) = (${grantValues(grant)})`;
  const revoke = `
WITH revoked AS (
  UPDATE ${BREAK_GLASS_GRANTS} AS g SET revoked_at = clock_timestamp() WHERE g.revoked_at IS NULL AND NOT (${stillWanted}) RETURNING g.*
)
INSERT INTO ${LEDGER}.events (schema_name, table_name, operation, primary_key, diff)
SELECT ${quoteLiteral(LEDGER)}, ${quoteLiteral(BREAK_GLASS_GRANTS_TABLE)}, 'UPDATE', jsonb_build_object('id', r.id),
       jsonb_build_object('revoked_at', jsonb_build_object('before', NULL, 'after', r.revoked_at))
FROM revoked AS r;`;
  const provision = grant === undefined ? "" : `
WITH granted AS (
  INSERT INTO ${BREAK_GLASS_GRANTS} (${COLUMNS.join(", ")})
  SELECT ${grantValues(grant)} WHERE NOT EXISTS (SELECT FROM ${BREAK_GLASS_GRANTS} WHERE revoked_at IS NULL AND role = ${quoteLiteral(grant.role)})
  RETURNING *
)
INSERT INTO ${LEDGER}.events (schema_name, table_name, operation, primary_key, after)
SELECT ${quoteLiteral(LEDGER)}, ${quoteLiteral(BREAK_GLASS_GRANTS_TABLE)}, 'INSERT', jsonb_build_object('id', n.id), ${grantJson("n")}
FROM granted AS n;`;
  return [`SET LOCAL ROLE ${quoteIdent(owner)};`, revoke.trim(), provision.trim(), "RESET ROLE;"].filter((s) => s !== "").join("\n");
}
