import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintKey } from "../../local/api-key-store";
import { startEdge, type LocalEdge } from "../../local/edge";
import { parseOrgSpec } from "../../spec/spec";
import { keyedOrgInput, SHOP_ORIGIN } from "../helpers/keyed-org";
import { bundleWith, editSource } from "../helpers/gateway-variants";
import { join } from "node:path";

/*
 * A browser using an app's publishable key, through the real router in workerd (B6): its CORS
 * preflight from a declared origin is answered by the router (the app is not reached), and the
 * keyed response is readable by that origin; every other preflight is refused as before.
 */

let edge: LocalEdge;
let key = "";
const DEPLOYED = [{ app: "storefront", environment: "prod" }, { app: "finance-console", environment: "prod" }];

beforeAll(async () => {
  const spec = parseOrgSpec(keyedOrgInput(), { now: new Date() });
  edge = await startEdge(spec, { secretValues: {}, deployed: DEPLOYED });
  ({ key } = await mintKey(await edge.apiKeys(), spec, "storefront-browser"));
}, 60_000);
afterAll(async () => edge?.dispose());

const received = async (app = "storefront") => ((await (await edge.direct(app, "prod", `/prod/${app}/received`)).json()) as unknown[]).length;
const preflight = (path: string, origin: string) => edge.viaRouter(path, {
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": "GET", "access-control-request-headers": "authorization", "sec-fetch-mode": "cors", "sec-fetch-site": "cross-site" },
});

describe("B6 a browser can use a publishable key from a declared origin", () => {
  it("answers the declared origin's preflight 204 with that origin, methods, headers, Vary and Max-Age, without reaching the app", async () => {
    const before = await received();
    const answer = await preflight("/prod/storefront/whoami", SHOP_ORIGIN);
    expect(answer.status).toBe(204);
    expect(Object.fromEntries(answer.headers)).toMatchObject({
      "access-control-allow-origin": SHOP_ORIGIN,
      "access-control-allow-methods": "GET, HEAD, POST, PUT, PATCH, DELETE",
      "access-control-allow-headers": "authorization, content-type",
      "access-control-max-age": "600",
      vary: "Origin",
    });
    expect(await received()).toBe(before);
  });

  it("makes the keyed response, and a keyed refusal, readable by that origin", async () => {
    const ok = await edge.viaRouter("/prod/storefront/whoami", { headers: { authorization: `Bearer ${key}`, origin: SHOP_ORIGIN } });
    expect([ok.status, ok.headers.get("access-control-allow-origin"), ok.headers.get("vary")]).toEqual([200, SHOP_ORIGIN, "Origin"]);
    const wrongKey = await edge.viaRouter("/prod/storefront/whoami", { headers: { authorization: `Bearer ${key.slice(0, -1)}x`, origin: SHOP_ORIGIN } });
    expect([wrongKey.status, wrongKey.headers.get("access-control-allow-origin")]).toEqual([401, SHOP_ORIGIN]);
  });

  it("refuses as before (401, no Access-Control header) a preflight from another origin, to an app without origins, and gives no other origin a readable keyed answer", async () => {
    for (const [path, origin] of [["/prod/storefront/whoami", "https://evil.example"], ["/prod/storefront/whoami", `${SHOP_ORIGIN}.evil.example`], ["/prod/finance-console/whoami", SHOP_ORIGIN]] as const) {
      const answer = await preflight(path, origin);
      expect([path, origin, answer.status, answer.headers.get("access-control-allow-origin")]).toEqual([path, origin, 401, null]);
    }
    const foreign = await edge.viaRouter("/prod/storefront/whoami", { headers: { authorization: `Bearer ${key}`, origin: "https://evil.example" } });
    expect([foreign.status, foreign.headers.get("access-control-allow-origin")]).toEqual([403, null]);
  });
});

describe("(control) the router without its preflight answer", () => {
  it("refuses the declared origin's preflight with 401, so the browser never sends the keyed request: the 204 above is the router's doing", async () => {
    const control = await startEdge(parseOrgSpec(keyedOrgInput(), { now: new Date() }), {
      secretValues: {}, deployed: DEPLOYED,
      controlRouterScript: await bundleWith(editSource("dispatch/router.ts", "if (isDeclaredPreflight(request.method, request.headers, target.origins))", "if (false)"), join("dispatch", "index.ts")),
    });
    try {
      const answer = await control.viaRouter("/prod/storefront/whoami", { method: "OPTIONS", headers: { origin: SHOP_ORIGIN, "access-control-request-method": "GET" } });
      expect([answer.status, answer.headers.get("access-control-allow-origin")]).toEqual([401, null]);
    } finally {
      await control.dispose();
    }
  }, 60_000);
});
