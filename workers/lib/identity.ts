/*
 * The identity the router injects: a base64url JSON payload and its HMAC-SHA256, so that an app
 * (through the outbound Worker, which holds the key) can check the router made it. Short-lived
 * and bound to one app and environment, so it cannot be replayed elsewhere.
 */

export const IDENTITY_HEADER = "x-tenantry-identity";
export const IDENTITY_SIGNATURE_HEADER = "x-tenantry-identity-signature";
export const REQUEST_ID_HEADER = "x-tenantry-request-id";

/** How long an injected identity stays valid, in seconds. */
export const IDENTITY_TTL_SECONDS = 60;

export interface InjectedIdentity {
  readonly sub: string;
  readonly email: string;
  readonly org: string;
  readonly role: string;
  readonly workspaces: readonly string[];
  readonly app: string;
  readonly environment: string;
  readonly requestId: string;
  /** Seconds since the epoch. */
  readonly exp: number;
}

/**
 * The identity injected for a request admitted by an API key: it says a key (which slot, which
 * kind) and never names a user, so no policy or audit line can mistake a machine for a person.
 */
export interface KeyIdentity {
  readonly kind: "api-key";
  readonly slot: string;
  readonly keyKind: "publishable" | "secret";
  readonly keyId: string;
  readonly org: string;
  readonly app: string;
  readonly environment: string;
  readonly requestId: string;
  /** Seconds since the epoch. */
  readonly exp: number;
}

/**
 * The identity of a request an inbound integration signed (property 19): which integration, no
 * user. An app tells it from a user's by `kind`. A signed request can be sent again within the
 * timestamp window, so the app deduplicates on `messageId` (docs/webhooks.md).
 */
export interface IntegrationIdentity {
  readonly kind: "integration";
  readonly integration: string;
  /** The verified message id: Standard Webhooks' `webhook-id`, or the Stripe event's `id`. */
  readonly messageId: string;
  /** The signed timestamp, Unix seconds. */
  readonly signedAt: number;
  readonly org: string;
  readonly app: string;
  readonly environment: string;
  readonly requestId: string;
  /** Seconds since the epoch. */
  readonly exp: number;
}

const encoder = new TextEncoder();

function base64url(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

/** The imported key, kept per isolate: importing it costs as much as signing with it. */
let imported: { readonly secret: string; readonly key: ReturnType<typeof importHmacKey> } | undefined;

function importHmacKey(secret: string) {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
}

function hmacKey(secret: string) {
  if (imported?.secret !== secret) imported = { secret, key: importHmacKey(secret) };
  return imported.key;
}

export async function signIdentity<T extends { readonly exp: number }>(identity: T, secret: string): Promise<{ payload: string; signature: string }> {
  const payload = base64url(encoder.encode(JSON.stringify(identity)));
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(payload)));
  return { payload, signature: base64url(signature) };
}

/** The identity if the signature is the router's and it has not expired; otherwise undefined. */
export async function verifyIdentity<T extends { readonly exp: number } = InjectedIdentity>(payload: string, signature: string, secret: string, nowSeconds: number): Promise<T | undefined> {
  let valid: boolean;
  try {
    // crypto.subtle.verify compares in constant time.
    valid = await crypto.subtle.verify("HMAC", await hmacKey(secret), fromBase64url(signature), encoder.encode(payload));
  } catch {
    return undefined;
  }
  if (!valid) return undefined;
  const identity = JSON.parse(new TextDecoder().decode(fromBase64url(payload))) as T;
  return identity.exp > nowSeconds ? identity : undefined;
}
