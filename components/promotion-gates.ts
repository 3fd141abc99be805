import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { childName } from "../spec/naming";
import { MAIN_APPROVALS, promotionGates, type PlatformConfig } from "./promotion-plan";
import { COMPONENT_TYPES } from "./type-tokens";

/**
 * The promotion chain as code: GitHub environments dev, test and prod with their reviewers,
 * self-review prevented and deployments from protected branches only, and the protection of
 * main that makes a merge need two approving reviews.
 */
export class PromotionGates extends pulumi.ComponentResource {
  constructor(name: string, config: PlatformConfig, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.promotionGates, name, { repository: config.repository }, opts);
    const [, repository] = config.repository.split("/") as [string, string];
    const parent = { parent: this };
    new github.BranchProtection(childName(name, "main"), {
      // The provider takes the repository's name or node id here; the owner is github:owner.
      repositoryId: repository,
      pattern: "main",
      enforceAdmins: true,
      allowsForcePushes: false,
      allowsDeletions: false,
      requireConversationResolution: true,
      // Two approvals, one of them a code owner's (.github/CODEOWNERS), never the author's own.
      requiredPullRequestReviews: [{ requiredApprovingReviewCount: MAIN_APPROVALS, dismissStaleReviews: true, requireLastPushApproval: true, requireCodeOwnerReviews: true }],
      requiredStatusChecks: [{ strict: true, contexts: ["tenantry check (no credentials)"] }],
    }, parent);
    // Pull-request previews run from any branch with read-only credentials, and no reviewer.
    new github.RepositoryEnvironment(childName(name, "preview"), {
      repository,
      environment: "preview",
      canAdminsBypass: false,
      preventSelfReview: false,
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: false },
    }, parent);
    for (const gate of promotionGates(config)) {
      const environment = new github.RepositoryEnvironment(childName(name, gate.stage), {
        repository,
        environment: gate.stage,
        canAdminsBypass: false,
        preventSelfReview: gate.preventSelfReview,
        ...(gate.reviewers === undefined ? {} : { reviewers: [{ users: [...gate.reviewers.users], teams: [...gate.reviewers.teams] }] }),
        // "Protected branches" would admit any protected branch; a custom policy names main alone.
        deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: gate.mainOnly },
      }, parent);
      if (gate.mainOnly) {
        // The stage by name (known in a preview, for the pack), after its environment exists.
        new github.RepositoryEnvironmentDeploymentPolicy(childName(name, gate.stage, "main"), { repository, environment: gate.stage, branchPattern: "main" }, { ...parent, dependsOn: [environment] });
      }
    }
    this.registerOutputs({});
  }
}
