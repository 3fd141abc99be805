import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grantOperator } from "../../local/operator-allowlist";
import { startOperatorGateway, type LocalGateway } from "../../local/operator-gateway";

/*
 * The attacker's pass on the operator gateway, replayed with generated input through the real
 * gateway bundle in workerd, as allowlisted operators: a path that names another host, an admin
 * path spelled so a raw comparison misses it, a method override in the query. The stand-in
 * console answers every host the gateway fetches with the host and path it was asked for, so a
 * request that left for another origin shows here.
 */

let gateway: LocalGateway;
let consoleHost: string;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  gateway = await startOperatorGateway();
  consoleHost = new URL(gateway.trust.consoleOrigin).host;
  const db = await gateway.allowlist();
  for (const role of ["support-read", "support-write", "admin"] as const) {
    const email = `${role}@ops.example`;
    await grantOperator(db, { email, role, grantedBy: "lead@ops.example" });
    tokens[role] = await gateway.token({ sub: `op-${role}`, email }, { expiresIn: "30m" });
  }
}, 60_000);
afterAll(async () => gateway?.dispose());

/** What the gateway answered, and where the console stand-in says the request went (when it went anywhere). */
async function send(role: string, path: string, init: RequestInit = {}): Promise<{ status: number; host?: string; path?: string; method?: string }> {
  const response = await gateway.viaGateway(path, { ...init, headers: { authorization: `Bearer ${tokens[role] ?? ""}` } });
  if (response.status !== 200) {
    await response.arrayBuffer();
    return { status: response.status };
  }
  const seen = (await response.json()) as { host: string; path: string; method: string };
  return { status: 200, host: seen.host, path: seen.path, method: seen.method };
}

/** A host the attacker owns, in the shapes a URL parser reads after `//` or `/\`. */
const host = fc.oneof(fc.domain(), fc.constantFrom("evil.example", "evil.example:8443", "user@evil.example", "127.0.0.1", "[::1]"));
const tail = fc.stringMatching(/^[a-z0-9/]{0,12}$/);
const hostPath = fc.tuple(fc.constantFrom("//", "/\\", "\\\\", "/\\/", "///", "//\\"), host, tail, fc.constantFrom("", "?x=1"))
  .map(([lead, h, rest, query]) => `${lead}${h}/${rest}${query}`);

describe("the operator gateway forwards only to the console's origin", () => {
  it("never sends a request to another host, whatever host a path beginning with // or /\\ names", async () => {
    await fc.assert(
      fc.asyncProperty(hostPath, fc.constantFrom("support-read", "support-write", "admin"), async (path, role) => {
        const { status, host: reached } = await send(role, path);
        if (status === 200) expect(reached).toBe(consoleHost);
        // And the gateway judges no such path at all: an empty segment is outside its grammar.
        expect(status).toBe(400);
      }),
      { numRuns: 80 },
    );
    // The attacker's request, exactly: refused before anything is fetched.
    expect(await send("support-read", "//evil.example/steal?x=1")).toEqual({ status: 400 });
    // Each refusal is on record with its reason, as every decision is.
    const refused = (await gateway.auditEvents()).filter((e) => e.operator === "support-read@ops.example" && e.path === "//evil.example/steal");
    expect(refused.length).toBeGreaterThan(0);
    for (const event of refused) expect(event).toMatchObject({ decision: "deny", status: 400, reason: "path outside the console path grammar" });
    // Control: an ordinary path passes, to the console.
    expect(await send("support-read", "/orgs/acme?x=1")).toMatchObject({ status: 200, host: consoleHost, path: "/orgs/acme?x=1" });
  }, 120_000);
});

/** The letters of "admin", each in either case or as a percent-escape (either hex case). */
const adminSpelling = fc.array(fc.constantFrom("plain", "upper", "escaped", "escapedUpper"), { minLength: 5, maxLength: 5 }).map((ways) =>
  [..."admin"].map((c, i) => {
    const way = ways[i];
    if (way === "upper") return c.toUpperCase();
    if (way === "escaped") return `%${c.charCodeAt(0).toString(16)}`;
    if (way === "escapedUpper") return `%${c.charCodeAt(0).toString(16).toUpperCase()}`;
    return c;
  }).join(""));
/** What a console framework may strip or ignore after a segment: a matrix parameter, a suffix, a trailing dot. */
const suffix = fc.constantFrom("", ";x", ";jsessionid=1", ".json", ".", "~", "%2e", "%3bx", "%2f", "_x", "-");

describe("the operator gateway judges one canonical path and forwards exactly it", () => {
  it("never lets support-write reach an admin path, however /admin is spelled: 403 or 400, never forwarded", async () => {
    await fc.assert(
      fc.asyncProperty(adminSpelling, suffix, fc.constantFrom("GET", "POST", "DELETE"), async (admin, after, method) => {
        const { status } = await send("support-write", `/${admin}${after}/users`, { method });
        expect([400, 403]).toContain(status);
      }),
      { numRuns: 120 },
    );
    for (const path of ["/ADMIN/users", "/%61dmin/users", "/admin;x/users", "/Admin", "/admin.json", "/admin."]) {
      expect([400, 403], path).toContain((await send("support-write", path, { method: "POST" })).status);
    }
    // Control: the admin reaches the same console path, and support-write reaches a non-admin one.
    expect(await send("admin", "/admin/users", { method: "POST" })).toMatchObject({ status: 200, path: "/admin/users" });
    expect(await send("support-write", "/administer/users", { method: "POST" })).toMatchObject({ status: 200, path: "/administer/users" });
  }, 120_000);

  it("refuses with 400 any path outside the grammar: ;, %-escapes, dot segments, empty segments, control or non-ASCII characters", async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~@-]{1,8}$/).filter((s) => s !== "." && s !== "..");
    const bad = fc.constantFrom(";", "%41", "%2F", "%2e", "%25", "%00", "%5C", "\u00e9", "\u212a", "%C3%A9", "\u0000", "\u007f", "%0a", "+", ",", "=", ":", "!", "$", "'", "(", "*");
    const badSegment = fc.tuple(segment, bad, segment).map(([a, b, c]) => `${a}${b}${c}`);
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { maxLength: 3 }), badSegment, fc.array(segment, { maxLength: 3 }), fc.constantFrom("support-read", "admin"), async (before, worse, after, role) => {
        const path = `/${[...before, worse, ...after].join("/")}`;
        expect((await send(role, path)).status, path).toBe(400);
      }),
      { numRuns: 100 },
    );
    // A literal backslash never reaches the verdict: the URL parser reads it as `/` first, so it is judged (and forwarded) as one.
    expect(await send("support-write", "/admin\\users")).toEqual({ status: 403 });
    expect(await send("support-read", "/orgs\\acme")).toMatchObject({ status: 200, path: "/orgs/acme" });
    // So is a dot segment, escaped or not: `/orgs/%2e%2e/admin` reaches the verdict as `/admin`.
    expect(await send("support-write", "/orgs/%2e%2e/admin/users")).toEqual({ status: 403 });
    for (const path of ["/orgs//acme", "/a/\\b", "/orgs/acme%00", "/orgs/%2e%2e%2fadmin", `/${"a".repeat(1100)}`]) expect((await send("admin", path)).status, path).toBe(400);
  }, 120_000);

  it("forwards every path inside the grammar unchanged, the one it judged", async () => {
    const segment = fc.stringMatching(/^[A-Za-z0-9._~@-]{1,12}$/).filter((s) => s !== "." && s !== ".." && !/^admin(?![a-z0-9])/i.test(s));
    await fc.assert(
      fc.asyncProperty(fc.array(segment, { minLength: 1, maxLength: 5 }), fc.boolean(), async (segments, trailing) => {
        const path = `/${segments.join("/")}${trailing ? "/" : ""}`;
        expect(await send("support-read", path)).toMatchObject({ status: 200, host: consoleHost, path });
      }),
      { numRuns: 60 },
    );
    expect(await send("support-read", "/")).toMatchObject({ status: 200, path: "/" });
  }, 120_000);
});

/** A method-override parameter name as frameworks read it (Rails, Laravel, Symfony, Express, Salesforce, Google), in any case, some letters escaped. */
const overrideName = fc.tuple(fc.constantFrom("_method", "method", "X-HTTP-Method-Override", "x-method-override", "_HttpMethod", "$method", ".method", " method"), fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }), fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }))
  .map(([name, upper, escaped]) => [...name].map((c, i) => {
    const cased = upper[i] ? c.toUpperCase() : c;
    return escaped[i] ? `%${cased.charCodeAt(0).toString(16).padStart(2, "0")}` : encodeURIComponent(cased);
  }).join(""));

describe("the operator gateway forwards no method override in the query", () => {
  it("refuses with 400, for every role, a query parameter a console framework could read as the method, however it is spelled", async () => {
    await fc.assert(
      fc.asyncProperty(overrideName, fc.constantFrom("DELETE", "PUT", "PATCH", "POST"), fc.constantFrom("support-read", "support-write", "admin"), async (name, method, role) => {
        expect(await send(role, `/orgs/acme?q=1&${name}=${method}`)).toEqual({ status: 400 });
      }),
      { numRuns: 100 },
    );
    expect(await send("support-read", "/orgs/acme?_method=DELETE")).toEqual({ status: 400 });
    // Control: "method" as a value, and ordinary parameters, pass to the console unchanged.
    expect(await send("support-read", "/orgs/acme?sort=method&filter[x]=1")).toMatchObject({ status: 200, path: "/orgs/acme?sort=method&filter[x]=1" });
  }, 120_000);

  it("drops a method-override header: a support-read GET reaches the console as a GET with no override header", async () => {
    const response = await gateway.viaGateway("/orgs/acme", { headers: { authorization: `Bearer ${tokens["support-read"] ?? ""}`, "x-http-method-override": "DELETE", "x-method-override": "DELETE" } });
    const seen = (await response.json()) as { method: string; headers: Record<string, string> };
    expect(seen.method).toBe("GET");
    expect(Object.keys(seen.headers).filter((h) => h.includes("override"))).toEqual([]);
  });
});
