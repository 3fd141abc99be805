import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { breakGlassGrantSql } from "../../components/break-glass-ledger-sql";
import { planMigrations } from "../../components/migration-plan";
import { orgFactsOf, readOrgFacts } from "../../components/org-facts";
import { quoteLiteral } from "../../spec/naming";
import { parseOrgSpec } from "../../spec/spec";
import { PROVIDER_CONFIG, validOrgInput } from "../helpers/spec-builder";

/*
 * The break-glass grant as the ledger's migration records it (break-glass-ledger-sql.ts), as
 * text: what the spec says reaches the SQL as literals only, whatever the stack-file author
 * writes as a reason; the actor function names the org's own role whether break-glass is on or
 * off; the facts the pack renders the migration from carry the grant. Its behaviour on a real
 * Postgres is test/integration/break-glass-ledger.test.ts.
 */

const ROLE = "tn_acme_breakglass";
const hoursFromNow = (hours: number) => new Date(Date.now() + hours * 3_600_000).toISOString();
const provider = { adminRole: "tenantry", host: PROVIDER_CONFIG["postgresql:host"], port: 5432, database: "postgres", sslmode: "require" as const };
const EXPIRES_AT = hoursFromNow(2);
const grantOf = (reason: string) => ({ role: ROLE, grantee: "oncall@acme.com", reason, expiresAt: EXPIRES_AT, environment: "prod", access: "write" as const });

/** Reasons an author could write, biased towards what breaks SQL text: quotes, dollar tags, backslashes. */
const reason = fc.stringMatching(/^[ -~]{10,80}$/).chain((base) => fc.constantFrom(base, `${base}'); DROP TABLE audit.events; --`, `${base} $fn$ $owner$ $$`, `${base}\\'`));

describe("the break-glass grant in the ledger's migration", () => {
  it("puts the reason into the SQL as a quoted literal only, in SQL with no dollar-quoted body it could end, for any reason text", () => {
    fc.assert(fc.property(reason, (text) => {
      const sql = breakGlassGrantSql("tn_acme_audit", grantOf(text));
      const pieces = sql.split(quoteLiteral(text));
      // Twice: once to compare with the live grant, once to insert it.
      expect(pieces).toHaveLength(3);
      // Outside the literals: no dollar quoting, and the same text whatever the reason.
      expect(pieces.join("").includes("$")).toBe(false);
      expect(pieces.join("")).toBe(breakGlassGrantSql("tn_acme_audit", grantOf("x".repeat(10))).split(quoteLiteral("x".repeat(10))).join(""));
    }));
  });

  it("writes the grant as the audit owner, and while off only revokes what is live", () => {
    const onSql = breakGlassGrantSql("tn_acme_audit", grantOf("restore billing after incident 42"));
    const offSql = breakGlassGrantSql("tn_acme_audit", undefined);
    for (const sql of [onSql, offSql]) {
      expect(sql.startsWith('SET LOCAL ROLE "tn_acme_audit";')).toBe(true);
      expect(sql.endsWith("RESET ROLE;")).toBe(true);
    }
    expect(onSql).toContain("INSERT INTO audit.break_glass_grants");
    expect(offSql).not.toContain("INSERT INTO audit.break_glass_grants");
    expect(offSql).toContain("WHERE g.revoked_at IS NULL AND NOT (false)");
  });

  it("renders the actor function with the org's break-glass role whether it is on or off, so turning it on or off never changes who is named", () => {
    const spec = parseOrgSpec({ ...validOrgInput(), breakGlass: { enabled: true, grantee: "oncall@acme.com", reason: "restore billing after incident 42", expiresAt: hoursFromNow(3), environment: "prod", access: "read" } }, { now: new Date() });
    const onLedger = planMigrations(orgFactsOf(spec, provider)).auditLedger.sql;
    const offLedger = planMigrations(orgFactsOf(parseOrgSpec(validOrgInput(), { now: new Date() }), provider)).auditLedger.sql;
    const actorFunction = (sql: string) => /CREATE OR REPLACE FUNCTION audit\.actor\(\)[\s\S]*?\$fn\$;/.exec(sql)?.[0];
    expect(actorFunction(onLedger)).toContain(`session_user = '${ROLE}'`);
    expect(actorFunction(onLedger)).toBe(actorFunction(offLedger));
    expect(onLedger).toContain("'oncall@acme.com'");
    expect(offLedger).not.toContain("oncall@acme.com");
  });

  it("is rendered from facts that carry the grantee and reason, which the pack reads back as registered", () => {
    const spec = parseOrgSpec({ ...validOrgInput(), breakGlass: { enabled: true, grantee: "oncall@acme.com", reason: "restore billing after incident 42", expiresAt: hoursFromNow(3), environment: "prod", access: "read" } }, { now: new Date() });
    const registered = orgFactsOf(spec, provider);
    expect(registered.breakGlass).toMatchObject({ grantee: "oncall@acme.com", reason: "restore billing after incident 42" });
    expect(readOrgFacts({ ...registered })).toEqual(registered);
    const { reason: _reason, ...withoutReason } = registered.breakGlass!;
    expect(readOrgFacts({ ...registered, breakGlass: withoutReason })).toBeUndefined();
  });
});
