import { describe, expect, it } from "vitest";
import { mintKey, revokeKeys } from "../../local/api-key-store";
import { startEdge, type LocalEdge } from "../../local/edge";
import { parseOrgSpec } from "../../spec/spec";
import { keyedOrgInput, SHOP_ORIGIN } from "../helpers/keyed-org";
import { ROUTER_KEY_VARIANTS } from "../helpers/router-key-variants";

/*
 * The controls of edge-api-keys.test.ts: each request that test shows refused is admitted by a
 * router with that one guard taken out, so the refusal is the guard's doing and the test can fail.
 */

const spec = parseOrgSpec(keyedOrgInput(), { now: new Date() });

async function withVariant(variant: keyof typeof ROUTER_KEY_VARIANTS, use: (edge: LocalEdge, keys: { secret: string; publishable: string; revoke: (slotOrId: string) => Promise<string[]> }) => Promise<void>): Promise<void> {
  const edge = await startEdge(spec, {
    secretValues: {},
    deployed: [{ app: "finance-console", environment: "prod" }, { app: "finance-console", environment: "dev" }, { app: "storefront", environment: "prod" }],
    controlRouterScript: await ROUTER_KEY_VARIANTS[variant](),
  });
  try {
    const store = await edge.apiKeys();
    const secret = (await mintKey(store, spec, "finance-sync")).key;
    const publishable = (await mintKey(store, spec, "storefront-browser")).key;
    await use(edge, { secret, publishable, revoke: (slotOrId) => revokeKeys(store, slotOrId) });
  } finally {
    await edge.dispose();
  }
}

const withKey = (key: string, headers: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${key}`, ...headers } });

describe("without its guard, the router would admit", () => {
  it("a key to another environment of its app", () => withVariant("ignoresAppAndEnvironment", async (edge, { secret }) => {
    expect((await edge.viaRouter("/dev/finance-console/whoami", withKey(secret))).status).toBe(200);
  }), 60_000);

  it("a revoked key", () => withVariant("ignoresRevocation", async (edge, { secret, revoke }) => {
    await revoke("finance-sync");
    expect((await edge.viaRouter("/prod/finance-console/whoami", withKey(secret))).status).toBe(200);
  }), 60_000);

  it("a revoked key, once its record was cached by an earlier request", () => withVariant("cachesRecords", async (edge, { secret, revoke }) => {
    expect((await edge.viaRouter("/prod/finance-console/whoami", withKey(secret))).status).toBe(200);
    await revoke("finance-sync");
    expect((await edge.viaRouter("/prod/finance-console/whoami", withKey(secret))).status).toBe(200);
  }), 60_000);

  it("a secret key from a browser", () => withVariant("ignoresBrowserMarkers", async (edge, { secret }) => {
    expect((await edge.viaRouter("/prod/finance-console/whoami", withKey(secret, { origin: "https://evil.example", "sec-fetch-site": "cross-site" }))).status).toBe(200);
  }), 60_000);

  it("a publishable key from an origin the app does not declare", () => withVariant("ignoresOrigins", async (edge, { publishable }) => {
    expect((await edge.viaRouter("/prod/storefront/whoami", withKey(publishable, { origin: "https://evil.example" }))).status).toBe(200);
    expect((await edge.viaRouter("/prod/storefront/whoami", withKey(publishable, { origin: SHOP_ORIGIN }))).status).toBe(200);
  }), 60_000);
});
