import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintKey } from "../../local/api-key-store";
import { startEdge } from "../../local/edge";
import { parseOrgSpec, type OrgSpec } from "../../spec/spec";
import { keyedOrgInput, SHOP_ORIGIN } from "../helpers/keyed-org";
import { ROUTER_KEY_VARIANTS } from "../helpers/router-key-variants";

/*
 * The stack is the source of truth for keys (property 18): the key store is retained across
 * deploys, so keys minted while the stack declared one set of slots are still in it when the
 * router is redeployed with another. Here the later stack moves finance-sync from prod to dev and
 * removes storefront-browser; the keys minted before are refused (401) wherever they are tried.
 */

const DEPLOYED = [{ app: "finance-console", environment: "prod" }, { app: "finance-console", environment: "dev" }, { app: "storefront", environment: "prod" }];

const before = parseOrgSpec(keyedOrgInput(), { now: new Date() });
function laterSpec(): OrgSpec {
  const input = keyedOrgInput();
  const slots = (input["apiKeys"] as Record<string, string>[])
    .filter((s) => s["name"] !== "storefront-browser")
    .map((s) => (s["name"] === "finance-sync" ? { ...s, environment: "dev" } : s));
  return parseOrgSpec({ ...input, apiKeys: slots }, { now: new Date() });
}

const withKey = (key: string, headers: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${key}`, ...headers } });

/** The edge redeployed with the later stack, holding keys minted under the earlier one and one minted under its own. */
async function redeployed(controlRouterScript?: string) {
  const later = laterSpec();
  const edge = await startEdge(later, { secretValues: {}, deployed: DEPLOYED, ...(controlRouterScript === undefined ? {} : { controlRouterScript }) });
  const store = await edge.apiKeys();
  const oldSecret = (await mintKey(store, before, "finance-sync")).key;
  const oldPublishable = (await mintKey(store, before, "storefront-browser")).key;
  const newSecret = (await mintKey(store, later, "finance-sync")).key;
  return { edge, oldSecret, oldPublishable, newSecret };
}

describe("keys follow the stack's slots", () => {
  let run: Awaited<ReturnType<typeof redeployed>>;
  beforeAll(async () => {
    run = await redeployed();
  }, 60_000);
  afterAll(async () => run?.edge.dispose());
  const statusOf = async (path: string, init: RequestInit) => (await run.edge.viaRouter(path, init)).status;

  it("refuses (401) a key of a removed slot, from its declared origin", async () => {
    expect(await statusOf("/prod/storefront/whoami", withKey(run.oldPublishable, { origin: SHOP_ORIGIN }))).toBe(401);
  });

  it("refuses (401) a key of a moved slot at its old target and at the new one", async () => {
    expect(await statusOf("/prod/finance-console/whoami", withKey(run.oldSecret))).toBe(401);
    expect(await statusOf("/dev/finance-console/whoami", withKey(run.oldSecret))).toBe(401);
  });

  it("admits a key minted for the slot as the stack now declares it, at its new target only", async () => {
    expect(await statusOf("/dev/finance-console/whoami", withKey(run.newSecret))).toBe(200);
    expect(await statusOf("/prod/finance-console/whoami", withKey(run.newSecret))).toBe(403);
  });
});

describe("control: a router that does not compare rows with the declared slots", () => {
  it("admits the removed slot's key and the moved slot's old key", async () => {
    const run = await redeployed(await ROUTER_KEY_VARIANTS.ignoresDeclaredSlots());
    try {
      expect((await run.edge.viaRouter("/prod/storefront/whoami", withKey(run.oldPublishable, { origin: SHOP_ORIGIN }))).status).toBe(200);
      expect((await run.edge.viaRouter("/prod/finance-console/whoami", withKey(run.oldSecret))).status).toBe(200);
    } finally {
      await run.edge.dispose();
    }
  }, 60_000);
});
