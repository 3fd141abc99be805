import { describe, expect, it, vi } from "vitest";
import { runPolicies } from "../../harness/run-policies";
import * as naming from "../../spec/naming";
import { MAX_WORKSPACES } from "../../spec/spec";
import { runOrg } from "../helpers/program";
import { specProblems, validOrgInput } from "../helpers/spec-builder";

/*
 * An org may declare up to MAX_WORKSPACES workspaces, so nothing the program or the pack does may
 * grow faster than workspaces x environments. Without asserting a timing, each figure below is
 * counted for orgs of 2, 4, 8 and 16 workspaces and must be affine in the workspace count (the
 * same increase for every added workspace): a per-resource loop over every workspace, like the
 * grants that each waited for every schema of their environment, or a pack rule rebuilding the
 * org's schema list for each schema it judged, makes the increase itself grow, and fails here.
 * The operation probe counts every call into spec/naming.ts, which each of those paths goes
 * through (names of schemas and roles), from the program and the pack alike.
 */

vi.mock("../../spec/naming", { spy: true });

const SIZES = [2, 4, 8, 16] as const;

function orgOf(workspaces: number) {
  return { ...validOrgInput(), workspaces: Array.from({ length: workspaces }, (_, i) => ({ slug: i === 0 ? "web" : i === 1 ? "billing" : `ws${i}` })) };
}

const namingCalls = () => Object.values(naming).reduce((sum, f) => sum + (vi.isMockFunction(f) ? f.mock.calls.length : 0), 0);

interface Figures { readonly resources: number; readonly dependencies: number; readonly namesInProgram: number; readonly namesInPack: number; readonly violations: number }

async function figuresFor(workspaces: number): Promise<Figures> {
  vi.clearAllMocks();
  const run = await runOrg(orgOf(workspaces));
  const namesInProgram = namingCalls();
  vi.clearAllMocks();
  const violations = await runPolicies(run.resources);
  return {
    resources: run.resources.length,
    dependencies: run.resources.reduce((sum, r) => sum + r.dependsOn.length, 0),
    namesInProgram,
    namesInPack: namingCalls(),
    violations: violations.length,
  };
}

/** The increase per added workspace between each pair of sizes: all equal when the figure is affine. */
function increasesPerWorkspace(figures: readonly Figures[], figure: keyof Figures): number[] {
  return figures.slice(1).map((f, i) => (f[figure] - (figures[i] as Figures)[figure]) / ((SIZES[i + 1] as number) - (SIZES[i] as number)));
}

describe("an org's growth in workspaces", () => {
  it("accepts up to MAX_WORKSPACES (200) workspaces and refuses one more, naming the bound", () => {
    expect(MAX_WORKSPACES).toBe(200);
    expect(specProblems(orgOf(MAX_WORKSPACES))).toEqual([]);
    expect(specProblems(orgOf(MAX_WORKSPACES + 1))).toEqual(["tenantry:org.workspaces must list 1..200 workspaces"]);
  });

  it("registers resources, dependencies and names, and runs the pack, in work affine in the workspace count", async () => {
    const figures: Figures[] = [];
    for (const size of SIZES) figures.push(await figuresFor(size));
    for (const f of figures) expect(f.violations).toBe(0);
    // The probe sees work at all, and more of it for a bigger org.
    expect((figures[3] as Figures).namesInPack).toBeGreaterThan((figures[0] as Figures).namesInPack);
    expect((figures[3] as Figures).namesInProgram).toBeGreaterThan((figures[0] as Figures).namesInProgram);
    for (const figure of ["resources", "dependencies", "namesInProgram", "namesInPack"] as const) {
      const increases = increasesPerWorkspace(figures, figure);
      expect([figure, increases]).toEqual([figure, increases.map(() => increases[0])]);
    }
  });
});
