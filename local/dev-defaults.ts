import { MAX_TOKEN_AGE } from "../workers/lib/token-age";

/*
 * The defaults and bounds of `tenantry dev` and `tenantry token`, in one module that imports
 * nothing heavy: the command line (cli/main.ts) shows them in its help and in docs/cli.md, and
 * the commands use them, so neither copies the other's numbers.
 */

/** The router's port on 127.0.0.1 when `dev` is given no --port (the one `wrangler dev` uses). */
export const DEFAULT_DEV_PORT = 8787;

/** How long a token lives when `token` is given no --ttl, and how long `dev`'s sample token lives, in seconds. */
export const DEFAULT_TOKEN_TTL_SECONDS = 3_600;

/** At least a minute; at most what the router accepts at all (it refuses tokens issued longer ago). */
export const TOKEN_TTL_BOUNDS = { min: 60, max: MAX_TOKEN_AGE } as const;

/** Whole seconds within TOKEN_TTL_BOUNDS, as typed after --ttl; undefined for anything else (`1h`, `60.5`, `1e3`). */
export function tokenTtlFromText(text: string): number | undefined {
  if (!/^\d{1,9}$/.test(text)) return undefined;
  const seconds = Number(text);
  return seconds >= TOKEN_TTL_BOUNDS.min && seconds <= TOKEN_TTL_BOUNDS.max ? seconds : undefined;
}
