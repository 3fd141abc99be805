import { createHmac } from "node:crypto";
import { request as httpRequest } from "node:http";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgSpecFromStackConfig } from "../../components/stack-config";
import type { OrgSpec } from "../../components/spec";
import { readStackFile } from "../../harness/stack-file";
import { startEdge, type LocalEdge } from "../../local/edge";
import { proveEdge } from "../../local/proof/edge-claims";
import { join } from "node:path";
import { clientHeaderNames, STANDARD } from "../helpers/client-headers";

/*
 * The org's edge in workerd: the real router and outbound bundles, sample apps, and local
 * stand-ins for the dispatch namespace, Secrets Store and Secrets Manager (local/edge.ts).
 * Org acme: storefront (minRole developer, workspace web, declares x-shop-locale), invoices
 * (workspace members of billing), finance-console (named users, declares no header);
 * STRIPE_API_KEY is prod-scoped, api.stripe.com only.
 */

const PROJECT_DIR = join(__dirname, "..", "..");
const STRIPE_KEY = "sk_test_planted_Zq7vX2kP9mW4tR8yB3nL6";
const STOREFRONT_HEADERS = ["x-shop-locale"];
const ROUTER_HEADERS = ["x-tenantry-identity", "x-tenantry-identity-signature", "x-tenantry-request-id"];

let spec: OrgSpec;
let edge: LocalEdge;
let developer: string;

beforeAll(async () => {
  const acme = orgSpecFromStackConfig({ ...readStackFile(join(PROJECT_DIR, "stacks", "Pulumi.org-acme.yaml")), now: new Date() });
  // One more allowlisted host for STRIPE_API_KEY: a careless API that echoes what it receives.
  spec = {
    ...acme,
    secrets: acme.secrets.map((s) => (s.name === "STRIPE_API_KEY" ? { ...s, allowedHosts: [...s.allowedHosts, "echo.example"] } : s)),
    apps: acme.apps.map((a) => (a.slug === "storefront" ? { ...a, forwardHeaders: STOREFRONT_HEADERS } : { ...a, forwardHeaders: [] })),
  };
  edge = await startEdge(spec, {
    secretValues: { "acme/prod/stripe": JSON.stringify({ api_key: STRIPE_KEY }) },
    // invoices is declared but, in test, not deployed into the namespace.
    deployed: spec.environments.flatMap((environment) => ["storefront", "finance-console"].map((app) => ({ app, environment }))),
  });
  developer = await edge.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
}, 60_000);

afterAll(async () => edge?.dispose());

const bearer = (token: string, extra: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${token}`, ...extra } });
const statusOf = async (path: string, init?: RequestInit) => (await edge.viaRouter(path, init)).status;

describe("the dispatch router fails closed", () => {
  it("answers 404 for an unknown app, an unknown environment, and an app not deployed into the namespace", async () => {
    expect(await statusOf("/prod/no-such-app/whoami", bearer(developer))).toBe(404);
    expect(await statusOf("/staging/storefront/whoami", bearer(developer))).toBe(404);
    expect(await statusOf("/prod/invoices/whoami", bearer(await edge.token({ sub: "u", email: "b@acme.com", org: "acme", role: "viewer", workspaces: ["billing"] })))).toBe(404);
  });

  it("answers 200 for a verified, permitted request", async () => {
    expect(await statusOf("/prod/storefront/whoami", bearer(developer))).toBe(200);
  });

  it("answers 401 for a missing, malformed, forged, expired, wrong-issuer or wrong-audience token", async () => {
    const claims = { sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] };
    const tokens = [
      await edge.token(claims, { foreignKey: true }),
      await edge.token(claims, { expiresIn: "-1m" }),
      await edge.token(claims, { issuer: "https://id.evil.example/" }),
      await edge.token(claims, { audience: "another-app" }),
    ];
    expect(await statusOf("/prod/storefront/whoami")).toBe(401);
    expect(await statusOf("/prod/storefront/whoami", { headers: { authorization: "Basic ZGV2OnB3" } })).toBe(401);
    expect(await statusOf("/prod/storefront/whoami", bearer("not.a.jwt"))).toBe(401);
    for (const token of tokens) expect(await statusOf("/prod/storefront/whoami", bearer(token))).toBe(401);
  });

  it("answers 401 for a token once it expires, though the router verified it before", async () => {
    const shortLived = await edge.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] }, { expiresIn: "2s" });
    expect(await statusOf("/prod/storefront/whoami", bearer(shortLived))).toBe(200);
    await new Promise((done) => setTimeout(done, 2_100));
    expect(await statusOf("/prod/storefront/whoami", bearer(shortLived))).toBe(401);
  });

  it("answers 401 for alg none, and for HS256 signed with the provider's public key as the secret (algorithm confusion)", async () => {
    const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url");
    const now = Math.floor(Date.now() / 1000);
    const payload = encode({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "owner", workspaces: ["web"], iss: edge.trust.identity.issuer, aud: edge.trust.identity.audience, iat: now, exp: now + 300 });
    expect(await statusOf("/prod/storefront/whoami", bearer(`${encode({ alg: "none" })}.${payload}.`))).toBe(401);
    const publicJwk = JSON.stringify((edge.trust.identity as { jwks: { keys: object[] } }).jwks.keys[0]);
    const header = encode({ alg: "HS256", kid: "local-1" });
    const signature = createHmac("sha256", publicJwk).update(`${header}.${payload}`).digest("base64url");
    expect(await statusOf("/prod/storefront/whoami", bearer(`${header}.${payload}.${signature}`))).toBe(401);
  });

  it("answers 401 for a token of the app issuer that also names the operator audience", async () => {
    const both = await edge.token({ sub: "op", email: "sre@acme.com", org: "acme", role: "owner", workspaces: ["web"] }, { audience: [edge.trust.identity.audience, edge.trust.operator.audience] as never });
    expect(await statusOf("/prod/storefront/whoami", bearer(both))).toBe(401);
  });

  it("answers 401 for an address the provider marks unverified, or one outside ASCII", async () => {
    const unverified = await edge.token({ sub: "u", email: "cfo@acme.com", email_verified: false, org: "acme", role: "viewer", workspaces: [] });
    expect(await statusOf("/prod/finance-console/whoami", bearer(unverified))).toBe(401);
    const kelvin = await edge.token({ sub: "u", email: "\u212Afo@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
    expect(await statusOf("/prod/storefront/whoami", bearer(kelvin))).toBe(401);
  });

  it("answers 401 for a token of the operator domain, even one signed by a trusted key", async () => {
    const operator = await edge.token({ sub: "op", email: "sre@tenantry.example", org: "acme", role: "owner", workspaces: ["web"] }, { operator: true });
    expect(await statusOf("/prod/storefront/whoami", bearer(operator))).toBe(401);
  });

  it("answers 403 when the app's policy denies, or the token is of another org", async () => {
    const viewer = await edge.token({ sub: "u-v", email: "viewer@acme.com", org: "acme", role: "viewer", workspaces: ["web"] });
    expect(await statusOf("/prod/storefront/whoami", bearer(viewer))).toBe(403);
    expect(await statusOf("/prod/finance-console/whoami", bearer(developer))).toBe(403);
    const cfo = await edge.token({ sub: "u-cfo", email: "cfo@acme.com", org: "acme", role: "viewer", workspaces: [] });
    expect(await statusOf("/prod/finance-console/whoami", bearer(cfo))).toBe(200);
    const globex = await edge.token({ sub: "u-g", email: "dev@acme.com", org: "globex", role: "owner", workspaces: ["web"] });
    expect(await statusOf("/prod/storefront/whoami", bearer(globex))).toBe(403);
  });

  it("answers 503 with no detail when the app fails", async () => {
    const response = await edge.viaRouter("/prod/storefront/boom", bearer(developer));
    expect([response.status, await response.text()]).toEqual([503, "503\n"]);
  });
});

describe("the org's quotas", () => {
  it("answer 429 past the rate limit, and past the concurrency limit while a request is in flight", async () => {
    const tight = await startEdge({ ...spec, quotas: { ...spec.quotas, maxConcurrentRequests: 1 } }, {
      secretValues: {}, ratePerMinute: 4, deployed: [{ app: "storefront", environment: "prod" }],
    });
    try {
      const token = await tight.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
      const slow = tight.viaRouter("/prod/storefront/slow?ms=400", bearer(token));
      await new Promise((done) => setTimeout(done, 100));
      const concurrent = await tight.viaRouter("/prod/storefront/whoami", bearer(token));
      expect([concurrent.status, concurrent.headers.get("retry-after")]).toEqual([429, "1"]);
      expect((await slow).status).toBe(200);
      // Anonymous requests are refused before the quota: they spend none of it.
      for (let i = 0; i < 6; i += 1) expect((await tight.viaRouter("/prod/storefront/whoami")).status).toBe(401);
      // The rate limit is 4 a minute; the slow request was the first (the concurrent one was
      // turned away before it counted).
      const statuses: number[] = [];
      for (let i = 0; i < 4; i += 1) statuses.push((await tight.viaRouter("/prod/storefront/whoami", bearer(token))).status);
      expect(statuses).toEqual([200, 200, 200, 429]);
    } finally {
      await tight.dispose();
    }
  }, 30_000);
});

describe("the identity provider's keys", () => {
  it("answers 503, not 401, when they cannot be fetched: the token is not at fault", async () => {
    const unreachable = await startEdge(spec, { secretValues: {}, jwksUrl: "https://keys.tenantry.invalid/jwks.json", deployed: [{ app: "storefront", environment: "prod" }] });
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
    const response = await edge.viaRouter("/prod/storefront/verify", bearer(developer));
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", app: "storefront", environment: "prod" });
  });

  it("the app never sees the bearer token", async () => {
    const { headers } = (await (await edge.viaRouter("/prod/storefront/whoami", bearer(developer))).json()) as { headers: Record<string, string> };
    expect(headers["authorization"]).toBeUndefined();
    expect(Object.values(headers).join("\n")).not.toContain(developer);
  });

  it("a forged identity header sent straight to an app does not verify", async () => {
    const { headers } = (await (await edge.viaRouter("/prod/storefront/whoami", bearer(developer))).json()) as { headers: Record<string, string> };
    const payload = String(headers["x-tenantry-identity"]);
    const tampered = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, "base64url").toString()), role: "owner" })).toString("base64url");
    const forged = await edge.direct("storefront", "prod", "/prod/storefront/verify", { headers: { "x-tenantry-identity": tampered, "x-tenantry-identity-signature": String(headers["x-tenantry-identity-signature"]) } });
    expect(forged.status).toBe(401);
    // The genuine pair, replayed into another app, does not verify there either.
    const replayed = await edge.direct("finance-console", "prod", "/prod/finance-console/verify", { headers: { "x-tenantry-identity": payload, "x-tenantry-identity-signature": String(headers["x-tenantry-identity-signature"]) } });
    expect(replayed.status).toBe(401);
  });
});

/**
 * Kept out of the generated batches: headers a client library frames the request with (or
 * refuses to send raw), which the pure filter test covers, and authorization, which carries
 * the batch's token (a second value makes the request a 401, tested above).
 */
const NOT_IN_BATCH = ["authorization", "host", "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "expect", "http2-settings"];

/** A GET through the router with the header lines written exactly as given: casing, order and repeats, as a raw client can. */
function rawGet(path: string, lines: readonly (readonly [string, string])[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: edge.url.hostname, port: edge.url.port, path, headers: [["Host", edge.url.host], ...lines].flat() }, (response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk: string) => { body += chunk; });
      response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on("error", reject);
    request.end();
  });
}

type Received = { url: string; headers: Record<string, string> };

describe("what reaches an app", () => {
  it("exactly the allowlisted headers a client sent and the router's identity: thousands of generated names, casings, _ variants and repeats, written raw", async () => {
    const allowlisted = new Set([...STANDARD, ...STOREFRONT_HEADERS]);
    // What arrives when the client sends nothing but its token: the router's identity, and what
    // the runtime adds on its own (workerd sets accept-encoding, as Cloudflare does); all allowlisted.
    const bare = JSON.parse((await rawGet("/prod/storefront/whoami", [["Authorization", `Bearer ${developer}`]])).body) as Received;
    const baseline = Object.keys(bare.headers);
    expect(baseline.filter((name) => !allowlisted.has(name) && !ROUTER_HEADERS.includes(name))).toEqual([]);
    let sentNames = 0;
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(clientHeaderNames(STOREFRONT_HEADERS, NOT_IN_BATCH), { minLength: 150, maxLength: 200, size: "max" }),
      async (batch) => {
        sentNames += batch.length;
        // Each name twice: as generated, then upper-cased, each with a value naming it.
        const lines = batch.flatMap((name, i) => [[name, `sent-${i}-a`], [name.toUpperCase(), `sent-${i}-b`]] as const);
        const response = await rawGet("/prod/storefront/whoami", [["Authorization", `Bearer ${developer}`], ...lines]);
        expect(response.status).toBe(200);
        const { headers: received } = JSON.parse(response.body) as Received;
        const expected = new Map<string, string[]>();
        for (const [name, value] of lines) {
          if (allowlisted.has(name.toLowerCase())) expected.set(name.toLowerCase(), [...(expected.get(name.toLowerCase()) ?? []), value]);
        }
        expect(Object.keys(received).sort()).toEqual([...new Set([...expected.keys(), ...baseline])].sort());
        // With their values, joined in order; the runtime rewrites its own (accept-encoding: "br, gzip").
        for (const [name, values] of expected) if (!baseline.includes(name)) expect(received[name]).toBe(values.join(", "));
        // The identity the app got is the router's, not any value the client sent.
        for (const name of ROUTER_HEADERS) expect(received[name]).not.toMatch(/sent-/);
        expect(received["x-tenantry-identity"]).toMatch(/^[\w-]+$/);
      },
    ), { numRuns: 20 });
    expect(sentNames).toBeGreaterThan(3_000);
  }, 120_000);

  it("a header an app declares reaches that app and no other", async () => {
    const cfo = await edge.token({ sub: "u-cfo", email: "cfo@acme.com", org: "acme", role: "viewer", workspaces: [] });
    const storefront = (await (await edge.viaRouter("/prod/storefront/whoami", bearer(developer, { "x-shop-locale": "de-CH" }))).json()) as Received;
    const financeConsole = (await (await edge.viaRouter("/prod/finance-console/whoami", bearer(cfo, { "x-shop-locale": "de-CH" }))).json()) as Received;
    expect(storefront.headers["x-shop-locale"]).toBe("de-CH");
    expect(financeConsole.headers["x-shop-locale"]).toBeUndefined();
  });

  it("no cookie, an access proxy's or any other, and no token query parameter; other parameters do", async () => {
    const response = await edge.viaRouter("/prod/storefront/whoami?access_token=stolen&id_token=stolen&page=2", bearer(developer, { cookie: "CF_Authorization=stolen; theme=dark; _oauth2_proxy=stolen" }));
    const { url, headers } = (await response.json()) as Received;
    expect(headers["cookie"]).toBeUndefined();
    expect(new URL(url).search).toBe("?page=2");
    expect(JSON.stringify({ url, headers })).not.toContain("stolen");
  });
});

describe("tenantry prove --local at the edge, for an org whose app declares a header", () => {
  it("states that only allowlisted headers reach the app and that a declared header reaches no other app, and both hold", async () => {
    const rows = await proveEdge(spec);
    const headerRows = rows.filter((r) => /header/.test(r.claim)).map((r) => [r.claim, r.status, r.result]);
    expect(headerRows).toEqual([
      ["only allowlisted headers reach the app", "pass", "none of 40 others reached it (all did sent straight to the app); 29 allowlisted did"],
      ["a header storefront declares reaches no other app", "pass", "dropped"],
    ]);
    expect(rows.filter((r) => r.status !== "pass")).toEqual([]);
  }, 60_000);
});

describe("secrets through the outbound Worker", () => {
  const call = (environment: string, host: string, secret: string, scheme = "https"): Promise<Response> =>
    edge.viaRouter(`/${environment}/storefront/call?host=${host}&secret=${secret}&scheme=${scheme}`, bearer(developer));

  it("no app holds a secret binding", async () => {
    expect(await (await edge.viaRouter("/prod/storefront/env", bearer(developer))).json()).toEqual({ bindings: [] });
  });

  it("substitutes an in-scope secret only for its allowlisted host, and audits it without the value", async () => {
    expect((await call("prod", "api.stripe.com", "STRIPE_API_KEY")).status).toBe(200);
    const sent = (await edge.egressRequests()).filter((r) => r.host === "api.stripe.com");
    expect(sent.at(-1)?.headers["authorization"]).toBe(`Bearer ${STRIPE_KEY}`);
    // The router's identity stays inside the platform.
    expect(sent.at(-1)?.headers["x-tenantry-identity"]).toBeUndefined();
    const events = await edge.auditEvents();
    expect(events.at(-1)).toMatchObject({ kind: "secret.resolve", org: "acme", app: "storefront", environment: "prod", actor: "dev@acme.com", secret: "STRIPE_API_KEY", host: "api.stripe.com", decision: "resolved" });
    expect(JSON.stringify(events)).not.toContain(STRIPE_KEY);
  });

  it("hands no secret back to the app, even from an allowlisted host that echoes it", async () => {
    const response = await call("prod", "echo.example", "STRIPE_API_KEY");
    expect(response.status).toBe(200);
    expect((await edge.egressRequests()).at(-1)?.headers["authorization"]).toBe(`Bearer ${STRIPE_KEY}`);
    const body = await response.text();
    expect(body).toContain("[redacted by tenantry]");
    expect(body + JSON.stringify(Object.fromEntries(response.headers))).not.toContain(STRIPE_KEY);
  });

  it("sends no identity header to a destination, with or without a secret", async () => {
    expect((await edge.viaRouter("/prod/storefront/plain", bearer(developer))).status).toBe(200);
    expect(Object.keys((await edge.egressRequests()).at(-1)?.headers ?? {}).filter((h) => h.startsWith("x-tenantry-identity"))).toEqual([]);
  });

  it("refuses a secret on another port, in a header not named for a credential, or beside a refused one, reading no value", async () => {
    const before = (await edge.auditEvents()).length;
    expect((await call("prod", "api.stripe.com:8443", "STRIPE_API_KEY")).status).toBe(403);
    expect((await edge.viaRouter("/prod/storefront/call?host=api.stripe.com&secret=STRIPE_API_KEY&header=user-agent", bearer(developer))).status).toBe(403);
    expect((await edge.viaRouter("/prod/storefront/call?host=api.stripe.com&secret=STRIPE_API_KEY&also=DATABASE_URL", bearer(developer))).status).toBe(403);
    const events = (await edge.auditEvents()).slice(before) as { decision: string; reason: string; secret: string }[];
    expect(events.map((e) => [e.secret, e.decision, e.reason])).toEqual([
      ["STRIPE_API_KEY", "refused", "port 8443 is not the host's https port"],
      ["STRIPE_API_KEY", "refused", "header user-agent may not carry a secret (only authorization or a credential-named header)"],
      ["DATABASE_URL", "refused", "host api.stripe.com is not on the secret's allowlist"],
    ]);
  });

  it("refuses and audits a secret of another environment, a host off the allowlist, and plain http", async () => {
    const before = (await edge.egressRequests()).length;
    expect((await call("dev", "api.stripe.com", "STRIPE_API_KEY")).status).toBe(403);
    expect((await call("prod", "attacker.example", "STRIPE_API_KEY")).status).toBe(403);
    expect((await call("prod", "api.stripe.com", "STRIPE_API_KEY", "http")).status).toBe(403);
    expect((await call("prod", "api.stripe.com", "NO_SUCH_SECRET")).status).toBe(403);
    expect((await edge.egressRequests()).length).toBe(before);
    const refusals = (await edge.auditEvents()).slice(-4) as { decision: string; reason: string; environment: string; correlationId: string }[];
    expect(refusals.map((e) => [e.environment, e.decision, e.reason])).toEqual([
      ["dev", "refused", "no such secret in this environment"],
      ["prod", "refused", "host attacker.example is not on the secret's allowlist"],
      ["prod", "refused", "only https destinations receive secrets"],
      ["prod", "refused", "no such secret in this environment"],
    ]);
    expect(refusals.every((e) => /^[0-9a-f-]{36}$/.test(e.correlationId))).toBe(true);
  });
});
