import { API_KEY_PREFIXES, parseApiKey, type ApiKeyKindName } from "./api-key-format";

/*
 * Whether an API key admits a request to one app and environment (property 18): a pure verdict
 * over the presented key, the request's browser markers and the row the router read for the
 * key's hash on this very request (no verdict is cached, so a revocation holds from the next
 * request). Every refusal is a plain status; the reason is for tests and logs, never the client.
 */

/** Presented as `Authorization: Bearer tnsk_...` (or tnpk_); the prefix tells it from a user's JWT. */
const KEY_BEARER = new RegExp(`^Bearer (?:${Object.values(API_KEY_PREFIXES).join("|")})_`, "i");

/** The key string when the request presents an API key (well-formed or not), else undefined: a user token or nothing. */
export function presentedApiKey(headers: Headers): string | undefined {
  const authorization = headers.get("authorization") ?? "";
  return KEY_BEARER.test(authorization) ? authorization.slice("Bearer ".length) : undefined;
}

/** The stored record of a key's hash, as the router reads it (workers/lib/api-key-store-sql.ts). */
export interface KeyRecord {
  readonly id: string;
  readonly keyHash: string;
  readonly slot: string;
  readonly app: string;
  readonly environment: string;
  readonly kind: string;
  readonly revokedAt: number | null;
}

export interface KeyRequest {
  /** The org this router serves. */
  readonly org: string;
  readonly app: string;
  readonly environment: string;
  /** The slots the stack declares now (`ORG_CONFIG.apiKeys`): the only rows that admit. */
  readonly slots: readonly DeclaredSlot[];
  /** The target app's declared origins (`apps[].origins`). */
  readonly appOrigins: readonly string[];
  readonly headers: Headers;
}

/** A declared slot, as the stack states it (workers/dispatch/config.ts RouterKeySlot). */
export interface DeclaredSlot {
  readonly name: string;
  readonly app: string;
  readonly environment: string;
  readonly kind: string;
}

/**
 * Whether a stored row is a key of a slot the stack declares, exactly as declared. The store
 * outlives deploys (it is retained, and rows are never rewritten), so a row minted for a slot
 * that was removed, or moved to another app, environment or kind, names a target nobody declares
 * any more: it is no credential at all (401), wherever it is presented, not a credential for the
 * wrong target (403). The comparison is on the whole tuple, so no change to a slot can be missed.
 */
export function declaredSlotOf(record: Pick<KeyRecord, "slot" | "app" | "environment" | "kind">, slots: readonly DeclaredSlot[]): DeclaredSlot | undefined {
  return slots.find((s) => s.name === record.slot && s.app === record.app && s.environment === record.environment && s.kind === record.kind);
}

export type KeyVerdict =
  | { readonly admit: true; readonly slot: string; readonly kind: ApiKeyKindName; readonly keyId: string }
  | { readonly admit: false; readonly status: 401 | 403; readonly reason: string };

const refuse = (status: 401 | 403, reason: string): KeyVerdict => ({ admit: false, status, reason });

/** Equal in time independent of where two hex strings differ: the loop always runs over every character. */
export function constantTimeEqual(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < Math.max(a.length, b.length); i++) diff |= (a.charCodeAt(i) || 0) ^ (b.charCodeAt(i) || 0);
  return diff === 0;
}

/**
 * Browsers mark their requests; a secret key in one means it was put where anyone can read it.
 * Every browser that sends fetch metadata sends Sec-Fetch-Site (a header page scripts cannot set
 * or remove), and a cross-origin request with an Authorization header is a CORS request, which
 * carries Origin. Sec-Fetch-Mode alone is not a browser: Node's own fetch (undici) adds
 * `sec-fetch-mode: cors` to every request, so refusing it would refuse the servers secret keys
 * are for. Any other Sec-Fetch-* header, in any case, marks a browser.
 */
export function carriesBrowserMarkers(headers: Headers): boolean {
  if (headers.has("origin")) return true;
  for (const [name] of headers) {
    const lower = name.toLowerCase();
    if (lower.startsWith("sec-fetch-") && lower !== "sec-fetch-mode") return true;
  }
  return false;
}

/** Before any lookup: the key's shape, checksum and org, so a malformed or foreign key costs no query. */
export function preCheck(key: string, org: string): { readonly kind: ApiKeyKindName } | KeyVerdict {
  const parsed = parseApiKey(key);
  if (parsed === undefined) return refuse(401, "not a well-formed API key");
  if (parsed.org !== org) return refuse(401, "a key of another org");
  return { kind: parsed.kind };
}

/** The verdict, given the key's kind (from preCheck), its hash and the row read for that hash (undefined: none). */
export function judgeApiKey(kind: ApiKeyKindName, keyHash: string, record: KeyRecord | undefined, request: KeyRequest): KeyVerdict {
  if (record === undefined || !constantTimeEqual(record.keyHash, keyHash)) return refuse(401, "no such key");
  if (record.revokedAt !== null) return refuse(401, "a revoked key");
  if (record.kind !== kind) return refuse(401, "the key's prefix does not match its record");
  if (declaredSlotOf(record, request.slots) === undefined) return refuse(401, "a key of a slot the stack does not declare (removed or moved)");
  if (record.app !== request.app || record.environment !== request.environment) return refuse(403, "a key of another app or environment");
  if (kind === "secret" && carriesBrowserMarkers(request.headers)) return refuse(403, "a secret key from a browser");
  if (kind === "publishable") {
    const origin = request.headers.get("origin");
    if (origin === null || !request.appOrigins.includes(origin)) return refuse(403, "a publishable key from an origin the app does not declare");
  }
  return { admit: true, slot: record.slot, kind, keyId: record.id };
}
