import { randomBytes } from "node:crypto";
import type { OrgSpec } from "../spec/spec";
import { mintApiKey, type ApiKeyKindName } from "../workers/lib/api-key-format";
import { apiKeysMigrationSql, insertKeyStatement, keyHashOf, listKeysStatement, revokeKeyStatement } from "../workers/lib/api-key-store-sql";
import { d1QueryRoute } from "./d1-query-worker";
import type { AllowlistStore } from "./operator-allowlist";
import { startOwnedMiniflare } from "./owned-miniflare";

/*
 * Mint, list and revoke an org's API keys: checked here once against the org spec's slots, then
 * one statement (workers/lib/api-key-store-sql.ts) sent to the store the router reads: locally,
 * the D1 miniflare keeps in the local state folder. The key itself is returned to the caller
 * once and kept nowhere; only its SHA-256 is stored.
 */

/** The org's key store: the same `run` as the operator allowlist's, over a D1 binding or an HTTP route. */
export type KeyStore = AllowlistStore;

/** The D1 database id the router binds as API_KEYS, locally and in the store `tenantry keys` opens. */
export const LOCAL_API_KEYS_DATABASE = "api-keys";

export interface ListedKey {
  readonly id: string;
  readonly slot: string;
  readonly app: string;
  readonly environment: string;
  readonly kind: ApiKeyKindName;
  readonly createdAt: number;
  readonly revokedAt: number | null;
}

export class KeySlotError extends Error {}

export async function migrateApiKeys(store: KeyStore): Promise<void> {
  await store.run({ sql: apiKeysMigrationSql(), params: [] });
}

/** A new key for a declared slot: stored as its hash, returned once. */
export async function mintKey(store: KeyStore, spec: OrgSpec, slotName: string, now: number = Date.now()): Promise<{ readonly key: string; readonly id: string }> {
  const slot = spec.apiKeys.find((s) => s.name === slotName);
  if (slot === undefined) {
    const declared = spec.apiKeys.map((s) => s.name).join(", ") || "none declared";
    throw new KeySlotError(`org ${spec.slug} has no API key slot ${JSON.stringify(slotName)} (apiKeys: ${declared})`);
  }
  const key = mintApiKey(slot.kind, spec.slug);
  const id = `key_${randomBytes(8).toString("hex")}`;
  await store.run(insertKeyStatement({ id, keyHash: await keyHashOf(key), slot: slot.name, app: slot.app, environment: slot.environment, kind: slot.kind, createdAt: now }));
  return { key, id };
}

/** Revokes a key by id, or every live key of a slot; answers the ids revoked (none: nothing matched). */
export async function revokeKeys(store: KeyStore, slotOrId: string, now: number = Date.now()): Promise<string[]> {
  return (await store.run<{ id: string }>(revokeKeyStatement(slotOrId, now))).map((row) => row.id);
}

export async function listKeys(store: KeyStore): Promise<ListedKey[]> {
  return store.run<ListedKey>(listKeysStatement());
}

export interface LocalKeyStore {
  readonly store: KeyStore;
  readonly dispose: () => Promise<void>;
}

/** The local key store alone (no edge): the D1 the local router binds, persisted in `persistTo`. */
export async function openLocalKeyStore(persistTo: string): Promise<LocalKeyStore> {
  const queryRoute = d1QueryRoute({ API_KEYS: LOCAL_API_KEYS_DATABASE });
  const { prepared: store, dispose } = await startOwnedMiniflare("tenantry-keys-", {
    workers: [queryRoute.worker],
    d1Persist: persistTo,
    host: "127.0.0.1",
  }, {
    prepare: async (running) => {
      const store = queryRoute.storeOf(running, "API_KEYS");
      await migrateApiKeys(store);
      return store;
    },
  });
  return { store, dispose };
}
