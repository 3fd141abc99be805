import { join } from "node:path";
import { orgSpecFromStackConfig } from "../spec/stack-config";
import { readStackFile } from "../harness/stack-file";
import { startEdge, type LocalEdge } from "../local/edge";
import { alternatingRounds, type PathFigures } from "./router-rounds";
import { DISPATCH_ONLY_ROUTER } from "./router-variants";

/*
 * bench/router: requests per second through the dispatch router (token verification, policy,
 * header allowlist, signed identity, dispatch) to a trivial app, against calling the same app
 * directly, in one workerd on loopback, same run. Rounds alternate; figures are medians.
 * Goal: router / direct >= 0.9.
 *
 * Every path is sent the same way, so the client does the same work on each: through workerd's
 * entry socket (miniflare's dispatchFetch), the direct call and the anchors routed to their
 * Worker by name. The anchor "dispatch only" is a router that does nothing but dispatch: what it
 * costs over a direct call is the extra Worker hop, the floor for any router. What each stage
 * costs: bench/router-stages.ts.
 *
 *   npm run bench:router [-- requests rounds concurrency]
 */

const REQUESTS = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 5);
const CONCURRENCY = Number(process.argv[4] ?? 16);
const PROJECT_DIR = join(__dirname, "..", "..");
const GOAL = 0.9;

/** miniflare's entry Worker hands a request carrying this header to the Worker it names (the bench's direct calls and anchors). */
const ROUTE_TO = "MF-Route-Override";

async function main(): Promise<void> {
  const spec = orgSpecFromStackConfig({ ...readStackFile(join(PROJECT_DIR, "stacks", "Pulumi.org-acme.yaml")), now: new Date() });
  const edge: LocalEdge = await startEdge(spec, { secretValues: {}, deployed: [{ app: "storefront", environment: "prod" }], benchRouters: { "dispatch-only": DISPATCH_ONLY_ROUTER } });
  try {
    const token = await edge.token({ sub: "bench", email: "bench@acme.com", org: "acme", role: "developer", workspaces: ["web"] }, { expiresIn: "1h" });
    const send = (worker?: string) => () => edge.viaRouter("/prod/storefront/", { headers: { authorization: `Bearer ${token}`, ...(worker === undefined ? {} : { [ROUTE_TO]: worker }) } });
    const paths: Record<string, () => Promise<Response>> = {
      "through the router": send(),
      "app directly": send("app-storefront-prod"),
      "dispatch only (anchor)": send("bench-dispatch-only"),
      // How the bench sent its direct calls before: through miniflare's proxy, not the entry socket.
      "app directly, via miniflare's proxy (old)": () => edge.direct("storefront", "prod", "/prod/storefront/", { headers: { authorization: `Bearer ${token}` } }),
    };
    const first = await paths["through the router"]?.();
    if (first?.status !== 200) throw new Error(`the router refused the bench's token: ${first?.status}`);
    await first.arrayBuffer();

    const figures = await alternatingRounds(paths, REQUESTS, ROUNDS, CONCURRENCY);
    const router = figures["through the router"] as PathFigures;
    const direct = figures["app directly"] as PathFigures;
    const floor = figures["dispatch only (anchor)"] as PathFigures;
    const micros = (value: number) => (Number.isNaN(value) ? "n/a" : `${value.toFixed(0)} µs`);
    console.log(`bench/router: ${REQUESTS} requests x ${ROUNDS} rounds (median), ${CONCURRENCY} in flight, one workerd on loopback, every path sent through its entry socket`);
    console.log(`  ${"path".padEnd(44)} ${"req/s".padStart(7)}  ${"workerd CPU/req".padStart(15)}  ${"client CPU/req".padStart(14)}`);
    for (const [name, f] of Object.entries(figures)) {
      console.log(`  ${name.padEnd(44)} ${f.rate.toFixed(0).padStart(7)}  ${micros(f.serverMicros).padStart(15)}  ${micros(f.clientMicros).padStart(14)}`);
    }
    console.log(`  extra hop (dispatch only - direct)         : ${micros(floor.serverMicros - direct.serverMicros)} workerd CPU per request`);
    console.log(`  our stages (router - dispatch only)        : ${micros(router.serverMicros - floor.serverMicros)} workerd CPU per request`);
    // A rate at 16 in flight on 2 shared cores measures the client and the machine's load as much
    // as the router: requests per CPU-second of workerd is the server's own figure.
    console.log(`  workerd capacity, router / direct          : ${(direct.serverMicros / router.serverMicros).toFixed(2)}x   (requests per workerd CPU-second)`);
    console.log(`  workerd capacity, dispatch only / direct   : ${(direct.serverMicros / floor.serverMicros).toFixed(2)}x`);
    console.log(`  client share of a round's CPU              : router ${(router.clientMicros / (router.clientMicros + router.serverMicros) * 100).toFixed(0)}%, direct ${(direct.clientMicros / (direct.clientMicros + direct.serverMicros) * 100).toFixed(0)}%`);
    console.log(`  dispatch only / direct                     : ${(floor.rate / direct.rate).toFixed(2)}x   (the floor for any router)`);
    console.log(`  router / dispatch only                     : ${(router.rate / floor.rate).toFixed(2)}x`);
    console.log(`  router / direct                            : ${(router.rate / direct.rate).toFixed(2)}x   (goal >= ${GOAL}x: ${router.rate / direct.rate >= GOAL ? "met" : "MISSED"})`);
  } finally {
    await edge.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
