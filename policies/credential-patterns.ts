import { findApiKeys } from "../workers/lib/api-key-format";

/*
 * What "looks like a credential" means to the pack: by the name a value is bound under, and by
 * the value's own shape. Pure, so the Workers rule and its tests share one definition. It is a
 * heuristic that errs towards refusing: a false positive costs a rename or a secrets_store_secret
 * binding, a false negative costs a leaked credential.
 */

/** Words that name a credential wherever they appear in a name, even inside another word (PGPASSWORD). */
const ALWAYS = ["password", "passwd", "passphrase", "apikey", "credential", "privatekey", "secretkey", "accesskey", "clientsecret"];
/** Words that name a credential as the name's last word (API_TOKEN, JWTSecret, DB_PASS). */
const LAST = ["secret", "secrets", "token", "tokens", "pwd", "pass", "pw", "pat", "dsn", "cookie", "auth"];
/** Words that make a trailing "key" or "keys" a credential (API_KEY, SIGNING_KEY, AWSSecretKey). */
const KEY_QUALIFIERS = ["api", "private", "secret", "signing", "access", "hmac", "encryption", "master", "client", "session", "jwt", "license"];
/** Trailing words that qualify a name without changing what it holds (DB_PASSWORD_PROD, API_TOKEN_V2). */
const QUALIFIERS = /^(v\d+|prod|production|dev|test|staging|stage|old|new|next|prev|previous|primary|secondary|current|pem|b64|base64|hex|json|value|raw|\d+)$/;

/** Last words that make a name describe something about a credential rather than hold one. */
const DESCRIPTORS = /^(url|uri|endpoint|policy|policies|rules|length|hint|label|field|path|enabled|required|reset|expiry|ttl|name|header|format|id)$/;

/** The words of a name in any casing: `dbPassword`, `DB_PASSWORD`, `db-password` → [db, password]. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .split(/[^A-Za-z0-9]+/)
    .filter((w) => w.length > 0)
    .map((w) => w.toLowerCase());
}

export function looksLikeCredentialName(name: string): boolean {
  const words = nameWords(name);
  while (words.length > 1 && QUALIFIERS.test(words.at(-1) ?? "")) words.pop();
  if (words.length > 1 && DESCRIPTORS.test(words.at(-1) ?? "")) return false;
  if (words.some((w) => ALWAYS.some((a) => w.includes(a)))) return true;
  const last = words.at(-1);
  if (last === undefined) return false;
  if (LAST.some((l) => last === l || (last.endsWith(l) && last.length > l.length + 1 && l.length >= 5))) return true;
  const qualifier = words.at(-2) ?? "";
  return (last === "key" || last === "keys") && KEY_QUALIFIERS.some((q) => qualifier === q || qualifier.endsWith(q));
}

/** Our own keys (workers/lib/api-key-format.ts), recognised by prefix and checksum, so a near miss is not one. */
export const TENANTRY_API_KEY = "a tenantry API key";

/** Shapes of well-known credentials; each one is unmistakable on its own. */
const CREDENTIAL_SHAPES: readonly [string, RegExp][] = [
  ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY( BLOCK)?-----/],
  ["an AWS access key id", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["a JSON Web Token", /\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/],
  ["a URL with a password", /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]*:[^\s@]+@[^\s@]/i],
  ["an authorization header value", /\b(Bearer|Basic)\s+[\w.~+/-]{12,}=*/],
  ["a provider API token", /\b(sk_live_|sk_test_|rk_live_|rk_test_|ghp_|gho_|ghs_|ghu_|github_pat_|xox[abprs]-|glpat-|AIza|sk-)[\w-]{16,}/],
];

/** Values that are long and random by nature but public: integrity hashes, publishable keys, public key blocks. */
const PUBLIC_SHAPES = [/^sha(256|384|512)-/, /^pk_(live|test)_/, /-----BEGIN (PUBLIC KEY|CERTIFICATE)-----/];

/**
 * A token that looks generated: 32+ characters of a base64/base64url alphabet with upper case,
 * lower case and digits and at least 16 distinct characters. Tokens with "." or ":" (hosts,
 * URLs) or starting with "/" (paths) are not candidates.
 */
function isHighEntropy(token: string): boolean {
  if (token.length < 32 || !/^[A-Za-z0-9+/_=-]+$/.test(token) || token.startsWith("/")) return false;
  return /[A-Z]/.test(token) && /[a-z]/.test(token) && /[0-9]/.test(token) && new Set(token).size >= 16;
}

/** Why a value looks like a credential, or undefined when it does not. */
export function credentialShapeOf(value: string): string | undefined {
  // Before the public shapes: a publishable tenantry key is meant for browsers, never for a stack or a binding.
  if (findApiKeys(value).length > 0) return TENANTRY_API_KEY;
  if (PUBLIC_SHAPES.some((shape) => shape.test(value))) return undefined;
  for (const [what, shape] of CREDENTIAL_SHAPES) if (shape.test(value)) return what;
  return value.split(/[\s"',;]+/).some(isHighEntropy) ? "a high-entropy string" : undefined;
}
