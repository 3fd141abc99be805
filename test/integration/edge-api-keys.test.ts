import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { mintKey, revokeKeys } from "../../local/api-key-store";
import { startEdge, type LocalEdge } from "../../local/edge";
import { parseOrgSpec, type OrgSpec } from "../../spec/spec";
import { mintApiKey } from "../../workers/lib/api-key-format";
import { ROUTER_KEY_VARIANTS } from "../helpers/router-key-variants";
import { keyedOrgInput, SHOP_ORIGIN } from "../helpers/keyed-org";
import { apiKeyClaims } from "../../local/proof/api-key-claims";

/*
 * API keys through the real router in workerd, as the machine client from DESIGN.md's table
 * (holding one key) would try to act beyond its key's app, environment and kind. Keys are
 * minted into the D1 the router reads, as `tenantry keys mint` does.
 */

let spec: OrgSpec;
let edge: LocalEdge;
let secretKey: string;
let publishableKey: string;
const canaries: string[] = [];

const DEPLOYED = ["storefront", "finance-console"].flatMap((app) => ["dev", "test", "prod"].map((environment) => ({ app, environment })));

beforeAll(async () => {
  spec = parseOrgSpec(keyedOrgInput(), { now: new Date() });
  edge = await startEdge(spec, { secretValues: {}, deployed: DEPLOYED });
  const store = await edge.apiKeys();
  secretKey = (await mintKey(store, spec, "finance-sync")).key;
  publishableKey = (await mintKey(store, spec, "storefront-browser")).key;
  canaries.push(secretKey, publishableKey);
}, 60_000);
afterAll(async () => edge?.dispose());

const withKey = (key: string, headers: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${key}`, ...headers } });
const statusOf = async (path: string, init?: RequestInit) => (await edge.viaRouter(path, init)).status;

/** The identity the app received, decoded from the router's signed header. */
async function identityAt(path: string, init: RequestInit): Promise<Record<string, unknown>> {
  const response = await edge.viaRouter(path, init);
  expect(response.status).toBe(200);
  const { headers } = (await response.json()) as { headers: Record<string, string> };
  return JSON.parse(Buffer.from(headers["x-tenantry-identity"] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
}

describe("a secret key at the router", () => {
  it("admits a server's request to its own app and environment, and the app is told it is that key, never a user", async () => {
    const identity = await identityAt("/prod/finance-console/whoami", withKey(secretKey));
    expect(identity).toMatchObject({ kind: "api-key", slot: "finance-sync", keyKind: "secret", org: "acme", app: "finance-console", environment: "prod" });
    for (const userClaim of ["sub", "email", "role", "workspaces"]) expect(identity).not.toHaveProperty(userClaim);
  });

  it("is refused (403) for every other app and environment of the org", async () => {
    for (const { app, environment } of DEPLOYED.filter((d) => !(d.app === "finance-console" && d.environment === "prod"))) {
      expect(await statusOf(`/${environment}/${app}/whoami`, withKey(secretKey)), `${app} in ${environment}`).toBe(403);
    }
  });

  /** What a browser adds: an Origin, or a Sec-Fetch-* header other than Mode (which Node's fetch sends too), in any case and with any value. */
  const browserMarker = fc.oneof(
    fc.tuple(fc.constant("origin"), fc.constantFrom(SHOP_ORIGIN, "https://evil.example", "null")),
    fc.tuple(fc.constantFrom("site", "dest", "user", "storage-access", "x-future"), fc.constantFrom("cross-site", "cors", "empty", "?1", "same-origin", "none"))
      .map(([suffix, value]) => [`sec-fetch-${suffix}`, value] as const),
  ).chain(([name, value]) => fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length })
    .map((flips) => [[...name].map((c, i) => (flips[i] ? c.toUpperCase() : c)).join(""), value] as const));

  it("is admitted from Node's own fetch, which sends sec-fetch-mode: cors on every request (as this test's client does)", async () => {
    const response = await edge.viaRouter("/prod/finance-console/whoami", withKey(secretKey));
    const { headers } = (await response.json()) as { headers: Record<string, string> };
    expect([response.status, headers["sec-fetch-mode"], headers["sec-fetch-site"], headers["origin"]]).toEqual([200, "cors", undefined, undefined]);
  });

  it("is refused (403) when the request carries any browser marker, and admitted without one (the control)", async () => {
    await fc.assert(fc.asyncProperty(browserMarker, async ([name, value]) => {
      expect(await statusOf("/prod/finance-console/whoami", withKey(secretKey, { [name]: value }))).toBe(403);
    }), { numRuns: 25 });
    expect(await statusOf("/prod/finance-console/whoami", withKey(secretKey))).toBe(200);
  });
});

describe("a publishable key at the router", () => {
  it("admits a request from one of the app's declared origins", async () => {
    const identity = await identityAt("/prod/storefront/whoami", withKey(publishableKey, { origin: SHOP_ORIGIN, "sec-fetch-mode": "cors" }));
    expect(identity).toMatchObject({ kind: "api-key", slot: "storefront-browser", keyKind: "publishable" });
  });

  /** Origins an attacker's page or script could send: near misses of the declared one, and none at all. */
  const otherOrigin = fc.oneof(
    fc.constantFrom(`${SHOP_ORIGIN}/`, "http://shop.acme.com", "https://SHOP.acme.com", "https://shop.acme.com.evil.example", "https://evil-shop.acme.com", "https://shop.acme.com:443", "null", ""),
    fc.domain().map((d) => `https://${d}`),
  ).filter((o) => o !== SHOP_ORIGIN);

  it("is refused (403) from any other origin, and without one", async () => {
    await fc.assert(fc.asyncProperty(otherOrigin, async (origin) => {
      expect(await statusOf("/prod/storefront/whoami", withKey(publishableKey, origin === "" ? {} : { origin }))).toBe(403);
    }), { numRuns: 25 });
  });

  it("is refused (403) for another app, even from that app's origin", async () => {
    expect(await statusOf("/prod/finance-console/whoami", withKey(publishableKey, { origin: SHOP_ORIGIN }))).toBe(403);
    expect(await statusOf("/dev/storefront/whoami", withKey(publishableKey, { origin: SHOP_ORIGIN }))).toBe(403);
  });
});

describe("keys the router must not know", () => {
  it("refuses (401) a key of another org, a well-formed key never minted, and a key with one character changed", async () => {
    const changed = secretKey.slice(0, -8) + (secretKey.at(-8) === "A" ? "B" : "A") + secretKey.slice(-7);
    for (const key of [mintApiKey("secret", "globex"), mintApiKey("secret", "acme"), changed, "tnsk_", "tnsk_acme_x"]) {
      const response = await edge.viaRouter("/prod/finance-console/whoami", withKey(key));
      expect([response.status, response.headers.get("www-authenticate")]).toEqual([401, 'Bearer error="invalid_token"']);
    }
  });

  it("refuses a revoked key on the very next request (the control: it was admitted just before)", async () => {
    const store = await edge.apiKeys();
    const { key, id } = await mintKey(store, spec, "finance-sync");
    canaries.push(key);
    expect(await statusOf("/prod/finance-console/whoami", withKey(key))).toBe(200);
    expect(await revokeKeys(store, id)).toEqual([id]);
    expect(await statusOf("/prod/finance-console/whoami", withKey(key))).toBe(401);
    // The other key of the slot is untouched by revoking this one by id.
    expect(await statusOf("/prod/finance-console/whoami", withKey(secretKey))).toBe(200);
  });
});

describe("key traffic and the org's limits", () => {
  it("counts against the org's concurrency limit like a user's", async () => {
    const tight = await startEdge({ ...spec, quotas: { ...spec.quotas, maxConcurrentRequests: 1 } }, { secretValues: {}, deployed: [{ app: "finance-console", environment: "prod" }] });
    try {
      const { key } = await mintKey(await tight.apiKeys(), spec, "finance-sync");
      canaries.push(key);
      const slow = tight.viaRouter("/prod/finance-console/slow?ms=3000", withKey(key));
      await new Promise((done) => setTimeout(done, 1000));
      const concurrent = await tight.viaRouter("/prod/finance-console/whoami", withKey(key));
      expect([concurrent.status, concurrent.headers.get("retry-after")]).toEqual([429, "1"]);
      expect((await slow).status).toBe(200);
    } finally {
      await tight.dispose();
    }
  }, 60_000);
});

describe("the proof's API key claims", () => {
  it("hold on the org's edge, one row per property its slots let the proof attempt", async () => {
    const rows = await apiKeyClaims(edge, spec);
    expect(rows.map((r) => [r.claim, r.status, r.result])).toEqual([
      ["an API key admits only to its own app and environment", "pass", "200, then 403"],
      ["a secret key is refused from a browser", "pass", "403 (without: 200)"],
      ["a revoked API key is refused on the next request", "pass", "200, revoked, then 401"],
      ["a publishable key admits only from the app's origins", "pass", "200, then 403"],
    ]);
  });

  it("fail on a router with the revocation check edited out (the control)", async () => {
    const variant = await startEdge(spec, { secretValues: {}, deployed: DEPLOYED, controlRouterScript: await ROUTER_KEY_VARIANTS.ignoresRevocation() });
    try {
      const rows = await apiKeyClaims(variant, spec);
      expect(rows.filter((r) => r.status === "fail").map((r) => [r.claim, r.result])).toEqual([["a revoked API key is refused on the next request", "200, revoked, then 200"]]);
    } finally {
      await variant.dispose();
    }
  }, 60_000);

  it("are none for an org without key slots", async () => {
    expect(await apiKeyClaims(edge, { ...spec, apiKeys: [] })).toEqual([]);
  });
});

describe("the canary", () => {
  it("no key used in this file appears in what the app received, an audit event, or an answer's body", async () => {
    const response = await edge.viaRouter("/prod/finance-console/whoami", withKey(secretKey));
    const received = await response.text();
    await edge.viaRouter("/prod/finance-console/plain", withKey(secretKey));
    const audit = JSON.stringify(await edge.auditEvents());
    const egress = JSON.stringify(await edge.egressRequests());
    expect(canaries.length).toBeGreaterThanOrEqual(3);
    for (const key of canaries) {
      for (const [where, text] of [["the app", received], ["the audit sink", audit], ["egress", egress]] as const) expect(text.includes(key), `${where} holds a key`).toBe(false);
    }
  });
});
