import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { interruptedLine } from "../../cli/local-session";
import { localPaths } from "../../local/paths";
import { recordProofObject } from "../../local/proof-objects";
import { writeState, type PendingChange } from "../../local/state";

/*
 * What an interrupted local command tells the user about the state it leaves, checked against
 * generated states: each sentence must be true of that state, and only then said.
 */

const scratch = mkdtempSync(join(tmpdir(), "tenantry-session-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

describe("the line an interrupted command prints", () => {
  const pendingChange: PendingChange = { urn: "urn:role", action: "update", inputs: {} };

  it("says the next run resumes exactly when the state marks a change pending, and counts leftover proof objects", () => {
    fc.assert(fc.property(fc.array(fc.boolean(), { maxLength: 3 }), fc.nat({ max: 3 }), fc.constantFrom("SIGINT", "SIGTERM") as fc.Arbitrary<NodeJS.Signals>, fc.boolean(), (stacks, leftovers, signal, forced) => {
      const paths = localPaths(join(scratch, String((dirs += 1))));
      writeState(paths, { version: 1, stacks: Object.fromEntries(stacks.map((hasPending, i) => [`org-${i}`, { resources: [], pending: hasPending ? [pendingChange] : [] }])) });
      for (let i = 0; i < leftovers; i += 1) recordProofObject(paths.proofFile, { kind: "role", role: `tenantry__proof_outsider_${i}` });
      const line = interruptedLine(signal, paths, forced ? "forced" : "clean");
      expect(line.includes("the next run resumes from here")).toBe(stacks.includes(true));
      expect(line.includes(`${leftovers} proof object(s) may remain`)).toBe(leftovers > 0);
      expect(line.startsWith(`interrupted by ${signal}`)).toBe(true);
      expect(line).not.toContain("\n");
    }), { numRuns: 40 });
  });
});
