import type { AllowlistStore } from "../local/operator-allowlist";
import type { D1RouteLabels } from "../remote/d1-http";
import type { AllowlistStatement } from "../workers/lib/operator-allowlist-sql";
import { EXIT_INVALID, EXIT_OK } from "./exit-codes";

/*
 * The D1 stores the CLI changes (`tenantry operators`: the operator allowlist; `tenantry keys`: an
 * org's API key store), one way for both: locally, the D1 miniflare keeps in the local state
 * folder; with --remote, production's, through Cloudflare's D1 HTTP route (remote/d1-http.ts).
 * Each command sends the same statements either way; this file only picks the store and turns a
 * wrong target or Cloudflare's refusal into exit 2.
 */

export interface TargetOptions {
  /** Production: Cloudflare's D1 HTTP route instead of the local store. */
  readonly remote?: boolean;
  readonly accountId?: string;
  readonly databaseId?: string;
}

/** Where the remote route goes: Cloudflare's API, unless a test points it at a stand-in. */
export interface RemoteEndpoint {
  readonly apiBase?: string;
}

/** One store the CLI reaches locally or remotely. */
export interface D1Target {
  /** What the store is, in messages: "allowlist", "key store". */
  readonly what: string;
  /** The account when --account-id does not name one (the platform's or the org's config). */
  readonly accountId: string | undefined;
  readonly labels: D1RouteLabels;
  readonly openLocal: () => Promise<{ readonly store: AllowlistStore; readonly dispose: () => Promise<void> }>;
  /** Statements run on the remote store before the command's own: an idempotent migration. */
  readonly remoteSetup?: readonly AllowlistStatement[];
}

/** The command line names its target wrongly: the user's to fix (exit 2). */
export class TargetError extends Error {}

export async function withD1Store<T>(target: TargetOptions, endpoint: RemoteEndpoint, d1: D1Target, use: (store: AllowlistStore) => Promise<T>): Promise<T> {
  if (target.remote === true) {
    const { d1HttpStore, d1RouteProblems } = await import("../remote/d1-http.js");
    const route = { accountId: target.accountId ?? d1.accountId ?? "", databaseId: target.databaseId ?? "", token: process.env["CLOUDFLARE_API_TOKEN"] ?? "", ...endpoint };
    const problems = d1RouteProblems(route, d1.labels);
    if (problems.length > 0) throw new TargetError(problems.join("\n"));
    const store = d1HttpStore(route);
    for (const statement of d1.remoteSetup ?? []) await store.run(statement);
    return use(store);
  }
  const productionOnly = (["--account-id", "--database-id"] as const).filter((flag) => (flag === "--account-id" ? target.accountId : target.databaseId) !== undefined);
  if (productionOnly.length > 0) throw new TargetError(`${productionOnly.join(" and ")} ${productionOnly.length === 1 ? "names" : "name"} the production ${d1.what}: add --remote`);
  const local = await d1.openLocal();
  try {
    return await use(local.store);
  } finally {
    await local.dispose();
  }
}

/**
 * Runs `command` on a store; a wrong target, a refusal by Cloudflare, or an error `isInputError`
 * recognises is the user's to fix: said on stderr (Cloudflare's own message, never the token), exit 2.
 */
export async function exitCodeOf(command: () => Promise<unknown>, isInputError: (error: Error) => boolean = () => false): Promise<number> {
  try {
    await command();
    return EXIT_OK;
  } catch (error) {
    const { D1RouteError } = await import("../remote/d1-http.js");
    if (error instanceof TargetError || error instanceof D1RouteError || (error instanceof Error && isInputError(error))) {
      process.stderr.write(`error: ${error.message}\n`);
      return EXIT_INVALID;
    }
    throw error;
  }
}

/** Said after what a command did to production's store, so no one mistakes it for the local one. */
export const productionSuffix = (target: TargetOptions) => (target.remote === true ? " (production, through Cloudflare's D1 API)" : "");
