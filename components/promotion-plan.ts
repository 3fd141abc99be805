import type { PlatformConfig } from "./platform-config";

/*
 * The promotion gates as data: which GitHub environments exist and who may approve in each.
 * Pure; the PromotionGates component wires it, and the policy pack checks the result.
 * GitHub counts one approval per environment (any one listed reviewer), so PROD's two
 * approvals are the pull request's (branch protection: 2 approving reviews, never the
 * author's own) and then one reviewer of the prod environment, who may not be the person who
 * started the deployment.
 */

export const STAGES = ["dev", "test", "prod"] as const;
export type Stage = (typeof STAGES)[number];

/** The `tenantry:platform` reviewer settings the gates are built from (platform-config.ts validates them). */
export type GateReviewers = Pick<PlatformConfig, "testReviewers" | "prodReviewers">;

/**
 * Which branches may deploy to a GitHub environment, in the three forms GitHub's API knows:
 * every branch (no policy at all), the branches with protection rules, or the branches the
 * environment's custom policies name. GitHub's REST description (DeploymentBranchPolicySettings)
 * takes a policy only with exactly one of its two flags true; the flags are rendered from this
 * type by deploymentBranchPolicy, so no environment can declare both or neither.
 */
export type DeploymentBranches =
  | { readonly kind: "any" }
  | { readonly kind: "protected" }
  | { readonly kind: "named"; readonly patterns: readonly [string, ...string[]] };

/** The `deploymentBranchPolicy` input of @pulumi/github's RepositoryEnvironment. */
export interface DeploymentBranchPolicy {
  readonly protectedBranches: boolean;
  readonly customBranchPolicies: boolean;
}

/**
 * The environment's policy, or undefined for every branch: integrations/terraform-provider-github
 * (resource_github_repository_environment.go) then sends no policy, which go-github's
 * CreateUpdateEnvironment marshals as `deployment_branch_policy: null`, GitHub's "all branches".
 */
export function deploymentBranchPolicy(branches: DeploymentBranches): DeploymentBranchPolicy | undefined {
  switch (branches.kind) {
    case "any":
      return undefined;
    case "protected":
      return { protectedBranches: true, customBranchPolicies: false };
    case "named":
      return { protectedBranches: false, customBranchPolicies: true };
  }
}

/** The branch name patterns to declare as the environment's custom deployment policies. */
export function deploymentBranchPatterns(branches: DeploymentBranches): readonly string[] {
  return branches.kind === "named" ? branches.patterns : [];
}

/** "Protected branches" would admit any protected branch; a custom policy names main alone. */
const MAIN_ONLY: DeploymentBranches = { kind: "named", patterns: ["main"] };

export interface EnvironmentGate {
  /** `preview` (pull-request previews) or a promotion stage. */
  readonly environment: "preview" | Stage;
  readonly reviewers: { readonly users: readonly number[]; readonly teams: readonly number[] } | undefined;
  readonly preventSelfReview: boolean;
  readonly branches: DeploymentBranches;
}

/**
 * The repository's GitHub environments. `preview` holds the read-only credentials of
 * pull-request previews, which run from the pull request's own branch, whatever its name, so
 * it admits every branch (a fork's pull request never gets this repository's secrets); the
 * stages deploy from main only.
 */
export function githubEnvironments(config: GateReviewers): EnvironmentGate[] {
  return [
    { environment: "preview", reviewers: undefined, preventSelfReview: false, branches: { kind: "any" } },
    { environment: "dev", reviewers: undefined, preventSelfReview: false, branches: MAIN_ONLY },
    { environment: "test", reviewers: config.testReviewers, preventSelfReview: true, branches: MAIN_ONLY },
    { environment: "prod", reviewers: config.prodReviewers, preventSelfReview: true, branches: MAIN_ONLY },
  ];
}

/** Approving reviews a pull request into main needs (GitHub never counts the author's own). */
export const MAIN_APPROVALS = 2;
