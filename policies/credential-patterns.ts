/*
 * What "looks like a credential" means to the pack: by the name a value is bound under, and by
 * the value's own shape. Pure, so the Workers rule and its tests share one definition.
 */

/** Last words of a binding name that say "this is a credential" (API_TOKEN, DB_PASSWORD, ...). */
const CREDENTIAL_NOUNS = new Set(["secret", "secrets", "password", "passwd", "pwd", "passphrase", "token", "apikey", "credential", "credentials", "dsn", "cookie"]);
/** Words that make a trailing "key" a credential (API_KEY, PRIVATE_KEY, SIGNING_KEY, ...). */
const KEY_QUALIFIERS = new Set(["api", "private", "secret", "signing", "access", "hmac", "encryption", "master", "client", "session"]);

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
  const last = words.at(-1);
  if (last === undefined) return false;
  if (CREDENTIAL_NOUNS.has(last)) return true;
  return last === "key" && words.length > 1 && KEY_QUALIFIERS.has(words.at(-2) ?? "");
}

/** Shapes of well-known credentials; each one is unmistakable on its own. */
const CREDENTIAL_SHAPES: readonly [string, RegExp][] = [
  ["a private key", /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ["an AWS access key id", /\b(AKIA|ASIA)[0-9A-Z]{16}\b/],
  ["a JSON Web Token", /\beyJ[\w-]{8,}\.eyJ[\w-]{8,}\.[\w-]{8,}/],
  ["a URL with a password", /\b[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i],
  ["a bearer token", /\bBearer\s+[\w.~+/-]{16,}=*/],
  ["a provider API token", /\b(sk_live_|rk_live_|ghp_|gho_|ghs_|github_pat_|xox[abprs]-|glpat-|AIza)[\w-]{16,}/],
];

/**
 * A long run with upper case, lower case and digits: how generated secrets look. "/" ends a run,
 * so URL paths stay clear of it; a random base64 secret still holds a 32-character stretch.
 */
const HIGH_ENTROPY = /[A-Za-z0-9+_-]{32,}/;

function isHighEntropy(value: string): boolean {
  const match = HIGH_ENTROPY.exec(value)?.[0];
  if (match === undefined) return false;
  return /[A-Z]/.test(match) && /[a-z]/.test(match) && /[0-9]/.test(match) && new Set(match).size >= 16;
}

/** Why a value looks like a credential, or undefined when it does not. */
export function credentialShapeOf(value: string): string | undefined {
  for (const [what, shape] of CREDENTIAL_SHAPES) if (shape.test(value)) return what;
  return isHighEntropy(value) ? "a high-entropy string" : undefined;
}
