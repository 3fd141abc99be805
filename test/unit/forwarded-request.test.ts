import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forwardedHeaders, withoutTokenParams } from "../../workers/lib/forwarded-request";
import { clientHeaderNames, STANDARD } from "../helpers/client-headers";

/*
 * The router's header filter, as the internet client sees it: whatever names, casings,
 * separators and repeats a client sends, only the standard headers and the app's declared ones
 * come out. The oracle is the claim itself (lower-cased name on one of the two lists); the
 * controls show the same property catches a filter that normalises `_`, matches prefixes, or
 * judges by a denylist.
 */

type Filter = (received: Headers, declared: readonly string[]) => Headers;

/** A declared list as the spec allows it: lower-case, no `_`. */
const declaredNames = fc.uniqueArray(fc.stringMatching(/^x-[a-z0-9]{1,10}(-[a-z0-9]{1,6})?$/), { maxLength: 4 });

/** What the client sends: each name once or repeated, in whatever case it was generated. */
const requests = declaredNames.chain((declared) =>
  fc.tuple(fc.constant(declared), fc.array(fc.tuple(clientHeaderNames(declared), fc.integer({ min: 1, max: 3 })), { minLength: 1, maxLength: 120, size: "max" })),
);

/** The claim: exactly the sent names whose lower-case form is standard or declared come out, values intact. */
function onlyAllowlistedHeadersPass(filter: Filter, seen: string[] = []) {
  return fc.property(requests, ([declared, sent]) => {
    seen.push(...sent.map(([name]) => name));
    const received = new Headers();
    sent.forEach(([name, repeats], i) => {
      for (let r = 0; r < repeats; r += 1) received.append(name, `value-${i}-${r}`);
    });
    const forwarded = filter(received, declared);
    const allowlisted = new Set([...STANDARD, ...declared]);
    const expected = [...new Set(sent.map(([name]) => name.toLowerCase()).filter((name) => allowlisted.has(name)))].sort();
    expect([...forwarded.keys()].sort()).toEqual(expected);
    for (const name of expected) expect(forwarded.get(name)).toBe(received.get(name));
  });
}

describe("the router's header allowlist", () => {
  it("drops every header not on the allowlist, whatever its case or separators, and keeps every allowlisted one (thousands of names)", () => {
    const seen: string[] = [];
    fc.assert(onlyAllowlistedHeadersPass(forwardedHeaders, seen), { numRuns: 100 });
    // The generators reach what the claim is about: thousands of distinct names, standard ones
    // in other casings, their _ variants, and names that extend an allowlisted one.
    const distinct = new Set(seen);
    expect(distinct.size).toBeGreaterThan(3_000);
    expect(seen.filter((n) => n !== n.toLowerCase() && STANDARD.includes(n.toLowerCase())).length).toBeGreaterThan(50);
    expect(seen.filter((n) => n.includes("_") && STANDARD.includes(n.toLowerCase().replace(/_/g, "-"))).length).toBeGreaterThan(50);
    expect(seen.filter((n) => !STANDARD.includes(n.toLowerCase()) && STANDARD.some((a) => n.toLowerCase().startsWith(a))).length).toBeGreaterThan(50);
  });

  it("forwards every standard header, in any casing and repeated, with its value", () => {
    const received = new Headers();
    for (const name of STANDARD) {
      received.append(name.toUpperCase(), `${name} one`);
      received.append(name, `${name} two`);
    }
    const forwarded = forwardedHeaders(received, []);
    expect([...forwarded.keys()].sort()).toEqual([...STANDARD].sort());
    for (const name of STANDARD) expect(forwarded.get(name)).toBe(`${name} one, ${name} two`);
  });

  it("forwards a declared header only to the app that declared it", () => {
    const received = new Headers({ "X-Shop-Locale": "de-CH", accept: "text/html" });
    expect(forwardedHeaders(received, ["x-shop-locale"]).get("x-shop-locale")).toBe("de-CH");
    expect(forwardedHeaders(received, []).get("x-shop-locale")).toBeNull();
  });

  it("forwards no cookie, no credential and none of the router's own headers, whatever is declared beside them", () => {
    const received = new Headers({
      cookie: "theme=dark; CF_Authorization=stolen", authorization: "Bearer stolen", "proxy-authorization": "Basic c3RvbGVu",
      "x-tenantry-identity": "forged", "x-forwarded-user": "admin", "x-shop-locale": "fr",
    });
    expect([...forwardedHeaders(received, ["x-shop-locale"]).keys()]).toEqual(["x-shop-locale"]);
  });

  describe("controls: the same property fails for filters that are not an exact allowlist", () => {
    const fails = (filter: Filter) => expect(() => fc.assert(onlyAllowlistedHeadersPass(filter), { numRuns: 300 })).toThrow();
    const keep = (test: (name: string, declared: readonly string[]) => boolean): Filter => (received, declared) => {
      const out = new Headers();
      received.forEach((value, name) => { if (test(name, declared)) out.append(name, value); });
      return out;
    };
    const allowlist = (name: string, declared: readonly string[]) => STANDARD.includes(name) || declared.includes(name);

    it("one that reads _ as -", () => fails(keep((name, declared) => allowlist(name.replace(/_/g, "-"), declared))));
    it("one that matches allowlisted prefixes", () => fails(keep((name, declared) => [...STANDARD, ...declared].some((a) => name.startsWith(a)))));
    it("one that ignores what the app declared", () => fails(keep((name) => STANDARD.includes(name))));
    it("a denylist of identity words", () => fails(keep((name) => !/user|email|identity|token|auth|principal|claim|jwt|session|cookie|tenantry|forwarded|remote|cert/.test(name))));
  });
});

describe("the user documentation", () => {
  it("lists exactly the standard headers the router forwards, each with its reason", () => {
    const docs = readFileSync(join(__dirname, "..", "..", "docs", "edge.md"), "utf8");
    const section = docs.slice(docs.indexOf("## The standard request headers"), docs.indexOf("## ", docs.indexOf("## The standard request headers") + 3));
    const rows = [...section.matchAll(/^\| `([^`]+)` \| (.+) \|$/gm)].map(([, name, reason]) => [name, reason?.trim() ?? ""] as const);
    expect(rows.map(([name]) => name)).toEqual([...STANDARD]);
    for (const [, reason] of rows) expect(reason.length).toBeGreaterThan(10);
  });
});

describe("token query parameters", () => {
  it("are stripped; other parameters and the URL's encoding are kept", () => {
    expect(withoutTokenParams(new URL("https://a.example/p?access_token=t&page=2&id_token=t")).toString()).toBe("https://a.example/p?page=2");
    const untouched = new URL("https://a.example/p?q=a%20b&page=2");
    expect(withoutTokenParams(untouched)).toBe(untouched);
  });
});
