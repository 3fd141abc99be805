/*
 * Which of the org's quotas an admitted request spends (property 18 meets the org's limits). A
 * publishable key is public: it is in every page of the app, and its Origin check stops only
 * browsers, so anyone can send requests with it from a server. Its traffic therefore spends a
 * quota of its own, one rate-limit bucket per slot and a separate concurrency pool, and a flood
 * with it can never lock out the org's users, secret keys or integrations. Pure: no Workers API.
 */

/** `org`: users, secret keys and integrations; `publishable`: publishable-key traffic of every slot. */
export type QuotaPool = "org" | "publishable";

export interface QuotaBucket {
  readonly pool: QuotaPool;
  /** The key the org's rate limiter counts under (Cloudflare's ratelimit binding takes one per call). */
  readonly rateKey: string;
}

/** The admitted API key's kind and declared slot (undefined: a user, an integration), nothing the client chose. */
export interface AdmittedKey {
  readonly keyKind: string;
  readonly slot: string;
}

export function quotaBucket(org: string, key: AdmittedKey | undefined): QuotaBucket {
  if (key !== undefined && key.keyKind === "publishable") {
    // `:` cannot occur in an org slug or a slot name, so no org's key and no other slot's can equal it.
    return { pool: "publishable", rateKey: `${org}:pk:${key.slot}` };
  }
  return { pool: "org", rateKey: org };
}

/**
 * The concurrency each pool may hold in one isolate. The org's pool keeps the whole declared
 * `maxConcurrentRequests`; publishable traffic gets a quarter of it on top (at least 1), so the
 * router holds at most 1.25 times the declared number at once, and the page key's share is bounded.
 */
export function poolLimit(pool: QuotaPool, maxConcurrentRequests: number): number {
  return pool === "org" ? maxConcurrentRequests : Math.max(1, Math.ceil(maxConcurrentRequests / 4));
}
