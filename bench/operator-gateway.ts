import { median, rate } from "./rate";
import { grantOperator } from "../local/operator-allowlist";
import { startOperatorGateway } from "../local/operator-gateway";

/*
 * bench/operator-gateway: requests per second through the operator gateway (ES256 verification
 * on every request, an allowlist read from D1, the verdict, an audit event, header allowlist,
 * HMAC identity) to a stand-in console, against a bare pass-through Worker to the same console,
 * in one workerd on loopback, same run. Rounds alternate; figures are medians. The gateway caches
 * nothing between requests on purpose (revocation is immediate), so it is expected to cost more
 * than the router; the ratio is reported, not a goal.
 *
 *   npm run bench:operator-gateway [-- requests rounds concurrency]
 */

const REQUESTS = Number(process.argv[2] ?? 1000);
const ROUNDS = Number(process.argv[3] ?? 5);
const CONCURRENCY = Number(process.argv[4] ?? 16);

async function main(): Promise<void> {
  const gateway = await startOperatorGateway();
  try {
    await grantOperator(await gateway.allowlist(), { email: "bench@ops.example", role: "admin", grantedBy: "bench@ops.example" });
    const token = await gateway.token({ sub: "bench", email: "bench@ops.example" }, { expiresIn: "1h" });
    const viaGateway = () => gateway.viaGateway("/orgs/acme", { headers: { authorization: `Bearer ${token}` } });
    const bare = () => gateway.viaPassThrough("/orgs/acme");
    await rate(viaGateway, REQUESTS, CONCURRENCY);
    await rate(bare, REQUESTS, CONCURRENCY);
    const gated: number[] = [];
    const passed: number[] = [];
    for (let round = 0; round < ROUNDS; round += 1) {
      gated.push(await rate(viaGateway, REQUESTS, CONCURRENCY));
      passed.push(await rate(bare, REQUESTS, CONCURRENCY));
    }
    const [g, p] = [median(gated), median(passed)];
    console.log(`bench/operator-gateway: ${REQUESTS} requests x ${ROUNDS} rounds (median), ${CONCURRENCY} in flight, one workerd on loopback`);
    console.log(`  through the gateway : ${g.toFixed(0)} req/s   (ES256 verify, D1 allowlist read, verdict, audit event, header allowlist, HMAC identity)`);
    console.log(`  bare pass-through   : ${p.toFixed(0)} req/s`);
    console.log(`  gateway / bare      : ${(g / p).toFixed(2)}x`);
  } finally {
    await gateway.dispose();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
