import fc from "fast-check";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { allowlistKey, decideOperator, OPERATOR_ROLES, type AllowlistEntry } from "../../workers/lib/operator-access";
import { allowlistMigrationSql } from "../../workers/lib/operator-allowlist-sql";

/* The operator gateway's verdict, judged as the operator adversary: an operator-domain token, and an allowlist that changes. */

const NOW = Date.UTC(2026, 10, 27, 12, 0, 0);
const METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH", "DELETE", "get", "post"];
const email = fc.tuple(fc.stringMatching(/^[a-z0-9.]{1,12}$/), fc.constantFrom("ops.example", "tenantry.dev")).map(([local, domain]) => `${local}@${domain}`);
const path = fc.oneof(fc.constantFrom("/", "/admin", "/admin/", "/admin/users", "/orgs/acme", "/administer"), fc.stringMatching(/^\/[a-z/]{0,20}$/));
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
      expect(decideOperator({ email: undefined, entry, method, path: p, now: NOW })).toMatchObject({ allow: false, status: 401 });
    }));
  });

  it("refuses with 403 an address with no entry, or an entry for any other address", () => {
    fc.assert(fc.property(email, email, fc.constantFrom(...OPERATOR_ROLES), fc.constantFrom(...METHODS), path, (who, other, role, method, p) => {
      fc.pre(who !== other);
      expect(decideOperator({ email: who, entry: undefined, method, path: p, now: NOW })).toMatchObject({ allow: false, status: 403, reason: "not on the allowlist" });
      const theirs: AllowlistEntry = { email: other, role, expiresAt: null, grantedBy: "lead@ops.example" };
      expect(decideOperator({ email: who, entry: theirs, method, path: p, now: NOW })).toMatchObject({ allow: false, status: 403 });
    }));
  });

  it("refuses an entry whose expiry is now or past, and never refuses one for expiry before it", () => {
    fc.assert(fc.property(email, fc.integer({ min: -86_400_000, max: 86_400_000 }), (who, offset) => {
      const entry: AllowlistEntry = { email: who, role: "admin", expiresAt: NOW + offset, grantedBy: "lead@ops.example" };
      const decision = decideOperator({ email: who, entry, method: "GET", path: "/", now: NOW });
      expect(decision.allow).toBe(offset > 0);
      if (!decision.allow) expect(decision.reason).toBe("allowlist entry expired");
    }));
  });

  it("allows exactly: a known role, unexpired, support-read only with safe methods, /admin only for admin", () => {
    fc.assert(fc.property(email.chain(entryFor), fc.constantFrom(...METHODS), path, (entry, method, p) => {
      const decision = decideOperator({ email: entry.email, entry, method, path: p, now: NOW });
      const known = (OPERATOR_ROLES as readonly string[]).includes(entry.role);
      const live = entry.expiresAt === null || entry.expiresAt > NOW;
      const safe = ["GET", "HEAD", "OPTIONS"].includes(method.toUpperCase());
      const adminPath = p === "/admin" || p.startsWith("/admin/");
      const expected = known && live && (entry.role !== "support-read" || safe) && (entry.role === "admin" || !adminPath);
      expect(decision.allow).toBe(expected);
      if (decision.allow) expect(decision.role).toBe(entry.role);
      else expect(decision.status).toBe(403);
    }));
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
