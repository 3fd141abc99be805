import { z } from "zod";

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

const githubIds = (what: string) => z.array(z.number({ error: `must list GitHub ${what} ids (numbers)` }).int().positive(), { error: `must list GitHub ${what} ids` }).max(6, { error: "GitHub allows at most 6 reviewers per environment" }).default([]);

const reviewersSchema = z.strictObject({ users: githubIds("user"), teams: githubIds("team") });

/** `tenantry-platform:*` config of the platform stack. */
export const platformConfigSchema = z.strictObject({
  /** `owner/name` of the repository holding stacks/. */
  repository: z.string({ error: "must be owner/name" }).regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { error: "must be owner/name" }),
  testReviewers: reviewersSchema,
  prodReviewers: reviewersSchema,
}).superRefine((config, ctx) => {
  const count = (r: { users: number[]; teams: number[] }) => r.users.length + r.teams.length;
  for (const key of ["testReviewers", "prodReviewers"] as const) {
    if (count(config[key]) > 6) ctx.addIssue({ code: "custom", path: [key], message: "may name at most 6 reviewers in all (GitHub's limit per environment)" });
  }
  if (count(config.testReviewers) < 1) ctx.addIssue({ code: "custom", path: ["testReviewers"], message: "must name at least 1 reviewer (user or team)" });
  // Two listed, so that someone other than whoever started the deployment can always approve.
  if (count(config.prodReviewers) < 2) ctx.addIssue({ code: "custom", path: ["prodReviewers"], message: "must name at least 2 reviewers (users or teams)" });
});

export type PlatformConfig = z.output<typeof platformConfigSchema>;

export interface StageGate {
  readonly stage: Stage;
  readonly reviewers: { readonly users: readonly number[]; readonly teams: readonly number[] } | undefined;
  readonly preventSelfReview: boolean;
  /** Deploy only from main (a custom branch policy naming main, not "any protected branch"). */
  readonly mainOnly: boolean;
}

export function promotionGates(config: PlatformConfig): StageGate[] {
  return [
    { stage: "dev", reviewers: undefined, preventSelfReview: false, mainOnly: true },
    { stage: "test", reviewers: config.testReviewers, preventSelfReview: true, mainOnly: true },
    { stage: "prod", reviewers: config.prodReviewers, preventSelfReview: true, mainOnly: true },
  ];
}

/** Approving reviews a pull request into main needs (GitHub never counts the author's own). */
export const MAIN_APPROVALS = 2;
