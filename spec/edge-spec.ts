import { z } from "zod";
import { httpsUrl } from "./spec-fields";

/* The org spec's `edge`: split from spec.ts, which keeps the fields of the org itself. */

/** Says where the id comes from: the store is the platform stack's, never the org's. */
const SECRETS_STORE_ID_REQUIRED = "is required: the id of the Cloudflare account's one Secrets Store, which the platform stack creates (pulumi stack output secretsStoreIds, in platform/) or, for an account that already has one, its id (wrangler secrets-store store list --remote)";

/**
 * Where the org's apps run: the Cloudflare account of its dispatch namespace and that
 * account's Secrets Store, the identity provider whose tokens admit users, the operator domain
 * whose tokens never do, and the AWS region of its secrets.
 */
const audience = z.string({ error: "must be text" }).min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters" });

export const edgeSchema = z.strictObject({
  accountId: z
    .string({ error: "must be a Cloudflare account id" })
    .regex(/^[0-9a-f]{32}$/, { error: "must be a Cloudflare account id (32 hex digits)" })
    .describe("The Cloudflare account that holds the org's dispatch namespace, router and outbound Worker."),
  identity: z
    .strictObject({
      issuer: httpsUrl.describe("The iss claim a user's token must carry."),
      audience: audience.describe("The aud claim a user's token must carry."),
      jwksUrl: httpsUrl.describe("Where the router fetches the identity provider's signing keys (https only)."),
    })
    .describe("The identity provider whose tokens admit the org's users to its apps."),
  operator: z
    .strictObject({
      issuer: httpsUrl.describe("The iss claim of operator tokens; must differ from identity.issuer."),
      audience: audience.describe("The aud claim of operator tokens; must differ from identity.audience."),
    })
    .describe("The operators' trust domain: the router refuses its tokens, so an operator never enters a customer app."),
  awsRegion: z
    .string({ error: "must be an AWS region" })
    .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "must be an AWS region such as eu-west-1" })
    .describe("The AWS region of the org's KMS key and Secrets Manager secrets."),
  // Cloudflare allows one Secrets Store per account, so no org creates it: the platform stack
  // does, once per account (or the account had one already), and every org on it names its id.
  secretsStoreId: z
    .string({ error: (issue) => (issue.input === undefined ? SECRETS_STORE_ID_REQUIRED : "must be a Secrets Store id (32 hex digits)") })
    .regex(/^[0-9a-f]{32}$/, { error: "must be a Secrets Store id (32 hex digits)" })
    .describe("The id of the account's one Secrets Store, where the org's edge keys live (as tn-<org>-...): pulumi stack output secretsStoreIds in platform/."),
});
