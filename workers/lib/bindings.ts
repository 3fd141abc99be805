/*
 * The few Workers runtime bindings tenantry's Workers use, typed here rather than through
 * @cloudflare/workers-types, whose globals clash with Node's in the one tsconfig.
 */

export interface Fetcher {
  fetch(request: Request): Promise<Response>;
}

/** A `dispatch_namespace` binding (Workers for Platforms). `get` throws when no such script exists. */
export interface DispatchNamespace {
  get(
    name: string,
    args?: Record<string, unknown>,
    options?: { limits?: { cpuMs?: number; subRequests?: number }; outbound?: Record<string, unknown> },
  ): Fetcher;
}

/** A `secrets_store_secret` binding: the value is read at run time, never part of the script. */
export interface SecretsStoreSecret {
  get(): Promise<string>;
}

/** A `ratelimit` binding (Workers Rate Limiting). */
export interface RateLimit {
  limit(options: { key: string }): Promise<{ success: boolean }>;
}

/** The slice of a `d1` binding the operator gateway uses: D1 reads from the primary, so a write is seen by the next read. */
export interface D1Database {
  prepare(query: string): D1PreparedStatement;
}

export interface D1PreparedStatement {
  bind(...values: unknown[]): D1PreparedStatement;
  first<T = Record<string, unknown>>(): Promise<T | null>;
  all<T = Record<string, unknown>>(): Promise<{ results: T[] }>;
  run(): Promise<unknown>;
}
