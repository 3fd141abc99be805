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

/**
 * Grants or replaces an address's entry (bind: email, role, expires_at, granted_by, granted_at).
 * Every parameter is text, as Cloudflare's D1 HTTP route takes them: '' is no expiry, and the
 * times are cast here, so the local path and the production route bind the very same values.
 */
export const UPSERT_ENTRY_SQL = `INSERT INTO ${ALLOWLIST_TABLE} (email, role, expires_at, granted_by, granted_at) VALUES (?1, ?2, CAST(NULLIF(?3, '') AS INTEGER), ?4, CAST(?5 AS INTEGER)) ON CONFLICT (email) DO UPDATE SET role = excluded.role, expires_at = excluded.expires_at, granted_by = excluded.granted_by, granted_at = excluded.granted_at`;

/** Revokes an address (bind: email). */
/** Answers the removed address, so a revoke of an address not on the list (a typo) is told apart from one that took effect. */
export const DELETE_ENTRY_SQL = `DELETE FROM ${ALLOWLIST_TABLE} WHERE email = ?1 RETURNING email`;

/** Lists every entry. */
export const LIST_ENTRIES_SQL = `SELECT email, role, expires_at AS expiresAt, granted_by AS grantedBy, granted_at AS grantedAt FROM ${ALLOWLIST_TABLE} ORDER BY email`;

/** One statement and its parameters, as `tenantry operators` sends it: to the local D1 or through Cloudflare's D1 HTTP route alike. */
export interface AllowlistStatement {
  readonly sql: string;
  /** Text only (the HTTP route's `params` are strings); never part of the SQL text. */
  readonly params: readonly string[];
}

export interface GrantValues {
  /** Already the allowlist key (lower-case ASCII). */
  readonly email: string;
  readonly role: string;
  /** Milliseconds since the epoch; omitted: no expiry. */
  readonly expiresAt?: number;
  readonly grantedBy: string;
  readonly grantedAt: number;
}

export const grantStatement = (g: GrantValues): AllowlistStatement => ({
  sql: UPSERT_ENTRY_SQL,
  params: [g.email, g.role, g.expiresAt === undefined ? "" : String(Math.trunc(g.expiresAt)), g.grantedBy, String(Math.trunc(g.grantedAt))],
});

export const revokeStatement = (email: string): AllowlistStatement => ({ sql: DELETE_ENTRY_SQL, params: [email] });

export const listStatement = (): AllowlistStatement => ({ sql: LIST_ENTRIES_SQL, params: [] });
