import type { AllowlistStatement } from "./operator-allowlist-sql";
import type { ApiKeyKindName } from "./api-key-format";

/*
 * The org's API key store: a D1 (SQLite) table of SHA-256 hashes, never keys. One design with
 * the operator allowlist (operator-allowlist-sql.ts): the migration and every statement are pure
 * text rendered here, the migration file under workers/dispatch/migrations is this text (a test
 * holds them equal), and the local store and `tenantry keys` send the very same statements with
 * text parameters, as Cloudflare's D1 HTTP route takes them. D1 reads from its primary, so a
 * revocation is seen by the router's next lookup; KV could not promise that (ANCHORS.md).
 */

export const API_KEYS_TABLE = "api_keys";

/** One statement and its text parameters: the same shape as the operator allowlist's. */
export type KeyStoreStatement = AllowlistStatement;

/** The migration. CHECKs keep anything but a lower-case hex SHA-256 and a known kind out of the store itself. */
export function apiKeysMigrationSql(): string {
  return [
    "-- The org's API key hashes (rendered by workers/lib/api-key-store-sql.ts). Never a key.",
    `CREATE TABLE IF NOT EXISTS ${API_KEYS_TABLE} (`,
    "  id TEXT PRIMARY KEY NOT NULL CHECK (id GLOB 'key_[0-9a-f]*' AND length(id) = 20),",
    "  key_hash TEXT NOT NULL UNIQUE CHECK (length(key_hash) = 64 AND key_hash NOT GLOB '*[^0-9a-f]*'),",
    "  slot TEXT NOT NULL,",
    "  app TEXT NOT NULL,",
    "  environment TEXT NOT NULL,",
    "  kind TEXT NOT NULL CHECK (kind IN ('publishable', 'secret')),",
    "  created_at INTEGER NOT NULL,",
    "  revoked_at INTEGER",
    ") STRICT;",
    "",
  ].join("\n");
}

/**
 * The migration as a statement, for stores reached one statement at a time (Cloudflare's D1 HTTP
 * route): `tenantry keys --remote` runs it before every command, so each new org's store gets
 * its table without a hand-run step. Idempotent (CREATE TABLE IF NOT EXISTS).
 */
export const apiKeysMigrationStatement = (): KeyStoreStatement => ({ sql: apiKeysMigrationSql(), params: [] });

/** What the router reads for one presented key (bind: its SHA-256, hex). */
export const SELECT_BY_HASH_SQL = `SELECT id, key_hash AS keyHash, slot, app, environment, kind, revoked_at AS revokedAt FROM ${API_KEYS_TABLE} WHERE key_hash = ?1`;

/** Stores a minted key's hash (bind: id, key_hash, slot, app, environment, kind, created_at). */
export const INSERT_KEY_SQL = `INSERT INTO ${API_KEYS_TABLE} (id, key_hash, slot, app, environment, kind, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, CAST(?7 AS INTEGER))`;

/**
 * Revokes by id, or every live key of a slot (bind: id or slot name, revoked_at). A revoked row
 * stays, so `list` shows when it stopped working; the router refuses it from then on.
 */
export const REVOKE_SQL = `UPDATE ${API_KEYS_TABLE} SET revoked_at = CAST(?2 AS INTEGER) WHERE revoked_at IS NULL AND (id = ?1 OR slot = ?1) RETURNING id`;

/** Lists every key's record without its hash: nothing a list prints could be matched against a leak. */
export const LIST_KEYS_SQL = `SELECT id, slot, app, environment, kind, created_at AS createdAt, revoked_at AS revokedAt FROM ${API_KEYS_TABLE} ORDER BY created_at, id`;

export interface StoredKey {
  /** `key_` and 16 hex digits: how `list` and `revoke` name a key without its hash. */
  readonly id: string;
  /** SHA-256 of the key, lower-case hex. */
  readonly keyHash: string;
  readonly slot: string;
  readonly app: string;
  readonly environment: string;
  readonly kind: ApiKeyKindName;
  /** Milliseconds since the epoch. */
  readonly createdAt: number;
}

export const insertKeyStatement = (k: StoredKey): KeyStoreStatement => ({
  sql: INSERT_KEY_SQL,
  params: [k.id, k.keyHash, k.slot, k.app, k.environment, k.kind, String(Math.trunc(k.createdAt))],
});

export const revokeKeyStatement = (slotOrId: string, now: number): KeyStoreStatement => ({ sql: REVOKE_SQL, params: [slotOrId, String(Math.trunc(now))] });

export const listKeysStatement = (): KeyStoreStatement => ({ sql: LIST_KEYS_SQL, params: [] });

export const lookupKeyStatement = (keyHash: string): KeyStoreStatement => ({ sql: SELECT_BY_HASH_SQL, params: [keyHash] });

/** SHA-256 of a key, lower-case hex, with WebCrypto: the same in workerd and in Node. */
export async function keyHashOf(key: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}
