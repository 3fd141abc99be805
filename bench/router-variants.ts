import { build, type BuildOptions, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { projectRoot, WORKER_BUILD_OPTIONS } from "../workers/build";

/*
 * The router with one stage left out, for profiling only (bench/router-stages.ts measures each
 * beside the real router in one workerd): the real source, bundled like the real one, with one
 * span of router.ts replaced. A stage's cost per request is the real router's CPU minus its
 * variant's. Each edit must match exactly once, so a variant cannot go stale silently. Never deployed.
 */

const ROUTER = join("workers", "dispatch", "router.ts");

/** The stages, each as the edit of router.ts that leaves it out (the request the bench sends still passes). */
export const STAGE_EDITS = {
  "API key check": [["const key = await admitApiKey(", "const key = undefined ?? await admitApiKey("]],
  "token check (cached verdict)": [["const subject = await authenticate(request, config);", `const subject = { sub: "bench", email: "bench@acme.com", org: "acme", role: "developer", workspaces: ["web"] };`]],
  "policy": [["const decision = decide(config, subject, \"app.invoke\", `app/${app}`);", "const decision = { allow: true };"]],
  "header allowlist": [["forwardedHeaders(request.headers, target.forwardHeaders)", "request.headers"]],
  "rate limiter": [["if (env.RATE_LIMITER !== undefined && !(await env.RATE_LIMITER.limit({ key: bucket.rateKey })).success)", "if (false)"]],
  "HMAC identity": [["await signIdentity({ ...admitted, app, environment, requestId, exp: Math.floor(Date.now() / 1000) + IDENTITY_TTL_SECONDS }, await env.IDENTITY_HMAC_KEY.get())", `{ payload: "bench", signature: "bench" }`]],
} as const satisfies Record<string, readonly (readonly [from: string, to: string])[]>;

export type Stage = keyof typeof STAGE_EDITS;

function editRouter(edits: readonly (readonly [from: string, to: string])[]): Plugin {
  const path = join(projectRoot(), ROUTER);
  return {
    name: "edit-router",
    setup(b) {
      b.onLoad({ filter: /dispatch[/\\]router\.ts$/ }, (args) => {
        if (args.path !== path) return undefined;
        let source = readFileSync(path, "utf8");
        for (const [from, to] of edits) {
          if (source.split(from).length !== 2) throw new Error(`${ROUTER} no longer contains ${JSON.stringify(from)} exactly once: update bench/router-variants.ts`);
          source = source.replace(from, to);
        }
        return { contents: source, loader: "ts" };
      });
    },
  };
}

async function bundle(stdin: NonNullable<BuildOptions["stdin"]>, plugins: Plugin[]): Promise<string> {
  const result = await build({
    ...WORKER_BUILD_OPTIONS,
    conditions: [...WORKER_BUILD_OPTIONS.conditions],
    mainFields: [...WORKER_BUILD_OPTIONS.mainFields],
    stdin,
    write: false,
    plugins,
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error("no bundle");
  return output.text;
}

/**
 * A Worker that calls the router's fetch handler (with `edits` made to router.ts) `n` times
 * inside one request, so that workerd's CPU over the request, divided by `n`, is the cost of one
 * pass, without the client, the sockets or the entry Worker. `?mode=`: `router`, or `dispatch`
 * (only the dispatch, as DISPATCH_ONLY_ROUTER does), or `nothing` (only building the request, the
 * loop's own cost). `?app=stub` answers in place of the app, so the hop is left out too.
 */
const LOOP_WORKER = `
import router from "./router";
const stub = { get: () => ({ fetch: async () => new Response("sample app\\n") }) };
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const n = Number(url.searchParams.get("n") ?? "1000");
    const mode = url.searchParams.get("mode") ?? "router";
    const bound = url.searchParams.get("app") === "stub" ? { ...env, DISPATCHER: stub } : env;
    const target = new URL(url.searchParams.get("path") ?? "/", url).toString();
    const limits = env.ORG_CONFIG.limits;
    let refused = 0;
    for (let i = 0; i < n; i += 1) {
      const sent = new Request(target, { headers: request.headers });
      if (mode === "nothing") continue;
      const answer = mode === "dispatch"
        ? await bound.DISPATCHER.get("storefront-prod", {}, { limits: { cpuMs: limits.cpuMs, subRequests: limits.subRequests }, outbound: { org: env.ORG_CONFIG.org, app: "storefront", environment: "prod" } }).fetch(sent)
        : await router.fetch(sent, bound);
      await answer.arrayBuffer();
      if (answer.status !== 200) refused += 1;
    }
    return Response.json({ refused });
  },
};
`;

/** The loop Worker around the router with `edits` made to router.ts (none: the real router). */
export const routerLoop = (edits: readonly (readonly [from: string, to: string])[] = []) =>
  bundle({ contents: LOOP_WORKER, resolveDir: join(projectRoot(), "workers", "dispatch"), loader: "js" }, [editRouter(edits)]);

/**
 * The floor: a router that only dispatches (the path's app, with the same dispatch options), so
 * what it costs over a direct call is the extra Worker hop itself.
 */
export const DISPATCH_ONLY_ROUTER = `
export default {
  fetch(request, env) {
    const [, environment = "", app = ""] = new URL(request.url).pathname.split("/");
    const limits = env.ORG_CONFIG.limits;
    return env.DISPATCHER.get(app + "-" + environment, {}, { limits: { cpuMs: limits.cpuMs, subRequests: limits.subRequests }, outbound: { org: env.ORG_CONFIG.org, app, environment } }).fetch(request);
  },
};
`;
