import { describe, expect, it } from "vitest";
import { mintKey } from "../../local/api-key-store";
import { startEdge, type LocalEdge } from "../../local/edge";
import { parseOrgSpec } from "../../spec/spec";
import { keyedOrgInput, SHOP_ORIGIN } from "../helpers/keyed-org";
import { ROUTER_KEY_VARIANTS } from "../helpers/router-key-variants";

/*
 * The publishable key is public (it is in every page), and Origin is just a header to a server:
 * the internet client holding it must not spend the quota of the org's users. Its traffic has a
 * rate-limit bucket and a concurrency pool of its own (workers/lib/quota-bucket.ts).
 */

const spec = parseOrgSpec(keyedOrgInput(), { now: new Date() });
const DEPLOYED = [{ app: "storefront", environment: "prod" }, { app: "finance-console", environment: "prod" }];
const RATE = 10;

async function withEdge(use: (edge: LocalEdge, pageKey: string, cfo: string) => Promise<void>, options: { controlRouterScript?: string; maxConcurrentRequests?: number } = {}): Promise<void> {
  const quotas = { ...spec.quotas, ...(options.maxConcurrentRequests === undefined ? {} : { maxConcurrentRequests: options.maxConcurrentRequests }) };
  const edge = await startEdge({ ...spec, quotas }, {
    secretValues: {}, deployed: DEPLOYED, ratePerMinute: RATE,
    ...(options.controlRouterScript === undefined ? {} : { controlRouterScript: options.controlRouterScript }),
  });
  try {
    const { key } = await mintKey(await edge.apiKeys(), spec, "storefront-browser");
    const cfo = await edge.token({ sub: "u-cfo", email: "cfo@acme.com", org: "acme", role: "owner", workspaces: ["billing"] });
    await use(edge, key, cfo);
  } finally {
    await edge.dispose();
  }
}

/** workerd's local rate limiter counts in fixed windows aligned to the minute: start a sequence with time left in one. */
async function freshWindow(): Promise<() => boolean> {
  const msLeft = 60_000 - (Date.now() % 60_000);
  if (msLeft < 25_000) await new Promise((done) => setTimeout(done, msLeft + 100));
  const started = Math.floor(Date.now() / 60_000);
  return () => Math.floor(Date.now() / 60_000) === started;
}

const pageKeyed = (key: string) => ({ headers: { authorization: `Bearer ${key}`, origin: SHOP_ORIGIN } });
const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

/** Floods with the page key past the rate limit; answers the flood's statuses and then the CFO's. */
async function flood(edge: LocalEdge, key: string, cfo: string): Promise<{ flood: number[]; cfo: number }> {
  const statuses: number[] = [];
  for (let i = 0; i < RATE + 2; i++) statuses.push((await edge.viaRouter("/prod/storefront/whoami", pageKeyed(key))).status);
  return { flood: statuses, cfo: (await edge.viaRouter("/prod/finance-console/whoami", bearer(cfo))).status };
}

const limitedFlood = [...Array<number>(RATE).fill(200), 429, 429];

describe("publishable-key traffic spends a quota of its own", () => {
  it("a flood with the page key is limited (429), and the CFO's token still gets 200", () => withEdge(async (edge, key, cfo) => {
    const sameWindow = await freshWindow();
    const outcome = await flood(edge, key, cfo);
    expect(sameWindow(), "the sequence crossed into the rate limiter's next window").toBe(true);
    expect(outcome).toEqual({ flood: limitedFlood, cfo: 200 });
  }), 90_000);

  it("a page-key request in flight takes the publishable pool, not the org's: a second is 429, the CFO's is 200", () => withEdge(async (edge, key, cfo) => {
    const slow = edge.viaRouter("/prod/storefront/slow?ms=3000", pageKeyed(key));
    await new Promise((done) => setTimeout(done, 1000));
    const second = await edge.viaRouter("/prod/storefront/whoami", pageKeyed(key));
    const user = await edge.viaRouter("/prod/finance-console/whoami", bearer(cfo));
    expect([second.status, second.headers.get("retry-after"), user.status, (await slow).status]).toEqual([429, "1", 200, 200]);
  }, { maxConcurrentRequests: 1 }), 90_000);
});

describe("control: a router that counts the page key in the org's bucket", () => {
  it("locks the CFO out after the same flood", async () => withEdge(async (edge, key, cfo) => {
    const sameWindow = await freshWindow();
    const outcome = await flood(edge, key, cfo);
    expect(sameWindow(), "the sequence crossed into the rate limiter's next window").toBe(true);
    expect(outcome).toEqual({ flood: limitedFlood, cfo: 429 });
  }, { controlRouterScript: await ROUTER_KEY_VARIANTS.sharesOrgQuota() }), 90_000);
});
