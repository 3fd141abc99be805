import { MAX_TOKEN_AGE } from "./token-age";

/*
 * The router's per-isolate cache of verified tokens: a client sends the same token on every
 * request of a session, and an ES256 verification is the largest cost of a token's first
 * request. Pure: no Workers API, no jose.
 *
 * What keeps it from admitting anything the uncached path would refuse:
 * - the key is the whole token, signature included, compared exactly (no hash, so no two tokens
 *   can ever share an entry), and the signature covers every claim, so a token's verdict cannot
 *   change before its `exp`; only tokens that passed verification are stored (no negative entries);
 * - on every hit, `exp` and the maximum age are checked against the current time, so an expired
 *   or too old token is refused from the cache as verification would refuse it;
 * - the cache belongs to one set of identity settings (issuer, audience, keys): other settings
 *   start an empty one;
 * - at most `max` entries: when full, the oldest stored is evicted, so memory stays bounded
 *   whatever tokens clients send.
 * What the router judges beyond the signature (claims' shape, e-mail, SSO, policy) it judges on
 * every request, cached verdict or not.
 */

/** The claims the cache reads; a verified token's payload has at least these. */
export interface TimedClaims {
  readonly exp?: unknown;
  readonly iat?: unknown;
}

/** Whether a verified token is still acceptable at `nowSeconds`: not expired and not older than the maximum age. */
export function stillValid(claims: TimedClaims, nowSeconds: number): boolean {
  return typeof claims.exp === "number" && claims.exp > nowSeconds && typeof claims.iat === "number" && claims.iat + MAX_TOKEN_AGE > nowSeconds;
}

export interface VerifiedTokens<Claims extends TimedClaims> {
  /** The verified claims of exactly this token while still valid; an entry no longer valid is dropped. */
  readonly get: (token: string, nowSeconds: number) => Claims | undefined;
  /** Stores a token that passed verification (evicting the oldest entry when full). */
  readonly set: (token: string, claims: Claims) => void;
  readonly size: () => number;
}

export function verifiedTokens<Claims extends TimedClaims>(max: number): VerifiedTokens<Claims> {
  const tokens = new Map<string, Claims>();
  return {
    get(token, nowSeconds) {
      const claims = tokens.get(token);
      if (claims === undefined) return undefined;
      if (stillValid(claims, nowSeconds)) return claims;
      tokens.delete(token);
      return undefined;
    },
    set(token, claims) {
      // A token without both times could never be valid on a later hit: not worth a slot.
      if (typeof claims.exp !== "number" || typeof claims.iat !== "number") return;
      tokens.delete(token);
      while (tokens.size >= max) {
        const oldest = tokens.keys().next();
        if (oldest.done === true) break;
        tokens.delete(oldest.value);
      }
      tokens.set(token, claims);
    },
    size: () => tokens.size,
  };
}

/**
 * One cache per identity settings object, replaced when the settings are another object (the
 * router's config is bound once per isolate, so this is once per deployment of new settings).
 */
export function verifiedTokensFor<Settings extends object, Claims extends TimedClaims>(max: number): (settings: Settings) => VerifiedTokens<Claims> {
  let current: { readonly settings: Settings; readonly cache: VerifiedTokens<Claims> } | undefined;
  return (settings) => {
    if (current?.settings !== settings) current = { settings, cache: verifiedTokens<Claims>(max) };
    return current.cache;
  };
}
