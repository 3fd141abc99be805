import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { grantOf } from "../../local/operator-allowlist";
import { CLOUDFLARE_API, d1QueryUrl, d1RouteProblems } from "../../remote/d1-http";
import { OPERATOR_ROLES } from "../../workers/lib/operator-access";
import { DELETE_ENTRY_SQL, LIST_ENTRIES_SQL, revokeStatement, listStatement, UPSERT_ENTRY_SQL } from "../../workers/lib/operator-allowlist-sql";

/*
 * The statements `tenantry operators` sends (locally and through Cloudflare's D1 route alike),
 * and the route's own input, judged as someone who controls the address, the grantor or the ids.
 */

const ascii = fc.string({ unit: fc.constantFrom(..."abc'\";-()*/=%_\\ORDROP01"), minLength: 1, maxLength: 30 });
const ACCOUNT = "0123456789abcdef0123456789abcdef";
const DATABASE = "9f1c2b3a-4d5e-4f60-8a7b-0c1d2e3f4a5b";

describe("the allowlist's statements", () => {
  it("keep the SQL text fixed and carry every value, as text, only in params, whatever the address and grantor say", () => {
    fc.assert(fc.property(ascii.filter((s) => !s.includes(" ")), ascii.filter((s) => s.trim() !== ""), fc.constantFrom(...OPERATOR_ROLES), fc.option(fc.integer({ min: 1, max: 2 ** 45 }), { nil: undefined }), (local, grantedBy, role, expiresAt) => {
      const statement = grantOf({ email: `${local}@ops.example`, role, grantedBy, ...(expiresAt === undefined ? {} : { expiresAt }) }, 1_700_000_000_000);
      expect(statement.sql).toBe(UPSERT_ENTRY_SQL);
      expect(statement.params).toEqual([`${local}@ops.example`.toLowerCase(), role, expiresAt === undefined ? "" : String(expiresAt), grantedBy, "1700000000000"]);
      expect(statement.params.every((p) => typeof p === "string")).toBe(true);
      expect(revokeStatement(statement.params[0] ?? "")).toEqual({ sql: DELETE_ENTRY_SQL, params: [statement.params[0]] });
    }));
    expect(listStatement()).toEqual({ sql: LIST_ENTRIES_SQL, params: [] });
  });

  it("are refused before they are built for an address outside ASCII, an unknown role, or no grantor", () => {
    expect(() => grantOf({ email: "ops@\u212Aelvin.example", role: "admin", grantedBy: "lead" }, 0)).toThrow(/not an ASCII e-mail address/);
    expect(() => grantOf({ email: "ops@example.com", role: "root" as never, grantedBy: "lead" }, 0)).toThrow(/role must be one of/);
    expect(() => grantOf({ email: "ops@example.com", role: "admin", grantedBy: "  " }, 0)).toThrow(/names who granted it/);
  });
});

describe("Cloudflare's D1 query route", () => {
  it("is the documented path under Cloudflare's API for a well-formed account and database", () => {
    expect(d1QueryUrl({ accountId: ACCOUNT, databaseId: DATABASE })).toBe(`${CLOUDFLARE_API}/accounts/${ACCOUNT}/d1/database/${DATABASE}/query`);
    expect(d1RouteProblems({ accountId: ACCOUNT, databaseId: DATABASE, token: "t" })).toEqual([]);
  });

  it("refuses any account or database id that is not the id's own shape, so no id can reshape the URL", () => {
    const id = fc.string({ unit: fc.constantFrom(..."0123456789abcdefABCDEF-/.?#%:@ "), maxLength: 40 });
    fc.assert(fc.property(id, id, (accountId, databaseId) => {
      const problems = d1RouteProblems({ accountId, databaseId, token: "t" });
      const wellFormed = /^[0-9a-f]{32}$/.test(accountId) && /^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$/.test(databaseId);
      expect(problems.length === 0).toBe(wellFormed);
      if (wellFormed) expect(new URL(d1QueryUrl({ accountId, databaseId })).pathname).toBe(`/client/v4/accounts/${accountId}/d1/database/${databaseId}/query`);
    }));
    // Control: the shapes above are reachable, so the property is not vacuous.
    expect(d1RouteProblems({ accountId: ACCOUNT.toUpperCase(), databaseId: `${DATABASE}/../x`, token: "t" })).toHaveLength(2);
  });

  it("refuses a missing or blank token", () => {
    expect(d1RouteProblems({ accountId: ACCOUNT, databaseId: DATABASE, token: " " })).toEqual(["CLOUDFLARE_API_TOKEN must hold a Cloudflare API token with D1 edit on the gateway's account"]);
  });
});
