import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { startEdge } from "../../local/edge";
import { acmeEdgeForThisFile, bearer } from "../helpers/acme-edge";

/*
 * The dispatch router in workerd fails closed: every request it cannot verify and permit gets
 * 401, 403, 404, 429 or 503, never a pass-through; and the identity an app receives is the
 * router's own, signed, which the outbound Worker verifies.
 */

const acme = acmeEdgeForThisFile();
const statusOf = async (path: string, init?: RequestInit) => (await acme.edge.viaRouter(path, init)).status;

describe("the dispatch router fails closed", () => {
  it("answers 404 for an unknown app, an unknown environment, and an app not deployed into the namespace", async () => {
    expect(await statusOf("/prod/no-such-app/whoami", bearer(acme.developer))).toBe(404);
    expect(await statusOf("/staging/storefront/whoami", bearer(acme.developer))).toBe(404);
    expect(await statusOf("/prod/invoices/whoami", bearer(await acme.edge.token({ sub: "u", email: "b@acme.com", org: "acme", role: "viewer", workspaces: ["billing"] })))).toBe(404);
  });

  it("answers 200 for a verified, permitted request", async () => {
    expect(await statusOf("/prod/storefront/whoami", bearer(acme.developer))).toBe(200);
  });

  it("answers 401 for a missing, malformed, forged, expired, wrong-issuer or wrong-audience token", async () => {
    const claims = { sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] };
    const tokens = [
      await acme.edge.token(claims, { foreignKey: true }),
      await acme.edge.token(claims, { expiresIn: "-1m" }),
      await acme.edge.token(claims, { issuer: "https://id.evil.example/" }),
      await acme.edge.token(claims, { audience: "another-app" }),
    ];
    expect(await statusOf("/prod/storefront/whoami")).toBe(401);
    expect(await statusOf("/prod/storefront/whoami", { headers: { authorization: "Basic ZGV2OnB3" } })).toBe(401);
    expect(await statusOf("/prod/storefront/whoami", bearer("not.a.jwt"))).toBe(401);
    for (const token of tokens) expect(await statusOf("/prod/storefront/whoami", bearer(token))).toBe(401);
  });

  it("answers 401 for a token once it expires, though the router verified it before", async () => {
    const shortLived = await acme.edge.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] }, { expiresIn: "2s" });
    expect(await statusOf("/prod/storefront/whoami", bearer(shortLived))).toBe(200);
    await new Promise((done) => setTimeout(done, 2_100));
    expect(await statusOf("/prod/storefront/whoami", bearer(shortLived))).toBe(401);
  });

  it("answers 401 for alg none, and for HS256 signed with the provider's public key as the secret (algorithm confusion)", async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const payload = encode({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "owner", workspaces: ["web"], iss: acme.edge.trust.identity.issuer, aud: acme.edge.trust.identity.audience, iat: now, exp: now + 300 });
    expect(await statusOf("/prod/storefront/whoami", bearer(`${encode({ alg: "none" })}.${payload}.`))).toBe(401);
    const publicJwk = JSON.stringify((acme.edge.trust.identity as { jwks: { keys: object[] } }).jwks.keys[0]);
    const header = encode({ alg: "HS256", kid: "local-1" });
    const signature = createHmac("sha256", publicJwk).update(`${header}.${payload}`).digest("base64url");
    expect(await statusOf("/prod/storefront/whoami", bearer(`${header}.${payload}.${signature}`))).toBe(401);
  });

  it("answers 401 for a token of the app issuer that also names the operator audience", async () => {
    const both = await acme.edge.token({ sub: "op", email: "sre@acme.com", org: "acme", role: "owner", workspaces: ["web"] }, { audience: [acme.edge.trust.identity.audience, acme.edge.trust.operator.audience] as never });
    expect(await statusOf("/prod/storefront/whoami", bearer(both))).toBe(401);
  });

  it("answers 401 for an address the provider marks unverified, or one outside ASCII", async () => {
    const unverified = await acme.edge.token({ sub: "u", email: "cfo@acme.com", email_verified: false, org: "acme", role: "viewer", workspaces: [] });
    expect(await statusOf("/prod/finance-console/whoami", bearer(unverified))).toBe(401);
    const kelvin = await acme.edge.token({ sub: "u", email: "\u212Afo@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
    expect(await statusOf("/prod/storefront/whoami", bearer(kelvin))).toBe(401);
  });

  it("answers 401 for a token of the operator domain, even one signed by a trusted key", async () => {
    const operator = await acme.edge.token({ sub: "op", email: "sre@tenantry.example", org: "acme", role: "owner", workspaces: ["web"] }, { operator: true });
    expect(await statusOf("/prod/storefront/whoami", bearer(operator))).toBe(401);
  });

  it("answers 403 when the app's policy denies, or the token is of another org", async () => {
    const viewer = await acme.edge.token({ sub: "u-v", email: "viewer@acme.com", org: "acme", role: "viewer", workspaces: ["web"] });
    expect(await statusOf("/prod/storefront/whoami", bearer(viewer))).toBe(403);
    expect(await statusOf("/prod/finance-console/whoami", bearer(acme.developer))).toBe(403);
    const cfo = await acme.edge.token({ sub: "u-cfo", email: "cfo@acme.com", org: "acme", role: "viewer", workspaces: [] });
    expect(await statusOf("/prod/finance-console/whoami", bearer(cfo))).toBe(200);
    const globex = await acme.edge.token({ sub: "u-g", email: "dev@acme.com", org: "globex", role: "owner", workspaces: ["web"] });
    expect(await statusOf("/prod/storefront/whoami", bearer(globex))).toBe(403);
  });

  it("answers 503 with no detail when the app fails", async () => {
    const response = await acme.edge.viaRouter("/prod/storefront/boom", bearer(acme.developer));
    expect([response.status, await response.text()]).toEqual([503, "503\n"]);
  });
});

describe("the org's quotas", () => {
  it("answer 429 past the rate limit, and past the concurrency limit while a request is in flight", async () => {
    const tight = await startEdge({ ...acme.spec, quotas: { ...acme.spec.quotas, maxConcurrentRequests: 1 } }, {
      secretValues: {}, ratePerMinute: 4, deployed: [{ app: "storefront", environment: "prod" }],
    });
    try {
      const token = await tight.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
      // workerd's local rate limiter counts in fixed windows aligned to the minute (miniflare's
      // ratelimit worker: Date.now() / 60 s), so the whole sequence must fall in one window or
      // the count starts again midway (a loaded CI run once saw a fourth 200).
      const window = () => Math.floor(Date.now() / 60_000);
      const msLeft = 60_000 - (Date.now() % 60_000);
      if (msLeft < 25_000) await new Promise((done) => setTimeout(done, msLeft + 100));
      const started = window();
      // Wide margins: on a loaded machine the slow request must still be in flight when the
      // second one arrives (100 ms of 400 once let the second through first).
      const slow = tight.viaRouter("/prod/storefront/slow?ms=3000", bearer(token));
      await new Promise((done) => setTimeout(done, 1000));
      const concurrent = await tight.viaRouter("/prod/storefront/whoami", bearer(token));
      expect([concurrent.status, concurrent.headers.get("retry-after")]).toEqual([429, "1"]);
      expect((await slow).status).toBe(200);
      // Anonymous requests are refused before the quota: they spend none of it.
      for (let i = 0; i < 6; i += 1) expect((await tight.viaRouter("/prod/storefront/whoami")).status).toBe(401);
      // The rate limit is 4 a minute; the slow request was the first (the concurrent one was
      // turned away before it counted).
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await tight.viaRouter("/prod/storefront/whoami", bearer(token))).status);
      expect(window(), "the sequence took over 25 s and crossed into the rate limiter's next window").toBe(started);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await tight.dispose();
    }
  }, 60_000);
});

describe("the identity provider's keys", () => {
  it("answers 503, not 401, when they cannot be fetched: the token is not at fault", async () => {
    // Without integrations: with them, the local router's fetches go through the stand-in internet
    // (to reach the stand-in Secrets Manager), which answers every host, so no key set is unreachable.
    const unreachable = await startEdge({ ...acme.spec, integrations: [] }, { secretValues: {}, jwksUrl: "https://keys.tenantry.invalid/jwks.json", deployed: [{ app: "storefront", environment: "prod" }] });
    try {
      const token = await unreachable.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
      const response = await unreachable.viaRouter("/prod/storefront/whoami", bearer(token));
      expect([response.status, await response.text()]).toEqual([503, "503\n"]);
    } finally {
      await unreachable.dispose();
    }
  }, 30_000);
});

describe("identity", () => {
  it("is injected by the router, and the outbound Worker confirms it is the router's", async () => {
    const response = await acme.edge.viaRouter("/prod/storefront/verify", bearer(acme.developer));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", app: "storefront", environment: "prod" });
  });

  it("the app never sees the bearer token", async () => {
    const { headers } = (await (await acme.edge.viaRouter("/prod/storefront/whoami", bearer(acme.developer))).json()) as { headers: Record<string, string> };
    expect(headers["authorization"]).toBeUndefined();
    expect(Object.values(headers).join("\n")).not.toContain(acme.developer);
  });

  it("a forged identity header sent straight to an app does not verify", async () => {
    const { headers } = (await (await acme.edge.viaRouter("/prod/storefront/whoami", bearer(acme.developer))).json()) as { headers: Record<string, string> };
    const payload = String(headers["x-tenantry-identity"]);
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), role: "owner" })).toString("base64url");
    const forged = await acme.edge.direct("storefront", "prod", "/prod/storefront/verify", { headers: { "x-tenantry-identity": tampered, "x-tenantry-identity-signature": String(headers["x-tenantry-identity-signature"]) } });
    expect(forged.status).toBe(401);
    // The genuine pair, replayed into another app, does not verify there either.
    const replayed = await acme.edge.direct("finance-console", "prod", "/prod/finance-console/verify", { headers: { "x-tenantry-identity": payload, "x-tenantry-identity-signature": String(headers["x-tenantry-identity-signature"]) } });
    expect(replayed.status).toBe(401);
  });
});

