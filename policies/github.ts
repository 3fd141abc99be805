import * as github from "@pulumi/github";
import { validateResourceOfType } from "@pulumi/policy";
import { MAIN_APPROVALS } from "../components/promotion-plan";
import { booleanInput } from "./org-providers";
import type { TenantryResourcePolicy, TenantryStackPolicy } from "./policy-types";

/* Promotion with separation of duties: TEST needs a reviewer, PROD two, and never the author. */

const reviewerCount = (reviewers: readonly { users?: readonly number[]; teams?: readonly number[] }[] | undefined) =>
  (reviewers ?? []).reduce((n, r) => n + (r.users?.length ?? 0) + (r.teams?.length ?? 0), 0);

/** The least each promotion environment demands. */
const REQUIRED: Record<string, number> = { test: 1, prod: 2 };

export const githubPromotionGates: TenantryResourcePolicy = {
  name: "github-promotion-gates",
  description: "The test environment has a reviewer and prod at least two; both prevent self-review, deploy from main only, and admins cannot bypass them.",
  rationale: "Separation of duties (posture property 12, README): TEST needs one approval and PROD two, the author never approves their own change, admins cannot skip the gate, and only main deploys.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(github.RepositoryEnvironment, (environment, args, reportViolation) => {
    const required = REQUIRED[environment.environment];
    if (required === undefined) return;
    const found = reviewerCount(environment.reviewers);
    if (found < required) reportViolation(`Environment ${environment.environment} (${args.name}) needs at least ${required} reviewer(s) (has ${found}).`);
    if (environment.preventSelfReview !== true) reportViolation(`Environment ${environment.environment} (${args.name}) must set preventSelfReview: true: an author never approves their own change.`);
    if (environment.canAdminsBypass !== false) reportViolation(`Environment ${environment.environment} (${args.name}) must set canAdminsBypass: false.`);
    const policy = environment.deploymentBranchPolicy;
    if (policy?.protectedBranches !== false || policy.customBranchPolicies !== true) {
      reportViolation(`Environment ${environment.environment} (${args.name}) must deploy from main only (deploymentBranchPolicy: customBranchPolicies true with a RepositoryEnvironmentDeploymentPolicy for main).`);
    }
  }),
};

/**
 * GitHub refuses (422) a deployment branch policy with both flags true or both false
 * (DeploymentBranchPolicySettings in GitHub's REST description); no policy admits every branch.
 */
export const githubDeploymentBranchPolicyValid: TenantryResourcePolicy = {
  name: "github-deployment-branch-policy-valid",
  description: "An environment's deploymentBranchPolicy, when declared, sets exactly one of protectedBranches and customBranchPolicies true, as GitHub's API requires.",
  rationale: "GitHub refuses (HTTP 422) a deployment branch policy with both flags true or both false: the pack says so at preview, not halfway through a deploy of the platform stack.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(github.RepositoryEnvironment, (environment, args, reportViolation) => {
    const policy = environment.deploymentBranchPolicy;
    if (policy === undefined) return;
    const { protectedBranches, customBranchPolicies } = policy;
    if ((booleanInput(protectedBranches) === true) !== (booleanInput(customBranchPolicies) === true)) return;
    reportViolation(`Environment ${environment.environment} (${args.name}) sets protectedBranches ${String(protectedBranches)} and customBranchPolicies ${String(customBranchPolicies)}: GitHub takes exactly one of them true, or no deploymentBranchPolicy to admit every branch.`);
  }),
};

const ENVIRONMENT = "github:index/repositoryEnvironment:RepositoryEnvironment";
const DEPLOYMENT_POLICY = "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy";
const BRANCH_PROTECTION = "github:index/branchProtection:BranchProtection";

/** A stack that declares promotion gates declares all of them: removing one must not pass. */
export const githubPromotionGatesComplete: TenantryStackPolicy = {
  name: "github-promotion-gates-complete",
  description: "A stack with GitHub environments declares test and prod, each limited to main by a deployment policy, and the protection of main.",
  rationale: "Removing a gate must not pass: a stack that drops the prod environment, its branch policy or main's protection would otherwise be judged only on the gates it still declares.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const environments = args.resources.filter((r) => r.type === ENVIRONMENT);
    if (environments.length === 0) return; // not the platform stack
    const names = new Set(environments.map((r) => r.props["environment"]));
    for (const stage of Object.keys(REQUIRED)) {
      if (!names.has(stage)) reportViolation(`The promotion gates have no ${stage} environment: declare it with its reviewers.`);
      const mainOnly = args.resources.some((r) => r.type === DEPLOYMENT_POLICY && r.props["environment"] === stage && r.props["branchPattern"] === "main");
      if (names.has(stage) && !mainOnly) reportViolation(`Environment ${stage} has no deployment policy for main: declare a RepositoryEnvironmentDeploymentPolicy with branchPattern main.`);
    }
    if (!args.resources.some((r) => r.type === BRANCH_PROTECTION && r.props["pattern"] === "main")) {
      reportViolation("The promotion gates do not protect main: declare its BranchProtection.");
    }
  },
};

export const githubMainNeedsTwoApprovals: TenantryResourcePolicy = {
  name: "github-main-needs-two-approvals",
  description: "Merging into main needs two approving reviews, one a code owner's (stale ones dismissed), for admins too, with no force push.",
  rationale: "Every change to stacks, the program and the pack reaches production through main: two approvals (one a code owner's) of the exact change, binding admins too, and no force push that could replace what was approved.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(github.BranchProtection, (protection, args, reportViolation) => {
    if (protection.pattern !== "main") return;
    const reviews = protection.requiredPullRequestReviews?.[0];
    if ((reviews?.requiredApprovingReviewCount ?? 0) < MAIN_APPROVALS) reportViolation(`Branch protection ${args.name} needs requiredApprovingReviewCount of at least ${MAIN_APPROVALS}.`);
    if (reviews?.dismissStaleReviews !== true) reportViolation(`Branch protection ${args.name} must dismiss stale reviews: an approval is for the change it saw.`);
    if (reviews?.requireCodeOwnerReviews !== true) reportViolation(`Branch protection ${args.name} must require a code owner's review (.github/CODEOWNERS).`);
    if (protection.enforceAdmins !== true) reportViolation(`Branch protection ${args.name} must enforce the rules for admins too.`);
    if (protection.allowsForcePushes === true) reportViolation(`Branch protection ${args.name} must not allow force pushes.`);
  }),
};
