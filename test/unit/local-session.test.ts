import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { describeUp } from "../../cli/commands/local";
import { interruptedLine } from "../../cli/local-session";
import type { Change } from "../../local/changes";
import { localPaths } from "../../local/paths";
import { recordProofObject } from "../../local/proof-objects";
import { writeState, type PendingChange } from "../../local/state";
import { writeMoveFile } from "../../fleet/move-record";

/*
 * What the local commands tell the user about the state they leave, checked against generated
 * states: each sentence must be true of that state, and only then said.
 */

const scratch = mkdtempSync(join(tmpdir(), "tenantry-session-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;

const admin = { host: "127.0.0.1", port: 5432, user: "tenantry", password: "x", database: "postgres" };
const change = (kind: "create" | "update" | "delete"): Change => {
  const resource = { urn: `urn:${kind}`, type: "t", name: kind, inputs: {}, inputsHash: "h", protect: false, retainOnDelete: false, dependsOn: [] };
  return kind === "delete" ? { kind, previous: resource } : kind === "create" ? { kind, desired: resource } : { kind, desired: resource, previous: resource };
};

describe("the line up prints per stack", () => {
  it("says only what was checked: nothing to apply against the recorded state when the plan was empty, coverage as declared when none drifted, every login authenticating when none was repaired; never that the server matches", () => {
    const changes = fc.array(fc.constantFrom("create", "update", "delete") as fc.Arbitrary<"create" | "update" | "delete">, { maxLength: 4 }).map((kinds) => kinds.map(change));
    const roles = fc.uniqueArray(fc.stringMatching(/^tn_[a-z]{1,6}_(dev|prod)_(runtime|ddl)$/), { maxLength: 3 });
    const drift = fc.array(fc.stringMatching(/^web_dev\.[a-z]{1,6}: trigger tenantry__audit_[a-z]{3,8} is (missing|disabled|reshaped)$/), { maxLength: 5 })
      .map((lines) => (lines.length === 0 ? [] : [{ migration: "x-audit-ledger", drift: lines }]));
    fc.assert(fc.property(changes, roles, roles, drift, (made, repaired, restored, drifted) => {
      const line = describeUp("org-x", { changes: made, repaired, restored, admin, drift: drifted }, "1.0");
      const lines = drifted.flatMap((d) => d.drift);
      expect(line.includes("audit coverage as declared")).toBe(lines.length === 0);
      expect(line.includes(`restored audit coverage (${lines.length} drifted`)).toBe(lines.length > 0);
      for (const shown of lines.slice(0, 3)) expect(line).toContain(shown);
      expect(line.includes("nothing to apply against the recorded local state")).toBe(made.length === 0);
      expect(line.includes("every login role authenticates with its stored password")).toBe(repaired.length === 0);
      // The plan compares with the local state only: the server's role settings and schemas are not compared.
      expect(line).not.toMatch(/matches|no changes/);
      for (const name of repaired) expect(line).toContain(name);
      expect(line.includes("repaired")).toBe(repaired.length > 0);
      // Settings a role changed on itself are named when the up put them back, and only then.
      for (const name of restored) expect(line).toContain(name);
      expect(line.includes("restored the declared settings")).toBe(restored.length > 0);
    }));
  });
});

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

  it("names an unfinished move, and only while it is neither switched nor rolled back", () => {
    const projectDir = join(scratch, "moves");
    const paths = localPaths(projectDir);
    const base = { stack: "org-moving", from: "pg-a", to: "pg-b", rollingBack: false, rolledBack: false, finished: false };
    for (const [record, named] of [[{ ...base, completed: 3, inFlight: "copy" as const }, true], [{ ...base, completed: 6 }, false], [{ ...base, completed: 2, rolledBack: true }, false]] as const) {
      writeMoveFile(projectDir, { org: "moving", record, memberships: [] });
      expect(interruptedLine("SIGINT", paths, "clean").includes("the move of org-moving is unfinished: `tenantry move org-moving` resumes it")).toBe(named);
    }
  });
});
