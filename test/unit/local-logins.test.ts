import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planMigrations } from "../../components/migration-plan";
import { SQL_MIGRATION_KIND } from "../../components/sql-migration";
import { judgeLogin, loginsToCheck } from "../../local/logins";
import { roleSettingMigrations } from "../../local/role-settings";
import { TYPE } from "../../local/provider-sql";
import type { AppliedResource } from "../../local/state";

/*
 * "No changes" rests on these two decisions: which logins must authenticate, and what counts as
 * having authenticated. A refusal misread as a success would hide a broken password again.
 */

const NOW = new Date("2026-11-20T12:00:00Z");

function role(inputs: Record<string, unknown>): AppliedResource {
  return { urn: `urn:${String(inputs["name"])}`, type: TYPE.role, name: String(inputs["name"]), inputs, inputsHash: "h", protect: false, retainOnDelete: false, dependsOn: [] };
}

describe("which logins must authenticate", () => {
  it("every LOGIN role with a stored password and no past expiry, and no other resource", () => {
    const expiry = fc.oneof(
      fc.constantFrom(undefined, "", "infinity", "Infinity"),
      fc.integer({ min: -48, max: 48 }).map((hours) => new Date(NOW.getTime() + hours * 3_600_000 + 1).toISOString()),
    );
    fc.assert(fc.property(fc.boolean(), fc.option(fc.string(), { nil: undefined }), expiry, fc.boolean(), (login, password, validUntil, isRole) => {
      const resource = role({ name: "tn_x_dev_runtime", login, password, validUntil });
      const checked = loginsToCheck([isRole ? resource : { ...resource, type: TYPE.schema }], NOW);
      const expired = validUntil !== undefined && validUntil !== "" && validUntil.toLowerCase() !== "infinity" && Date.parse(validUntil) <= NOW.getTime();
      expect(checked.length === 1).toBe(isRole && login && password !== undefined && password !== "" && !expired);
    }));
  });
});

describe("what counts as having authenticated", () => {
  it("only a connection, or a refusal the server sends after the password was accepted", () => {
    const sqlstate = fc.stringMatching(/^[0-9A-Z]{5}$/);
    fc.assert(fc.property(fc.oneof(sqlstate, fc.constantFrom("42501", "53300", "3D000", "28P01", "28000", "57P03", "connection-error")), (code) => {
      const verdict = judgeLogin(code);
      expect(verdict === "authenticates").toBe(["42501", "53300", "3D000"].includes(code));
      expect(verdict === "password rejected").toBe(code === "28P01");
    }));
    expect(judgeLogin(undefined)).toBe("authenticates");
  });
});

describe("which migrations every up runs again to put role settings back", () => {
  const migration = (name: string, kind: unknown = SQL_MIGRATION_KIND): AppliedResource =>
    ({ ...role({ name }), urn: `urn:m:${name}`, type: TYPE.dynamic, inputs: { kind, migration: name, database: "postgres", sql: "SELECT 1", elevated: false } });

  it("the lock-timeouts and guardrails migrations of any org, and not the audit ledger, another dynamic resource or a role", () => {
    const slug = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
    fc.assert(fc.property(slug, (org) => {
      const planned = Object.values(planMigrations({
        slug: org, environments: ["dev"], workspaces: ["web"], lockTimeoutMs: 1000, statementTimeoutMs: 1000, idleInTransactionTimeoutMs: 1000, tempFileLimitMb: 16, providerDatabase: "postgres",
      })).map((plan) => migration(plan.migration));
      const others = [migration(`${org}-lock-timeouts`, "other:Dynamic"), role({ name: `${org}-guardrails` })];
      expect(roleSettingMigrations([...planned, ...others]).map((r) => r.name)).toEqual([`${org}-lock-timeouts`, `${org}-guardrails`]);
    }));
  });
});
