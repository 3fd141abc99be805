import { alternatingMedians } from "./rate";
import { join } from "node:path";
import { orgSpecFromStackConfig } from "../spec/stack-config";
import { readStackFile } from "../harness/stack-file";
import { mintKey } from "../local/api-key-store";
import { startEdge, type LocalEdge } from "../local/edge";

/*
 * bench/router-api-key: requests per second through the dispatch router with a secret API key
 * (parse and checksum, SHA-256, one D1 read per request with no cache, verdict, signed identity,
 * dispatch) to a trivial app, against calling the same app directly (both through workerd's entry
 * socket), in one workerd on loopback, same run. Rounds alternate; figures are medians. Local D1 is SQLite in the same workerd, so
 * the read costs less here than Cloudflare's D1 over the network would.
 *
 *   npm run build && node dist/bench/router-api-key.js [requests rounds concurrency]
 */

const REQUESTS = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 5);
const CONCURRENCY = Number(process.argv[4] ?? 16);
const PROJECT_DIR = join(__dirname, "..", "..");

async function main(): Promise<void> {
  const acme = orgSpecFromStackConfig({ ...readStackFile(join(PROJECT_DIR, "stacks", "Pulumi.org-acme.yaml")), now: new Date() });
  const spec = { ...acme, apiKeys: [{ name: "bench-server", app: "storefront", environment: "prod", kind: "secret" as const }] };
  const edge: LocalEdge = await startEdge(spec, { secretValues: {}, deployed: [{ app: "storefront", environment: "prod" }] });
  try {
    const { key } = await mintKey(await edge.apiKeys(), spec, "bench-server");
    const viaRouter = () => edge.viaRouter("/prod/storefront/", { headers: { authorization: `Bearer ${key}` } });
    // The direct call sent as the router's are, through workerd's entry socket (bench/router.ts says why).
    const direct = () => edge.viaRouter("/prod/storefront/", { headers: { authorization: `Bearer ${key}`, "MF-Route-Override": "app-storefront-prod" } });
    const first = await viaRouter();
    if (first.status !== 200) throw new Error(`the router refused the bench key: ${first.status}`);
    const [r, d] = await alternatingMedians(viaRouter, direct, REQUESTS, ROUNDS, CONCURRENCY);
    console.log(`bench/router-api-key: ${REQUESTS} requests x ${ROUNDS} rounds (median), ${CONCURRENCY} in flight, one workerd on loopback`);
    console.log(`  through the router, API key : ${r.toFixed(0)} req/s   (checksum, SHA-256, D1 read every request, verdict, HMAC identity, dispatch)`);
    console.log(`  app directly                : ${d.toFixed(0)} req/s`);
    console.log(`  router / direct             : ${(r / d).toFixed(2)}x`);
  } finally {
    await edge.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
