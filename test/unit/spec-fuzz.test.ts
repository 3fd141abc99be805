import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseOrgSpec } from "../../spec/spec";
import { SpecError } from "../../spec/spec-errors";
import { RecordingMonitor } from "../../harness/recording-monitor";
import { runOrg, TYPES } from "../helpers/program";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/** `__proto__` as an own key, as JSON.parse (and so a YAML stack file) produces it. */
const protoKeyed = fc.jsonValue().map((value) => JSON.parse(`{"slug":"acme","workspaces":[{"slug":"web"}],"__proto__":${JSON.stringify(value) ?? "null"}}`) as unknown);

/** Paths into the happy-path spec where a fuzzed value is dropped in. */
const PATHS: (string | number)[][] = [
  [], ["slug"], ["tier"], ["environments"], ["environments", 0], ["workspaces"], ["workspaces", 0, "slug"],
  ["quotas"], ["quotas", "maxConnections"], ["quotas", "statementTimeoutMs"], ["quotas", "lockTimeoutMs"],
  ["quotas", "idleInTransactionTimeoutMs"], ["quotas", "tempFileLimitMb"], ["apps"], ["apps", 0, "access"], ["apps", 0, "access", "users"],
  ["apps", 1, "workspace"], ["apps", 0, "forwardHeaders"], ["secrets", 0, "ref"], ["secrets", 0, "scope"], ["claimedDomains", 0],
  ["breakGlass"], ["breakGlass", "enabled"], ["breakGlass", "expiresAt"], ["constructor"], ["toString"],
];

const hostileValue = fc.oneof(
  fc.anything({ withNullPrototype: true, withObjectString: true, withBigInt: true, withDate: true, withSparseArray: true }),
  fc.constantFrom(0, -1, 1, 63, 64, 60_000, 60_001, Number.NaN, Infinity, -0, 1e308, "", " ", "pg", "pg-x", "a--b", "0", true, false, null, undefined),
  fc.string(),
  fc.array(fc.string(), { maxLength: 4 }),
);

/** The happy-path spec with one value replaced by something hostile. */
function mutated(value: fc.Arbitrary<unknown>) {
  return fc.tuple(fc.constantFrom(...PATHS), value).map(([path, replacement]) => {
    if (path.length === 0) return replacement;
    const org: any = validOrgInput();
    let node = org;
    for (const key of path.slice(0, -1)) node = node?.[key];
    if (node !== null && typeof node === "object") node[path[path.length - 1]!] = replacement;
    return org;
  });
}

const mutatedSpec = mutated(hostileValue);
/** Stack files are YAML, so what reaches the program is JSON data. */
const mutatedStackSpec = fc.oneof(
  mutated(fc.oneof(fc.jsonValue(), fc.constantFrom(0, -1, 64, 60_001, "", "pg", "a--b", true, null))),
  protoKeyed,
);

const anyInput = fc.oneof(mutatedSpec, protoKeyed, fc.anything(), fc.object());

describe("arbitrary input", () => {
  it("yields a typed spec or a SpecError naming tenantry:org, never a crash", () => {
    fc.assert(fc.property(anyInput, (input) => {
      try {
        const spec = parseOrgSpec(input, { now: NOW });
        expect(typeof spec.slug).toBe("string");
      } catch (error) {
        expect(error).toBeInstanceOf(SpecError);
        const problems = (error as SpecError).problems;
        expect(problems.length).toBeGreaterThan(0);
        for (const problem of problems) expect(problem.message.startsWith("tenantry:org")).toBe(true);
      }
    }), { numRuns: 3000 });
  });

  it("run through the real program, registers the whole org or nothing at all", async () => {
    await fc.assert(fc.asyncProperty(mutatedStackSpec, async (input) => {
      const monitor = new RecordingMonitor();
      try {
        const run = await runOrg(input, "org-acme", monitor);
        expect(run.resources.some((r) => r.type === TYPES.database)).toBe(true);
      } catch (error) {
        expect(error).toBeInstanceOf(SpecError);
        expect(monitor.registered.map((r) => r.type)).toEqual([TYPES.stack]);
      }
    }), { numRuns: 150 });
  });
});
