import { str as crc32 } from "crc-32";

/*
 * The API key format (property 18), after GitHub's tokens: a prefix per kind, the org, random
 * material and a checksum. The prefix and checksum let secret scanning (ours in the pack, a code
 * host's, a log scrubber) recognise a leaked key offline, with almost no false positives; the
 * router refuses a malformed key before it hashes or looks anything up.
 *
 *   tnsk_acme_<30 base62 random><6 base62 CRC32>
 *
 * `_` never occurs in an org slug, so the org is always the second field. The checksum covers
 * everything before it (kind, org and random), so changing the org invalidates it too. It is
 * an integrity check, not a secret: anyone can compute it, and it says nothing of the key's
 * validity, which only the store of hashes can.
 */

/** Stripe's split, with our own letters so our keys are never taken for Stripe's. */
export const API_KEY_PREFIXES = { publishable: "tnpk", secret: "tnsk" } as const;
export type ApiKeyKindName = keyof typeof API_KEY_PREFIXES;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/** 62^30 ≈ 2^178.6: well above the 160 bits an unguessable credential needs. */
export const RANDOM_LENGTH = 30;
/** 62^6 > 2^32: the whole CRC32 fits. */
export const CHECKSUM_LENGTH = 6;

const ORG = "[a-z][a-z0-9]*(?:-[a-z0-9]+)*";
/** One key anywhere in a text (a log line, a config value): what secret scanning looks for. */
export const API_KEY_PATTERN = new RegExp(`(?<![A-Za-z0-9_])(tnpk|tnsk)_(${ORG})_([0-9A-Za-z]{${RANDOM_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})(?![A-Za-z0-9_])`, "g");
const WHOLE_KEY = new RegExp(`^(tnpk|tnsk)_(${ORG})_([0-9A-Za-z]{${RANDOM_LENGTH}})([0-9A-Za-z]{${CHECKSUM_LENGTH}})$`);

export interface ParsedApiKey {
  readonly kind: ApiKeyKindName;
  readonly org: string;
}

/** CRC32 (unsigned) of the text before the checksum, as fixed-width base62. */
export function checksumOf(body: string): string {
  let n = crc32(body) >>> 0;
  let out = "";
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

/** Uniform base62 from a CSPRNG: bytes ≥ 248 are dropped so no character is likelier than another. */
function randomBase62(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

/** A new key for an org; shown once by `tenantry keys mint`, then only its SHA-256 is kept. */
export function mintApiKey(kind: ApiKeyKindName, org: string): string {
  if (!new RegExp(`^${ORG}$`).test(org)) throw new Error(`not an org slug: ${org}`);
  const body = `${API_KEY_PREFIXES[kind]}_${org}_${randomBase62(RANDOM_LENGTH)}`;
  return body + checksumOf(body);
}

/**
 * The kind and org of a well-formed key, or undefined for anything else: the wrong shape or a
 * checksum that does not match. Pure and cheap, so the router calls it before any lookup.
 */
export function parseApiKey(candidate: string): ParsedApiKey | undefined {
  const match = WHOLE_KEY.exec(candidate);
  if (match === null) return undefined;
  const [, prefix, org, random, checksum] = match;
  if (prefix === undefined || org === undefined || random === undefined || checksum === undefined) return undefined;
  if (org.length < 2 || org.length > 31) return undefined;
  if (checksumOf(`${prefix}_${org}_${random}`) !== checksum) return undefined;
  return { kind: prefix === API_KEY_PREFIXES.secret ? "secret" : "publishable", org };
}

/** Every well-formed key (checksum included) in a text: a near miss is not reported, as GitHub's scanning does. */
export function findApiKeys(text: string): string[] {
  return [...text.matchAll(API_KEY_PATTERN)].map((m) => m[0]).filter((key) => parseApiKey(key) !== undefined);
}
