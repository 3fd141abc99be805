import { z } from "zod";
import { clustersSchema } from "./cluster-config";
import { OPERATOR_GATEWAY_NAMES } from "./operator-gateway-plan";

/*
 * The platform stack's configuration (the object `tenantry:platform` in platform/Pulumi.platform.yaml):
 * what every org shares, validated once before anything is registered. Pure: no Pulumi import.
 */

const githubIds = (what: string) => z.array(z.number({ error: `must list GitHub ${what} ids (numbers)` }).int().positive(), { error: `must list GitHub ${what} ids` }).max(6, { error: "GitHub allows at most 6 reviewers per environment" }).default([]);

const reviewersSchema = z.strictObject({ users: githubIds("user"), teams: githubIds("team") });

const cloudflareAccountId = z.string({ error: "must be a Cloudflare account id (32 hex digits)" }).regex(/^[0-9a-f]{32}$/, { error: "must be a Cloudflare account id (32 hex digits)" });

const httpsOrigin = (what: string) => z.string({ error: `must be the ${what} (an https origin)` }).refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === "https:" && url.origin === value;
  } catch {
    return false;
  }
}, { error: `must be the ${what}: an https origin, no path (https://host)` });

const httpsUrl = (what: string) => z.string({ error: `must be the ${what} (an https URL)` }).refine((value) => URL.canParse(value) && new URL(value).protocol === "https:", { error: `must be the ${what}: an https URL` });

/**
 * The operator gateway (DESIGN property 9): the Worker in front of the operator console. Its
 * own trust domain (issuer, audience, keys), never the product's; its route on the platform's
 * zone. Absent: no gateway.
 */
export const operatorsSchema = z.strictObject({
  /** Where the operator console runs; the gateway forwards there and nowhere else. */
  consoleOrigin: httpsOrigin("operator console's origin"),
  /** The operator identity provider's issuer, audience and keys. */
  issuer: httpsUrl("operator identity provider's issuer"),
  audience: z.string({ error: "must be the operator console's audience" }).min(1, { error: "must be the operator console's audience" }),
  jwksUrl: httpsUrl("operator identity provider's JWKS URL"),
  /** The Cloudflare account the gateway runs in: one of cloudflareAccounts, whose Secrets Store holds its identity key. */
  accountId: cloudflareAccountId,
  /**
   * The Worker, in the gateway's account, that receives every decision (allow or deny, with its
   * reason, never a token) as a POST: the platform's audit sink. Bound as the gateway's `AUDIT`
   * service; while it refuses an event, the gateway admits no one (503). Required: a gateway
   * whose decisions go nowhere durable is not declared.
   */
  auditService: z.string({ error: "must name the Worker that receives the gateway's audit events" })
    .regex(/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, { error: "must be a Worker script name (lower-case letters, digits and -, at most 63)" })
    .refine((name) => name !== OPERATOR_GATEWAY_NAMES.script, { error: "must be another Worker than the gateway itself: the gateway cannot be its own audit sink" }),
  /** The zone and route pattern operators reach the gateway at (`ops.example.com/*`). */
  zoneId: z.string({ error: "must be a Cloudflare zone id (32 hex digits)" }).regex(/^[0-9a-f]{32}$/, { error: "must be a Cloudflare zone id (32 hex digits)" }),
  route: z.string({ error: "must be a route pattern (host/path*)" }).regex(/^[a-z0-9.-]+\.[a-z]{2,}\/[\w/.*-]*$/, { error: "must be a route pattern: host/path, lower-case, such as ops.example.com/*" }),
});

/** `tenantry:platform`, the platform stack's one config object. */
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
  operators: operatorsSchema.optional(),
  /** The Postgres clusters org databases are placed on (components/cluster-config.ts). Default none: each org stack names its server. */
  clusters: clustersSchema,
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
  // Placement reads clusters without their network; the stack that builds them cannot.
  config.clusters.forEach((cluster, i) => {
    if (cluster.network === undefined) ctx.addIssue({ code: "custom", path: ["clusters", i, "network"], message: "must be set: the VPC, private subnets, availability zones and the deploy and app security groups the cluster is built in (docs/platform.md)" });
  });
  // The gateway's identity key lives in its account's Secrets Store, which this stack creates.
  if (config.operators !== undefined && !config.cloudflareAccounts.includes(config.operators.accountId)) {
    ctx.addIssue({ code: "custom", path: ["operators", "accountId"], message: "must be one of cloudflareAccounts: the gateway's key is kept in that account's Secrets Store" });
  }
});

export type PlatformConfig = z.output<typeof platformConfigSchema>;
