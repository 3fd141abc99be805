import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { canonicalConsolePath, isAdminPath } from "../../workers/lib/console-path";
import { refusedQueryParam } from "../../workers/lib/console-query";
import { allowlistKey, decideOperator, OPERATOR_ROLES, type AllowlistEntry } from "../../workers/lib/operator-access";
import { allowlistMigrationSql } from "../../workers/lib/operator-allowlist-sql";

/* The operator gateway's verdict, judged as the operator adversary: an operator-domain token, and an allowlist that changes. */

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "get", "post"];
const email = fc.tuple(fc.stringMatching(/^[a-z0-9.]{1,12}$/), fc.constantFrom("ops.example", "tenantry.dev")).map(([local, domain]) => `${local}@${domain}`);
const path = fc.oneof(
  fc.constantFrom("/", "/admin", "/admin/", "/admin/users", "/orgs/acme", "/administer", "/ADMIN/users", "/%61dmin/users", "/admin;x/users", "//evil.example/steal", "/Admin.json"),
  fc.stringMatching(/^\/[a-zA-Z/;%.]{0,20}$/),
);
const entryFor = (address: string) =>
  fc.record({
    email: fc.constant(address),
    role: fc.oneof(fc.constantFrom(...OPERATOR_ROLES), fc.string({ maxLength: 12 })),
    expiresAt: fc.option(fc.integer({ min: NOW - 86_400_000, max: NOW + 86_400_000 }), { nil: null }),
    grantedBy: email,
  });

describe("decideOperator", () => {
  it("refuses with 401, whatever the allowlist holds, when no operator token verified", () => {
    fc.assert(fc.property(email.chain(entryFor), fc.constantFrom(...METHODS), path, (entry, method, p) => {
      expect(decideOperator({ email: undefined, entry, method, path: p, search: "", now: NOW })).toMatchObject({ allow: false, status: 401 });
    }));
  });

  it("refuses with 403 an address with no entry, or an entry for any other address", () => {
    fc.assert(fc.property(email, email, fc.constantFrom(...OPERATOR_ROLES), fc.constantFrom(...METHODS), path, (who, other, role, method, p) => {
      fc.pre(who !== other);
      expect(decideOperator({ email: who, entry: undefined, method, path: p, search: "", now: NOW })).toMatchObject({ allow: false, status: 403, reason: "not on the allowlist" });
      const theirs: AllowlistEntry = { email: other, role, expiresAt: null, grantedBy: "lead@ops.example" };
      expect(decideOperator({ email: who, entry: theirs, method, path: p, search: "", now: NOW })).toMatchObject({ allow: false, status: 403 });
    }));
  });

  it("refuses an entry whose expiry is now or past, and never refuses one for expiry before it", () => {
    fc.assert(fc.property(email, fc.integer({ min: -86_400_000, max: 86_400_000 }), (who, offset) => {
      const entry: AllowlistEntry = { email: who, role: "admin", expiresAt: NOW + offset, grantedBy: "lead@ops.example" };
      const decision = decideOperator({ email: who, entry, method: "GET", path: "/", search: "", now: NOW });
      expect(decision.allow).toBe(offset > 0);
      if (!decision.allow) expect(decision.reason).toBe("allowlist entry expired");
    }));
  });

  it("allows exactly: a known role, unexpired, a path and query in the grammar, support-read only with safe methods, /admin in any case only for admin", () => {
    const search = fc.constantFrom("", "?q=1", "?sort=method", "?_method=DELETE", "?X-HTTP-Method-Override=PUT", "?a%20b=1");
    fc.assert(fc.property(email.chain(entryFor), fc.constantFrom(...METHODS), path, search, (entry, method, p, q) => {
      const decision = decideOperator({ email: entry.email, entry, method, path: p, search: q, now: NOW });
      const known = (OPERATOR_ROLES as readonly string[]).includes(entry.role);
      const live = entry.expiresAt === null || entry.expiresAt > NOW;
      const canonical = canonicalConsolePath(p) !== undefined && refusedQueryParam(q) === undefined;
      const safe = ["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase());
      const adminPath = /^\/admin(?![a-z0-9])/i.test(p);
      const expected = known && live && canonical && (entry.role !== "support-read" || safe) && (entry.role === "admin" || !adminPath);
      expect(decision.allow).toBe(expected);
      if (decision.allow) {
        expect(decision.role).toBe(entry.role);
        // What the gateway forwards is the path judged, unchanged.
        expect(decision.path).toBe(p);
        expect(decision.search).toBe(q);
      } else expect(decision.status).toBe(known && live && !canonical ? 400 : 403);
    }));
  });

  it("never admits a non-admin to a path a console could route to /admin, whatever its spelling", () => {
    const admin = fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }).map((upper) => [..."admin"].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));
    const after = fc.constantFrom("", "/", "/users", ";x/users", ".json", "./users", "_x", "%2fusers", "~");
    fc.assert(fc.property(admin, after, fc.constantFrom("support-read", "support-write"), fc.constantFrom("GET", "POST"), (a, rest, role, method) => {
      const entry: AllowlistEntry = { email: "op@ops.example", role, expiresAt: null, grantedBy: "lead@ops.example" };
      expect(decideOperator({ email: entry.email, entry, method, path: `/${a}${rest}`, search: "", now: NOW }).allow).toBe(false);
    }));
  });
});

describe("the console path grammar", () => {
  const segment = fc.stringMatching(/^[A-Za-z0-9._~@-]{1,12}$/).filter((s) => s !== "." && s !== "..");

  it("keeps every path of unreserved segments (and one trailing slash) unchanged", () => {
    fc.assert(fc.property(fc.array(segment, { minLength: 1, maxLength: 6 }), fc.boolean(), (segments, trailing) => {
      const p = `/${segments.join("/")}${trailing ? "/" : ""}`;
      expect(canonicalConsolePath(p)).toBe(p);
    }));
    expect(canonicalConsolePath("/")).toBe("/");
  });

  it("refuses any path with a character outside the grammar, an empty segment or a dot segment", () => {
    const outside = fc.string({ minLength: 1, maxLength: 3, unit: "binary" }).filter((s) => /[^A-Za-z0-9._~@-]/.test(s.replaceAll("/", "")) || s.includes("//"));
    fc.assert(fc.property(fc.array(segment, { maxLength: 3 }), outside, fc.array(segment, { maxLength: 3 }), (before, bad, after) => {
      expect(canonicalConsolePath(`/${[...before, bad, ...after].join("/")}`)).toBeUndefined();
    }), { numRuns: 2_000 });
    for (const p of ["//evil.example/x", "/a//b", "/a/./b", "/a/../b", "/.", "/%61dmin", "/admin;x", "/a\\b", "/\u00e9", "/a b", "", "a", `/${"a".repeat(1024)}`]) {
      expect(canonicalConsolePath(p), p).toBeUndefined();
    }
  });

  it("judges /admin in any case, with any suffix after its letters, as admin, and /administer as not", () => {
    for (const p of ["/admin", "/ADMIN/users", "/Admin.json", "/admin./x", "/admin~", "/admin_x", "/admin-tools", "/aDmIn/"]) expect(isAdminPath(p), p).toBe(true);
    for (const p of ["/", "/administer", "/admin2", "/orgs/admin", "/x/ADMIN"]) expect(isAdminPath(p), p).toBe(false);
  });

  it("control: the raw, case-sensitive check it replaced lets the attacker's spellings through", () => {
    const old = /^\/admin(\/|$)/;
    expect(["/ADMIN/users", "/%61dmin/users", "/admin;x/users"].filter((p) => !old.test(p))).toHaveLength(3);
  });
});

describe("the console query grammar", () => {
  const overrideName = fc.tuple(fc.constantFrom("_method", "method", "X-HTTP-Method-Override", "_HttpMethod", "$method", ".method"), fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }))
    .map(([name, upper]) => [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(""));

  it("refuses every parameter name that mentions a method, in any case, however it is escaped", () => {
    fc.assert(fc.property(overrideName, fc.array(fc.boolean(), { minLength: 24, maxLength: 24 }), fc.constantFrom("DELETE", "PUT"), (name, escape, value) => {
      const spelled = [...name].map((c, i) => (escape[i] ? `%${c.charCodeAt(0).toString(16).padStart(2, "0")}` : encodeURIComponent(c))).join("");
      expect(refusedQueryParam(`?q=1&${spelled}=${value}`)).toBe(name);
    }));
  });

  it("refuses names outside ASCII letters, digits, ._~- and brackets (so no framework can normalise one into another), and passes the rest", () => {
    fc.assert(fc.property(fc.string({ minLength: 1, maxLength: 8 }), (name) => {
      const ok = /^[A-Za-z0-9._~[\]-]+$/.test(name) && !/method/i.test(name);
      expect(refusedQueryParam(`?${encodeURIComponent(name)}=1`) === undefined).toBe(ok);
    }), { numRuns: 2_000 });
    expect(refusedQueryParam("?sort=method&filter[x]=1&page=2")).toBeUndefined();
    expect(refusedQueryParam("")).toBeUndefined();
  });
});

describe("allowlistKey", () => {
  it("lower-cases ASCII addresses and refuses any address outside ASCII, so no case folding merges two", () => {
    fc.assert(fc.property(email, (address) => {
      expect(allowlistKey(address.toUpperCase())).toBe(address);
    }));
    expect(allowlistKey("ops@\u212Aelvin.example")).toBeUndefined();
    expect(allowlistKey("no-at-sign")).toBeUndefined();
  });
});

describe("the allowlist migration", () => {
  it("is the committed migration file, rendered", () => {
    const file = readFileSync(join(__dirname, "../../workers/operator-gateway/migrations/0001_operator_allowlist.sql"), "utf8");
    expect(file).toBe(allowlistMigrationSql());
  });

  it("lets the store itself refuse a role the gateway does not know", () => {
    for (const role of OPERATOR_ROLES) expect(allowlistMigrationSql()).toContain(`'${role}'`);
    expect(allowlistMigrationSql()).toMatch(/CHECK \(role IN \('support-read', 'support-write', 'admin'\)\)/);
  });
});
