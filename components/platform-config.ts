import { z } from "zod";

/*
 * The platform stack's configuration (`tenantry-platform:*` in platform/Pulumi.platform.yaml):
 * what every org shares, validated once before anything is registered. Pure: no Pulumi import.
 */

const githubIds = (what: string) => z.array(z.number({ error: `must list GitHub ${what} ids (numbers)` }).int().positive(), { error: `must list GitHub ${what} ids` }).max(6, { error: "GitHub allows at most 6 reviewers per environment" }).default([]);

const reviewersSchema = z.strictObject({ users: githubIds("user"), teams: githubIds("team") });

const cloudflareAccountId = z.string({ error: "must be a Cloudflare account id (32 hex digits)" }).regex(/^[0-9a-f]{32}$/, { error: "must be a Cloudflare account id (32 hex digits)" });

/** `tenantry-platform:*` config of the platform stack. */
export const platformConfigSchema = z.strictObject({
  /** `owner/name` of the repository holding stacks/. */
  repository: z.string({ error: "must be owner/name" }).regex(/^[A-Za-z0-9-]+\/[A-Za-z0-9._-]+$/, { error: "must be owner/name" }),
  testReviewers: reviewersSchema,
  prodReviewers: reviewersSchema,
  /**
   * The Cloudflare accounts org edges run in. The platform stack creates each one's Secrets
   * Store, the only one the account may have, and every org on the account names its id in
   * `edge.secretsStoreId`. An account that had a store before tenantry is left out: its orgs
   * name that store. Default none.
   */
  cloudflareAccounts: z.array(cloudflareAccountId, { error: "must list Cloudflare account ids" }).default([]),
}).superRefine((config, ctx) => {
  const count = (r: { users: number[]; teams: number[] }) => r.users.length + r.teams.length;
  for (const key of ["testReviewers", "prodReviewers"] as const) {
    if (count(config[key]) > 6) ctx.addIssue({ code: "custom", path: [key], message: "may name at most 6 reviewers in all (GitHub's limit per environment)" });
  }
  if (count(config.testReviewers) < 1) ctx.addIssue({ code: "custom", path: ["testReviewers"], message: "must name at least 1 reviewer (user or team)" });
  // Two listed, so that someone other than whoever started the deployment can always approve.
  if (count(config.prodReviewers) < 2) ctx.addIssue({ code: "custom", path: ["prodReviewers"], message: "must name at least 2 reviewers (users or teams)" });
  // A second store in one account is what Cloudflare refuses: each account gets exactly one.
  config.cloudflareAccounts.forEach((account, i) => {
    if (config.cloudflareAccounts.indexOf(account) < i) {
      ctx.addIssue({ code: "custom", path: ["cloudflareAccounts", i], message: `lists account ${account} again: Cloudflare allows one Secrets Store per account, so each account is listed once` });
    }
  });
});

export type PlatformConfig = z.output<typeof platformConfigSchema>;
