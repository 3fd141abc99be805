import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { emailVerified } from "../../workers/lib/email-verified";

describe("emailVerified", () => {
  it("counts an absent claim, true and the string \"true\" as verified", () => {
    for (const claim of [undefined, true, "true"]) expect(emailVerified(claim)).toBe(true);
  });

  it("counts every other value as unverified, whatever its type: \"false\", 0, null, {}, \"TRUE\", \"1\", arrays", () => {
    fc.assert(fc.property(fc.oneof(fc.jsonValue(), fc.anything()), (claim) => {
      fc.pre(claim !== undefined && claim !== true && claim !== "true");
      expect(emailVerified(claim)).toBe(false);
    }), { numRuns: 2_000 });
    for (const claim of ["false", 0, 1, null, {}, [], [true], "", "TRUE", "True", " true", "1", "yes", false]) expect(emailVerified(claim)).toBe(false);
  });
});
