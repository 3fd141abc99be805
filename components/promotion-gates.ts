import * as github from "@pulumi/github";
import * as pulumi from "@pulumi/pulumi";
import { childName } from "../spec/naming";
import type { PlatformConfig } from "./platform-config";
import { deploymentBranchPatterns, deploymentBranchPolicy, githubEnvironments, MAIN_APPROVALS } from "./promotion-plan";
import { COMPONENT_TYPES } from "./type-tokens";

/**
 * The promotion chain as code: GitHub environments dev, test and prod with their reviewers,
 * self-review prevented and deployments from main only, the preview environment of
 * pull-request previews (any branch), and the protection of main that makes a merge need two
 * approving reviews.
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
    for (const gate of githubEnvironments(config)) {
      const policy = deploymentBranchPolicy(gate.branches);
      const environment = new github.RepositoryEnvironment(childName(name, gate.environment), {
        repository,
        environment: gate.environment,
        canAdminsBypass: false,
        preventSelfReview: gate.preventSelfReview,
        ...(gate.reviewers === undefined ? {} : { reviewers: [{ users: [...gate.reviewers.users], teams: [...gate.reviewers.teams] }] }),
        ...(policy === undefined ? {} : { deploymentBranchPolicy: policy }),
      }, parent);
      for (const pattern of deploymentBranchPatterns(gate.branches)) {
        // The environment by name (known in a preview, for the pack), after the environment exists.
        new github.RepositoryEnvironmentDeploymentPolicy(childName(name, gate.environment, pattern), { repository, environment: gate.environment, branchPattern: pattern }, { ...parent, dependsOn: [environment] });
      }
    }
    this.registerOutputs({});
  }
}
