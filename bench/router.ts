import { alternatingMedians } from "./rate";
import { join } from "node:path";
import { orgSpecFromStackConfig } from "../spec/stack-config";
import { readStackFile } from "../harness/stack-file";
import { startEdge, type LocalEdge } from "../local/edge";

/*
 * bench/router: requests per second through the dispatch router (token verification, policy,
 * header allowlist, signed identity, dispatch) to a trivial app, against calling the same app
 * directly, in one workerd on loopback, same run. Rounds alternate; figures are medians.
 * Goal: router / direct >= 0.8.
 *
 *   npm run bench:router [-- requests rounds concurrency]
 */

const REQUESTS = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 5);
const CONCURRENCY = Number(process.argv[4] ?? 16);
const PROJECT_DIR = join(__dirname, "..", "..");

async function main(): Promise<void> {
  const spec = orgSpecFromStackConfig({ ...readStackFile(join(PROJECT_DIR, "stacks", "Pulumi.org-acme.yaml")), now: new Date() });
  const edge: LocalEdge = await startEdge(spec, { secretValues: {}, deployed: [{ app: "storefront", environment: "prod" }] });
  try {
    const token = await edge.token({ sub: "bench", email: "bench@acme.com", org: "acme", role: "developer", workspaces: ["web"] }, { expiresIn: "1h" });
    const viaRouter = () => edge.viaRouter("/prod/storefront/", { headers: { authorization: `Bearer ${token}` } });
    const direct = () => edge.direct("storefront", "prod", "/prod/storefront/");
    const [r, d] = await alternatingMedians(viaRouter, direct, REQUESTS, ROUNDS, CONCURRENCY);
    console.log(`bench/router: ${REQUESTS} requests x ${ROUNDS} rounds (median), ${CONCURRENCY} in flight, one workerd on loopback`);
    console.log(`  through the router : ${r.toFixed(0)} req/s   (token check with per-isolate verdict cache, policy, header allowlist, HMAC identity, dispatch)`);
    console.log(`  app directly       : ${d.toFixed(0)} req/s`);
    console.log(`  router / direct    : ${(r / d).toFixed(2)}x   (goal >= 0.8x: ${r / d >= 0.8 ? "met" : "MISSED"})`);
  } finally {
    await edge.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
