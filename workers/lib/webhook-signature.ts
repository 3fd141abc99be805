/*
 * Webhook signatures, both ways: Standard Webhooks 1.0 (`webhook-id`, `webhook-timestamp`,
 * `webhook-signature: v1,<base64>` over `<id>.<timestamp>.<body>`, HMAC-SHA256 with the key in
 * `whsec_<base64>`) and Stripe's (`Stripe-Signature: t=<ts>,v1=<hex>` over `<t>.<body>`, HMAC-SHA256
 * keyed by the secret's text). Pure and runtime-neutral (Web Crypto), so the router, the outbound
 * Worker and Node tests share them. Every comparison is crypto.subtle.verify, which is constant-time.
 */

/** How far a signed timestamp may be from now, either way, in seconds (both schemes' documented default). */
export const SIGNATURE_TOLERANCE_SECONDS = 5 * 60;

export const STANDARD_WEBHOOK_HEADERS = ["webhook-id", "webhook-timestamp", "webhook-signature"] as const;
export const STRIPE_SIGNATURE_HEADER = "stripe-signature";

/**
 * The shape of a message id the router accepts (`webhook-id`, and the id of a Stripe event), which
 * it hands the app to deduplicate on. No `.`: the signed text `<id>.<timestamp>.<body>` then
 * splits one way only, so a captured signature cannot be re-split into a new id and a later
 * timestamp. Senders' ids (`msg_<base62>`, `evt_<base62>`, UUIDs) have this shape.
 */
export const MESSAGE_ID = /^[A-Za-z0-9_-]{1,255}$/;

/** Every header that carries a signature of either scheme: the router never forwards them to an app. */
export const SIGNATURE_HEADERS: readonly string[] = [...STANDARD_WEBHOOK_HEADERS, STRIPE_SIGNATURE_HEADER];

const encoder = new TextEncoder();
const SECRET_PREFIX = "whsec_";

/** Why a request was refused; kept out of responses (the router says only 401), for tests and logs. */
export type SignatureVerdict = { readonly ok: true } | { readonly ok: false; readonly reason: string };

const refused = (reason: string): SignatureVerdict => ({ ok: false, reason });

function fromBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const binary = atob(text);
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function toBase64(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

function fromHex(text: string): Uint8Array | undefined {
  if (!/^(?:[0-9a-f]{2})+$/.test(text)) return undefined;
  return Uint8Array.from(text.match(/../g) ?? [], (pair) => Number.parseInt(pair, 16));
}

function concat(prefix: string, body: Uint8Array): Uint8Array {
  const head = encoder.encode(prefix);
  const all = new Uint8Array(head.length + body.length);
  all.set(head);
  all.set(body, head.length);
  return all;
}

const hmacKey = (raw: Uint8Array, usage: "sign" | "verify") => crypto.subtle.importKey("raw", raw, { name: "HMAC", hash: "SHA-256" }, false, [usage]);

/** The key bytes of a `whsec_<base64>` secret, or undefined when it is not one. */
export function standardWebhookKey(secret: string): Uint8Array | undefined {
  if (!secret.startsWith(SECRET_PREFIX)) return undefined;
  const key = fromBase64(secret.slice(SECRET_PREFIX.length));
  return key !== undefined && key.length >= 24 && key.length <= 64 ? key : undefined;
}

/** A fresh per-org signing secret, `whsec_` + 32 random bytes in base64. */
export function newStandardWebhookSecret(): string {
  return SECRET_PREFIX + toBase64(crypto.getRandomValues(new Uint8Array(32)));
}

/** A timestamp header as whole Unix seconds within the tolerance of `nowSeconds`, or the reason it is not. */
function timestampProblem(text: string | null, nowSeconds: number): string | undefined {
  if (text === null || !/^[0-9]{1,12}$/.test(text)) return "timestamp missing or not whole seconds";
  const age = nowSeconds - Number(text);
  if (age > SIGNATURE_TOLERANCE_SECONDS) return "timestamp too old";
  if (age < -SIGNATURE_TOLERANCE_SECONDS) return "timestamp too far in the future";
  return undefined;
}

/** Whether one of `candidates` is the HMAC of `content` under `key`; each checked in constant time. */
async function anyValid(keyBytes: Uint8Array, content: Uint8Array, candidates: readonly Uint8Array[]): Promise<boolean> {
  const key = await hmacKey(keyBytes, "verify");
  let valid = false;
  // Every candidate is checked (no early exit), so timing says nothing about which one matched.
  for (const candidate of candidates) valid = (await crypto.subtle.verify("HMAC", key, candidate, content)) || valid;
  return valid;
}

/** Verifies a Standard Webhooks request: the three headers, the timestamp window, a `v1` signature. */
export async function verifyStandardWebhook(headers: Headers, body: Uint8Array, secret: string, nowSeconds: number): Promise<SignatureVerdict> {
  const key = standardWebhookKey(secret);
  if (key === undefined) return refused("the integration's secret is not a whsec_ secret");
  const id = headers.get("webhook-id");
  const timestamp = headers.get("webhook-timestamp");
  const signatures = headers.get("webhook-signature");
  if (id === null || id === "" || signatures === null) return refused("signature headers missing");
  if (!MESSAGE_ID.test(id)) return refused("webhook-id is not 1..255 of A-Z a-z 0-9 _ -");
  const late = timestampProblem(timestamp, nowSeconds);
  if (late !== undefined) return refused(late);
  const candidates = signatures.split(" ").flatMap((entry) => {
    const [version, value = ""] = entry.split(",", 2);
    const bytes = version === "v1" ? fromBase64(value) : undefined;
    return bytes === undefined ? [] : [bytes];
  });
  if (candidates.length === 0) return refused("no v1 signature");
  return (await anyValid(key, concat(`${id}.${timestamp ?? ""}.`, body), candidates)) ? { ok: true } : refused("signature does not match");
}

/** Verifies a Stripe request: `Stripe-Signature: t=<ts>,v1=<hex>[,v1=...]`, the window, a `v1` signature. */
export async function verifyStripe(headers: Headers, body: Uint8Array, secret: string, nowSeconds: number): Promise<SignatureVerdict> {
  const header = headers.get(STRIPE_SIGNATURE_HEADER);
  if (header === null) return refused("signature headers missing");
  const pairs = header.split(",").map((pair) => {
    const at = pair.indexOf("=");
    return [pair.slice(0, at).trim(), pair.slice(at + 1).trim()] as const;
  });
  const timestamps = pairs.filter(([name]) => name === "t").map(([, value]) => value);
  // One timestamp only: with two, which one was signed would be the attacker's choice.
  if (timestamps.length !== 1) return refused("timestamp missing or repeated");
  const timestamp = timestamps[0] ?? "";
  const late = timestampProblem(timestamp, nowSeconds);
  if (late !== undefined) return refused(late);
  const candidates = pairs.flatMap(([name, value]) => {
    const bytes = name === "v1" ? fromHex(value) : undefined;
    return bytes === undefined ? [] : [bytes];
  });
  if (candidates.length === 0) return refused("no v1 signature");
  return (await anyValid(encoder.encode(secret), concat(`${timestamp}.`, body), candidates)) ? { ok: true } : refused("signature does not match");
}

/**
 * The Standard Webhooks headers for one delivery of `body`, signed with the org's `whsec_`
 * secret, or with each of several (a rotation's overlap): one space-separated `v1,<base64>` entry
 * per secret, in the order given, so a receiver holding any one of them verifies.
 */
export async function signStandardWebhook(id: string, timestampSeconds: number, body: Uint8Array, secret: string | readonly string[]): Promise<Record<(typeof STANDARD_WEBHOOK_HEADERS)[number], string>> {
  const secrets = typeof secret === "string" ? [secret] : secret;
  if (secrets.length === 0) throw new Error("no signing secret");
  const timestamp = String(Math.floor(timestampSeconds));
  const content = concat(`${id}.${timestamp}.`, body);
  const entries: string[] = [];
  for (const one of secrets) {
    const key = standardWebhookKey(one);
    if (key === undefined) throw new Error("the signing secret is not a whsec_ secret");
    entries.push(`v1,${toBase64(new Uint8Array(await crypto.subtle.sign("HMAC", await hmacKey(key, "sign"), content)))}`);
  }
  return { "webhook-id": id, "webhook-timestamp": timestamp, "webhook-signature": entries.join(" ") };
}
