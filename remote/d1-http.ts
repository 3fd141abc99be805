import type { AllowlistStore } from "../local/operator-allowlist";
import type { AllowlistStatement } from "../workers/lib/operator-allowlist-sql";

/*
 * A production D1 store (the operator allowlist, an org's API key store), reached the way
 * Cloudflare documents for D1 outside a Worker:
 * `POST /accounts/{account_id}/d1/database/{database_id}/query` with `{ sql, params }` and a
 * bearer API token. The statement and its parameters are the ones the local path runs; the
 * parameters travel as the API's `params`, never spliced into the SQL.
 */

export const CLOUDFLARE_API = "https://api.cloudflare.com/client/v4";

export interface D1Route {
  /** The store's account: the gateway's (`tenantry:platform.operators.accountId`), or the org's `edge.accountId`. */
  readonly accountId: string;
  /** The database: `pulumi stack output operatorAllowlistDatabaseId` in platform/, or `apiKeysDatabaseId` of an org's stack. */
  readonly databaseId: string;
  /** A Cloudflare API token with D1 edit on that account (CLOUDFLARE_API_TOKEN). */
  readonly token: string;
  /** Where the API is: Cloudflare's, unless a test points it at a stand-in. */
  readonly apiBase?: string;
}

/** How the route's refusals name its input: where the account comes from, what the database is, whose account the token must edit. */
export interface D1RouteLabels {
  readonly account: string;
  readonly database: string;
  readonly tokenScope: string;
}

/** The operator allowlist's (`tenantry operators --remote`). */
export const ALLOWLIST_ROUTE_LABELS: D1RouteLabels = {
  account: "--account-id",
  database: "the allowlist's D1 id (a UUID: pulumi stack output operatorAllowlistDatabaseId in platform/)",
  tokenScope: "the gateway's account",
};

/** The route's own input, checked before any request: ids that cannot reshape the URL, a token that is there. */
export function d1RouteProblems(route: Pick<D1Route, "accountId" | "databaseId" | "token">, labels: D1RouteLabels = ALLOWLIST_ROUTE_LABELS): string[] {
  return [
    ...(/^[0-9a-f]{32}$/.test(route.accountId) ? [] : [`${labels.account} must be a Cloudflare account id (32 hex digits)`]),
    ...(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(route.databaseId) ? [] : [`--database-id must be ${labels.database}`]),
    ...(route.token.trim() === "" ? [`CLOUDFLARE_API_TOKEN must hold a Cloudflare API token with D1 edit on ${labels.tokenScope}`] : []),
  ];
}

/** Cloudflare refused or failed the statement; the message carries Cloudflare's own errors, never the token. */
export class D1RouteError extends Error {}

interface QueryEnvelope {
  readonly success?: boolean;
  readonly errors?: readonly { readonly code?: number; readonly message?: string }[];
  readonly result?: readonly { readonly success?: boolean; readonly results?: unknown[] }[];
}

export function d1QueryUrl(route: Pick<D1Route, "accountId" | "databaseId" | "apiBase">): string {
  return `${route.apiBase ?? CLOUDFLARE_API}/accounts/${encodeURIComponent(route.accountId)}/d1/database/${encodeURIComponent(route.databaseId)}/query`;
}

/**
 * One statement through a D1 query route (Cloudflare's, or the local query Worker's in
 * local/d1-query-worker.ts): `post` sends `{ sql, params }`; the envelope is checked here, once,
 * for both. `where` names the store in an error.
 */
export async function runOverQueryRoute<Row>({ sql, params }: AllowlistStatement, where: string, post: (body: string) => Promise<Response>): Promise<Row[]> {
  const response = await post(JSON.stringify({ sql, params }));
  const envelope = (await response.json().catch(() => ({}))) as QueryEnvelope;
  const [first] = envelope.result ?? [];
  if (!response.ok || envelope.success !== true || first?.success === false) {
    const errors = (envelope.errors ?? []).map((e) => `${e.code ?? "?"} ${e.message ?? ""}`.trim()).join("; ");
    throw new D1RouteError(`${where} refused the statement: HTTP ${response.status}${errors === "" ? "" : `: ${errors}`}`);
  }
  return (first?.results ?? []) as Row[];
}

export function d1HttpStore(route: D1Route): AllowlistStore {
  const problems = d1RouteProblems(route);
  if (problems.length > 0) throw new D1RouteError(problems.join("; "));
  return {
    run: <Row>(statement: AllowlistStatement) => runOverQueryRoute<Row>(statement, "Cloudflare's D1 API", (body) => fetch(d1QueryUrl(route), {
      method: "POST",
      headers: { authorization: `Bearer ${route.token}`, "content-type": "application/json" },
      body,
      redirect: "error",
    })),
  };
}
