import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { deploymentBranchPatterns, deploymentBranchPolicy, githubEnvironments, type DeploymentBranches } from "../../components/promotion-plan";

/*
 * Which branches may deploy to a GitHub environment, rendered into the flags GitHub's API takes:
 * a policy has exactly one of protectedBranches and customBranchPolicies true, or there is none.
 */

const pattern = fc.stringMatching(/^[A-Za-z0-9._/*-]{1,40}$/);
const branches: fc.Arbitrary<DeploymentBranches> = fc.oneof(
  fc.constant({ kind: "any" } as const),
  fc.constant({ kind: "protected" } as const),
  fc.tuple(pattern, fc.array(pattern, { maxLength: 5 })).map(([first, rest]) => ({ kind: "named", patterns: [first, ...rest] }) as const),
);

describe("a deployment branch policy", () => {
  it("sets exactly one of its two flags true whenever one is declared, for any branches", () => {
    fc.assert(fc.property(branches, (b) => {
      const policy = deploymentBranchPolicy(b);
      if (policy === undefined) return;
      expect([policy.protectedBranches, policy.customBranchPolicies].filter((flag) => flag)).toHaveLength(1);
    }), { numRuns: 500 });
  });

  it("is declared for every kind but 'any', which GitHub reads as every branch", () => {
    fc.assert(fc.property(branches, (b) => {
      expect(deploymentBranchPolicy(b) === undefined).toBe(b.kind === "any");
    }), { numRuns: 200 });
  });

  it("uses custom policies exactly when it names branches, one deployment policy per name", () => {
    fc.assert(fc.property(branches, (b) => {
      expect(deploymentBranchPolicy(b)?.customBranchPolicies === true).toBe(deploymentBranchPatterns(b).length > 0);
      expect(deploymentBranchPatterns(b)).toEqual(b.kind === "named" ? b.patterns : []);
    }), { numRuns: 200 });
  });
});

describe("the platform's environments", () => {
  const config = { repository: "example-org/tenantry-orgs", testReviewers: { users: [1], teams: [] }, prodReviewers: { users: [2, 3], teams: [] } };

  it("admit every branch to preview and main alone to dev, test and prod", () => {
    expect(githubEnvironments(config).map((gate) => [gate.environment, deploymentBranchPolicy(gate.branches), deploymentBranchPatterns(gate.branches)])).toEqual([
      ["preview", undefined, []],
      ["dev", { protectedBranches: false, customBranchPolicies: true }, ["main"]],
      ["test", { protectedBranches: false, customBranchPolicies: true }, ["main"]],
      ["prod", { protectedBranches: false, customBranchPolicies: true }, ["main"]],
    ]);
  });
});
