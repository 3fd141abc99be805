import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { judgeLogin, loginsToCheck } from "../../local/logins";
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
