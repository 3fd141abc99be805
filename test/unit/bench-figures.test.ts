import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditUpdateRatio, checkAllRatio, jsonFigures, ratioOnLine, renderTable, verdict } from "../../bench/figures";

/*
 * `npm run bench` reads other benches' output (bench/figures.ts): it must take the figure the
 * bench printed, and say "not measured" rather than invent one when the output does not show it.
 * The samples are the benches' own lines as docs/benchmarks.md quotes them.
 */

const AUDIT = `bench/audit-overhead: 10000 rows per statement, 7 rounds (median), one embedded server, one session
                                        INSERT    UPDATE    DELETE
  audited / plain                        3.03x     2.31x     6.59x
  anchor / plain                         6.05x     3.43x    11.39x
  audited / plain (server CPU)           2.91x     2.85x     5.00x`;
const CHECK = `bare require('@pulumi/pulumi'): 526 ms (median of 5)
cold tenantry check org-acme:   1355 ms (median of 5)  ratio 2.58x (goal <= 3x)
check --all over 1000 org stacks: 44.4 s on 2 CPUs (44 ms per stack; goal <= 60 s for 1,000 on 2 cores)`;

describe("the bench table's readers", () => {
  it("take the UPDATE column of the audited / plain wall-time row, not the anchor's or the CPU row", () => {
    expect(auditUpdateRatio(AUDIT)).toBe(2.31);
  });

  it("take the measured ratio on a labelled line, not the goal printed after it", () => {
    expect(ratioOnLine(CHECK, /cold tenantry check org-acme/)).toBe(2.58);
    expect(ratioOnLine("  router / direct    : 0.84x   (goal >= 0.8x: met)", /router \/ direct/)).toBe(0.84);
  });

  it("compute check --all over one bare require from the printed seconds and milliseconds", () => {
    expect(checkAllRatio(CHECK)?.ratio).toBeCloseTo(44_400 / 526, 6);
    expect(checkAllRatio(CHECK)?.stacks).toBe(1000);
  });

  it("prefer a bench's JSON line, and ignore a line that only looks like one", () => {
    const output = `{"figures":[{"figure":"router / direct throughput","ratio":0.93}]}\n{"figures": broken\n`;
    expect(jsonFigures(output).get("router / direct throughput")).toBe(0.93);
  });

  it("find no figure in output that does not print it, whatever that output is", () => {
    fc.assert(fc.property(fc.string().filter((s) => !/\dx/.test(s) && !s.includes("{\"figures\"")), (noise) => {
      expect(auditUpdateRatio(noise)).toBeUndefined();
      expect(ratioOnLine(noise, /router \/ direct/)).toBeUndefined();
      expect(checkAllRatio(noise)).toBeUndefined();
      expect(jsonFigures(noise).size).toBe(0);
    }));
  });
});

describe("the bench table", () => {
  it("judges each ratio against its goal's direction", () => {
    expect(verdict({ ratio: 1.5, goal: { op: "<=", value: 1.5 } })).toBe("met");
    expect(verdict({ ratio: 1.51, goal: { op: "<=", value: 1.5 } })).toBe("missed");
    expect(verdict({ ratio: 0.89, goal: { op: ">=", value: 0.9 } })).toBe("missed");
    expect(verdict({ ratio: undefined, goal: { op: ">=", value: 0.9 } })).toBe("not measured");
  });

  it("prints a missing figure as not measured, with the reason, never as met", () => {
    const table = renderTable([{ figure: "check of a 200x3 org / of a 2x3 org", ratio: undefined, goal: { op: "<=", value: 5 }, note: "bench/generated-orgs.ts is not on this branch" }]);
    expect(table).toContain("| check of a 200x3 org / of a 2x3 org | —        | ≤ 5x | not measured |");
    expect(table).toContain("- check of a 200x3 org / of a 2x3 org: bench/generated-orgs.ts is not on this branch");
  });
});
