import { request as httpRequest } from "node:http";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { proveEdge } from "../../local/proof/edge-claims";
import { acmeEdgeForThisFile, bearer, ROUTER_HEADERS, STOREFRONT_HEADERS } from "../helpers/acme-edge";
import { clientHeaderNames, STANDARD } from "../helpers/client-headers";

/*
 * The headers that reach an app through the router in workerd: the standard allowlist, what the
 * app declares, and the router's identity; nothing else, whatever the client writes.
 */

const acme = acmeEdgeForThisFile();

/**
 * Kept out of the generated batches: headers a client library frames the request with (or
 * refuses to send raw), which the pure filter test covers, and authorization, which carries
 * the batch's token (a second value makes the request a 401, tested above).
 */
const NOT_IN_BATCH = ["authorization", "host", "content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection", "te", "trailer", "upgrade", "expect", "http2-settings"];

/** A GET through the router with the header lines written exactly as given: casing, order and repeats, as a raw client can. */
function rawGet(path: string, lines: readonly (readonly [string, string])[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: acme.edge.url.hostname, port: acme.edge.url.port, path, headers: [["Host", acme.edge.url.host], ...lines].flat() }, (response) => {
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
    const bare = JSON.parse((await rawGet("/prod/storefront/whoami", [["Authorization", `Bearer ${acme.developer}`]])).body) as Received;
    const baseline = Object.keys(bare.headers);
    expect(baseline.filter((name) => !allowlisted.has(name) && !ROUTER_HEADERS.includes(name))).toEqual([]);
    let sentNames = 0;
    await fc.assert(fc.asyncProperty(
      fc.uniqueArray(clientHeaderNames(STOREFRONT_HEADERS, NOT_IN_BATCH), { minLength: 150, maxLength: 200, size: "max" }),
      async (batch) => {
        sentNames += batch.length;
        // Each name twice: as generated, then upper-cased, each with a value naming it.
        const lines = batch.flatMap((name, i) => [[name, `sent-${i}-a`], [name.toUpperCase(), `sent-${i}-b`]] as const);
        const response = await rawGet("/prod/storefront/whoami", [["Authorization", `Bearer ${acme.developer}`], ...lines]);
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
    const cfo = await acme.edge.token({ sub: "u-cfo", email: "cfo@acme.com", org: "acme", role: "viewer", workspaces: [] });
    const storefront = (await (await acme.edge.viaRouter("/prod/storefront/whoami", bearer(acme.developer, { "x-shop-locale": "de-CH" }))).json()) as Received;
    const financeConsole = (await (await acme.edge.viaRouter("/prod/finance-console/whoami", bearer(cfo, { "x-shop-locale": "de-CH" }))).json()) as Received;
    expect(storefront.headers["x-shop-locale"]).toBe("de-CH");
    expect(financeConsole.headers["x-shop-locale"]).toBeUndefined();
  });

  it("no cookie, an access proxy's or any other, and no token query parameter; other parameters do", async () => {
    const response = await acme.edge.viaRouter("/prod/storefront/whoami?access_token=stolen&id_token=stolen&page=2", bearer(acme.developer, { cookie: "CF_Authorization=stolen; theme=dark; _oauth2_proxy=stolen" }));
    const { url, headers } = (await response.json()) as Received;
    expect(headers["cookie"]).toBeUndefined();
    expect(new URL(url).search).toBe("?page=2");
    expect(JSON.stringify({ url, headers })).not.toContain("stolen");
  });
});

describe("tenantry prove --local at the edge, for an org whose app declares a header", () => {
  it("states that only allowlisted headers reach the app and that a declared header reaches no other app, and both hold", async () => {
    const rows = await proveEdge(acme.spec);
    const headerRows = rows.filter((r) => /header/.test(r.claim)).map((r) => [r.claim, r.status, r.result]);
    expect(headerRows).toEqual([
      ["only allowlisted headers reach the app", "pass", "none of 40 others reached it (all did sent straight to the app); 29 allowlisted did"],
      ["a header storefront declares reaches no other app", "pass", "dropped"],
    ]);
    expect(rows.filter((r) => r.status !== "pass")).toEqual([]);
  }, 60_000);
});

