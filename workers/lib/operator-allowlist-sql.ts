import { OPERATOR_ROLES } from "./operator-access";

/*
 * The operator allowlist's D1 (SQLite) schema and the statements that read and change it, as
 * pure functions: the migration file under workers/operator-gateway/migrations is this text
 * (a test holds them equal), and the gateway and `tenantry operators` use these statements.
 */

export const ALLOWLIST_TABLE = "operator_allowlist";

const quoted = (value: string) => `'${value.replace(/'/g, "''")}'`;

/** The migration creating the allowlist; the CHECK keeps a row with an unknown role out of the store itself. */
export function allowlistMigrationSql(): string {
  return [
    "-- The operator gateway's allowlist (rendered by workers/lib/operator-allowlist-sql.ts).",
    `CREATE TABLE IF NOT EXISTS ${ALLOWLIST_TABLE} (`,
    "  email TEXT PRIMARY KEY NOT NULL CHECK (email = lower(email)),",
    `  role TEXT NOT NULL CHECK (role IN (${OPERATOR_ROLES.map(quoted).join(", ")})),`,
    "  expires_at INTEGER,",
    "  granted_by TEXT NOT NULL,",
    "  granted_at INTEGER NOT NULL",
    ") STRICT;",
    "",
  ].join("\n");
}

/** Reads one address's entry (bind: email). */
export const SELECT_ENTRY_SQL = `SELECT email, role, expires_at AS expiresAt, granted_by AS grantedBy FROM ${ALLOWLIST_TABLE} WHERE email = ?1`;

/** Grants or replaces an address's entry (bind: email, role, expires_at, granted_by, granted_at). */
export const UPSERT_ENTRY_SQL = `INSERT INTO ${ALLOWLIST_TABLE} (email, role, expires_at, granted_by, granted_at) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (email) DO UPDATE SET role = excluded.role, expires_at = excluded.expires_at, granted_by = excluded.granted_by, granted_at = excluded.granted_at`;

/** Revokes an address (bind: email). */
export const DELETE_ENTRY_SQL = `DELETE FROM ${ALLOWLIST_TABLE} WHERE email = ?1`;

/** Lists every entry. */
export const LIST_ENTRIES_SQL = `SELECT email, role, expires_at AS expiresAt, granted_by AS grantedBy, granted_at AS grantedAt FROM ${ALLOWLIST_TABLE} ORDER BY email`;
