import { randomBytes } from "node:crypto";
import type { Miniflare, WorkerOptions } from "miniflare";
import type { AllowlistStatement } from "../workers/lib/operator-allowlist-sql";
import type { AllowlistStore } from "./operator-allowlist";
import { runOverQueryRoute } from "../remote/d1-http";

/*
 * The local D1 stores (the operator allowlist, an org's API key hashes), reached the way
 * production's are reached from outside a Worker: one statement and its parameters POSTed to a
 * query route, answered in Cloudflare's envelope, parsed by the same code as remote/d1-http.ts.
 *
 * Why not miniflare's getD1Database(): its proxy calls `prepare()` and `bind()` synchronously from
 * Node (Atomics.wait on a helper thread). Under load (two vitest halves and workerd on two cores)
 * one of those calls fails an internal assertion, and every later call on that proxy fails with
 * it. dispatchFetch is an ordinary asynchronous request; nothing here blocks the event loop.
 */

/** The host the query Worker answers on inside workerd; no router, gateway or app answers it. */
const QUERY_HOST = "d1-query.tenantry.internal";

const QUERY_WORKER_SCRIPT = `
export default {
  async fetch(request, env) {
    const refuse = (status, code, message) => Response.json({ success: false, errors: [{ code, message }], result: [] }, { status });
    if (request.headers.get("authorization") !== "Bearer " + env.QUERY_TOKEN) return refuse(403, 10000, "Authentication error");
    const binding = new URL(request.url).pathname.replace(/^\\/query\\//, "");
    if (request.method !== "POST" || !env.DATABASES.includes(binding)) return refuse(404, 7003, "Could not route to the requested resource");
    const { sql, params } = await request.json();
    try {
      const { results } = await env[binding].prepare(sql).bind(...params).all();
      return Response.json({ success: true, errors: [], result: [{ success: true, results }] });
    } catch (error) {
      return refuse(400, 7500, String(error && error.message || error));
    }
  },
};
`;

export interface D1QueryRoute {
  /** The Worker to add to the miniflare that binds these databases. */
  readonly worker: WorkerOptions;
  /** The store one of those bindings is, once that miniflare runs. */
  readonly storeOf: (mf: Miniflare, binding: string) => AllowlistStore;
}

/**
 * A query Worker binding `d1Databases` (binding name to database id: the same ids the router or
 * gateway binds, so both see one database). Its bearer token is made per process: the route is on
 * loopback, and nothing but this process may run statements on the stores.
 */
export function d1QueryRoute(d1Databases: Readonly<Record<string, string>>): D1QueryRoute {
  const token = randomBytes(24).toString("base64url");
  return {
    worker: {
      name: "tenantry-d1-query",
      modules: true,
      script: QUERY_WORKER_SCRIPT,
      compatibilityDate: "2025-09-01",
      routes: [`${QUERY_HOST}/*`],
      bindings: { QUERY_TOKEN: token, DATABASES: Object.keys(d1Databases) },
      d1Databases: { ...d1Databases },
    },
    storeOf: (mf, binding) => ({
      run: <Row>(statement: AllowlistStatement) => runOverQueryRoute<Row>(statement, `the local D1 database ${binding}`, (body) =>
        mf.dispatchFetch(`http://${QUERY_HOST}/query/${binding}`, { method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body }) as unknown as Promise<Response>),
    }),
  };
}
