import { z } from "zod";
import { fallbackMessage, ORG_CONFIG_KEY, problemsFromZod, SpecError } from "./spec-errors";
import { checkCrossFieldRules, PUBLIC_MAIL_DOMAINS } from "./spec-rules";
import { QUOTA_BOUNDS } from "./quota-bounds";
import { SECRET_REFERENCE } from "./secret-reference";
import { boundedInt, domainName, emailAddress, environmentSlug, forwardHeaderList, orgSlug, slug, workspaceSlug } from "./spec-fields";
import { ACTIONS } from "../workers/lib/access-policy";
import { ORG_ROLES } from "./org-roles";
import { edgeSchema } from "./edge-spec";
import { ssoSchema } from "./sso-spec";
import { breakGlassSchema, narrowBreakGlass, type BreakGlass } from "./break-glass-spec";
import { apiKeysSchema, appOriginList } from "./api-keys-spec";
import { integrationsList, webhookSigningSchema, webhooksList } from "./webhooks-spec";
import { placementSchema } from "./placement-spec";

/*
 * The org spec: the `tenantry:org` object of a stack file. Field names are a contract with
 * DESIGN.md, tests and tools outside the code. Everything is strict (unknown keys are errors),
 * bounded both ways, and defaults to the safe value. Rules that relate two fields live in
 * spec-rules.ts.
 */

/*
 * Each field's `.describe()` text is its meaning for users: docs/org-spec.md prints it, and the
 * stack files' JSON Schema carries it, so an editor shows it on hover. Comments say why.
 */

/**
 * The most workspaces an org may declare. Everything an org declares grows linearly in
 * workspaces x environments (test/unit/org-growth.test.ts), and a 200x3 org was measured for
 * check time, local apply time and catalog size (docs/big-orgs.md); the connection budget does
 * not depend on workspaces (logins are per environment).
 */
export const MAX_WORKSPACES = 200;

export const quotasSchema = z
  .strictObject({
    maxConnections: boundedInt(QUOTA_BOUNDS.maxConnections, 20).describe(
      "The org database's finite CONNECTION LIMIT (the per-org concurrency quota), split among its environments' runtime and DDL logins after a reserve for the deploy and an operator.",
    ),
    statementTimeoutMs: boundedInt(QUOTA_BOUNDS.statementTimeoutMs, 5_000).describe("statement_timeout of every login role, in milliseconds: the longest one statement may run."),
    lockTimeoutMs: boundedInt(QUOTA_BOUNDS.lockTimeoutMs, 2_000).describe("lock_timeout of every login role, in milliseconds: the longest a statement waits for a lock; never above statementTimeoutMs."),
    idleInTransactionTimeoutMs: boundedInt(QUOTA_BOUNDS.idleInTransactionTimeoutMs, 10_000).describe(
      "idle_in_transaction_session_timeout of every login role, in milliseconds: a session idle inside an open transaction longer than this is ended.",
    ),
    tempFileLimitMb: boundedInt(QUOTA_BOUNDS.tempFileLimitMb, 512).describe(
      "temp_file_limit of every login role, in MB: the most temporary-file space one session may hold at once (sorts and hashes that spill past work_mem). Set by the platform as a superuser, so no tenant role can lift it.",
    ),
    maxPageSize: boundedInt(QUOTA_BOUNDS.maxPageSize, 500).describe("The largest page an app may request, in rows: declared and validated; not enforced by anything yet."),
    maxConcurrentRequests: boundedInt(QUOTA_BOUNDS.maxConcurrentRequests, 50).describe("How many requests to the org's apps the dispatch router admits at once (the rest get 429); its rate limit is 60 times this per minute."),
  })
  .describe("The org's limits. Each is bounded both ways (0 means no limit in Postgres, so it is refused) and defaults to the safe value.");

export { ORG_ROLES } from "./org-roles";

/**
 * Who may reach an app: exactly one of the four forms. Written as one strict object checked
 * for exactly one key (not a zod union) so a mistake inside a form gets its own precise message.
 */
const appAccessSchema = z
  .strictObject({
    minRole: z.enum(ORG_ROLES, { error: `must be one of ${ORG_ROLES.join(", ")}` }).optional().describe("Members of the org holding this base role or a higher one (owner > admin > developer > viewer)."),
    users: z
      .array(emailAddress, { error: "must be a list of e-mail addresses" })
      .min(1, { error: "must name at least one user" })
      .max(100, { error: "must name at most 100 users" })
      .optional()
      .describe("Only these people, by e-mail address; each must be in one of claimedDomains."),
    workspaceMembers: z.literal(true, { error: "must be true when present" }).optional().describe("Only members of the app's workspace."),
    editorsOnly: z.literal(true, { error: "must be true when present" }).optional().describe("Only editors: members whose role is developer or above."),
  })
  // What the check below requires, in a form JSON Schema carries, so an editor says so too.
  .meta({ minProperties: 1, maxProperties: 1 })
  .superRefine((access, ctx) => {
    const forms = Object.keys(access);
    if (forms.length !== 1) {
      ctx.addIssue({
        code: "custom",
        message: `must set exactly one of minRole, users, workspaceMembers, editorsOnly (got ${forms.length})`,
      });
    }
  })
  .transform((access): AppAccess => {
    if (access.minRole !== undefined) return { minRole: access.minRole };
    if (access.users !== undefined) return { users: access.users };
    if (access.workspaceMembers) return { workspaceMembers: true };
    return { editorsOnly: true };
  });

export type AppAccess =
  | { readonly minRole: (typeof ORG_ROLES)[number] }
  | { readonly users: readonly string[] }
  | { readonly workspaceMembers: true }
  | { readonly editorsOnly: true };

const appSchema = z.strictObject({
  slug: slug(2, 40, "it names the app's Worker in the dispatch namespace").describe("The app's name, unique in the org; it names the app's user Worker in the org's dispatch namespace."),
  workspace: workspaceSlug.describe("The workspace the app belongs to: one of workspaces[].slug."),
  access: appAccessSchema.describe("Who may reach the app through the router: exactly one of minRole, users, workspaceMembers, editorsOnly."),
  forwardHeaders: forwardHeaderList.describe(
    "Request headers this app receives beyond the router's standard ones (docs/edge.md), e.g. x-shop-locale. Every other header is dropped; names that carry identity or credentials, proxy headers and hop-by-hop headers are refused.",
  ),
  origins: appOriginList,
});

const secretSchema = z.strictObject({
  name: z
    .string({ error: "must be an upper-case binding name" })
    .regex(/^[A-Z][A-Z0-9_]{0,63}$/, {
      error: "must be 1..64 characters of A-Z, 0-9 and _, starting with a letter",
    })
    .describe("The name apps use for the secret, e.g. DATABASE_URL; unique per scope."),
  scope: environmentSlug.describe("The one environment whose apps may use the secret: one of environments."),
  ref: z
    .string({ error: "must be a secret reference" })
    .regex(SECRET_REFERENCE, {
      error: "must be a reference aws-secretsmanager:<name>#<key>, never a secret value",
    })
    .describe("Where the value lives: aws-secretsmanager:<org>/<scope>/<name>#<json key>. Never the value itself; the outbound Worker resolves it server-side."),
  allowedHosts: z
    .array(domainName, { error: "must be a list of host names" })
    .max(20, { error: "must list at most 20 hosts" })
    .default([])
    .describe("The only hosts the outbound Worker sends the value to; none (the default) means it is never sent."),
});

/**
 * Every grant a custom role may hold: `*`, an exact action, or the wildcard of each family an
 * action belongs to (`deploy.*`). Listed rather than matched, so the list is the allowlist and
 * JSON Schema carries it whole (an editor completes it).
 */
export const PERMISSION_GRANTS: readonly [string, ...string[]] = [
  "*",
  ...ACTIONS,
  ...new Set(ACTIONS.flatMap((action) => action.split(".").slice(0, -1).map((_, i, parts) => `${parts.slice(0, i + 1).join(".")}.*`))),
];

const permissionGrant = z.enum(PERMISSION_GRANTS, { error: `must be *, one of ${ACTIONS.join(", ")}, or a family wildcard such as deploy.*` });

const customRoleSchema = z.strictObject({
  name: slug(2, 40, "a custom org role")
    .regex(new RegExp(`^(?!(?:${ORG_ROLES.join("|")})$)`), { error: `must not be a base role (${ORG_ROLES.join(", ")})` })
    .describe("The role's name, unique in the org; never a base role's."),
  base: z
    .enum(["viewer", "developer", "admin"], { error: "must be viewer, developer or admin" })
    .default("viewer")
    .describe("The base role it extends: its rank for per-app minRole policies, and the grants it starts from."),
  permissions: z
    .array(permissionGrant, { error: "must be a list of permissions" })
    .max(50, { error: "must list at most 50 permissions" })
    .describe("Actions granted beyond the base role's: *, an action such as deploy.preview, or a family wildcard such as deploy.*."),
});

/**
 * The offboarding marker: the org is on its way out. Written by `tenantry offboard`, it must be
 * merged before a pull request may delete the stack file (`tenantry check-deletions`). An
 * object, not a `lifecycle` enum: the marker is a reviewed decision, so it names who asked and
 * why, and its absence is the one safe default (an active, protected org). While it is set the
 * program revokes the org's access and keeps its data (lifecycle-plan.ts).
 */
const offboardingSchema = z.strictObject({
  requestedBy: emailAddress.describe("Who asked for the org to go: the person accountable for the decision."),
  reason: z
    .string({ error: "must be text" })
    .min(10, { error: "must explain the offboarding in 10..500 characters" })
    .max(500, { error: "must explain the offboarding in 10..500 characters" })
    .describe("Why the org is leaving, in 10..500 characters."),
  ticket: z
    .string({ error: "must be a ticket id or URL" })
    .regex(/^[\x21-\x7e]{1,200}$/, { error: "must be a ticket id or URL: 1..200 printable characters, no spaces" })
    .optional()
    .describe("Where the decision is recorded (an issue key or URL), when there is one."),
});

/**
 * Every field of `tenantry:org` with its own checks, before the rules that relate two fields:
 * what JSON Schema can carry, so the stack files' schema (schema/stack.schema.json) and
 * docs/org-spec.md are rendered from it.
 */
export const orgSpecFields = z
  .strictObject({
    slug: orgSlug.describe("The org's name: it prefixes every cluster-wide name (tn_<org>...) and names the stack, org-<slug>."),
    tier: z
      .enum(["production", "sandbox"], { error: "must be production or sandbox" })
      .default("production")
      .describe("production: the org database is protected and retained on delete; sandbox (a trial): retained only."),
    environments: z
      .array(environmentSlug, { error: "must be a list of environment slugs" })
      .min(1, { error: "must list 1..5 environments" })
      .max(5, { error: "must list 1..5 environments" })
      // Duplicates are a cross-field rule (spec-rules.ts) for its message; this lets an editor see them too.
      .meta({ uniqueItems: true })
      .default(["dev", "test", "prod"])
      .describe("The promotion chain, in order; each gets its own runtime and DDL logins and a schema per workspace."),
    workspaces: z
      .array(z.strictObject({ slug: workspaceSlug.describe("The workspace's name; its schemas are <workspace>_<env>.") }), { error: "must be a list of { slug }" })
      .min(1, { error: `must list 1..${MAX_WORKSPACES} workspaces` })
      .max(MAX_WORKSPACES, { error: `must list 1..${MAX_WORKSPACES} workspaces` })
      // An item is only { slug }, so equal items are exactly repeated slugs.
      .meta({ uniqueItems: true })
      .describe("The org's workspaces: each gets one schema per environment."),
    quotas: quotasSchema.prefault({}),
    apps: z
      .array(appSchema, { error: "must be a list of apps" })
      .max(200, { error: "must list at most 200 apps" })
      .default([])
      .describe("The org's apps: each is a user Worker in the org's dispatch namespace, reachable through the router by its access policy."),
    secrets: z
      .array(secretSchema, { error: "must be a list of secret references" })
      .max(200, { error: "must list at most 200 secrets" })
      .default([])
      .describe("References to secrets in AWS Secrets Manager, each scoped to one environment. Values never appear in the stack file."),
    apiKeys: apiKeysSchema,
    roles: z
      .array(customRoleSchema, { error: "must be a list of custom roles" })
      .max(20, { error: "must list at most 20 custom roles" })
      .default([])
      .describe("Custom org roles: a base role plus named permissions."),
    edge: edgeSchema
      .optional()
      .describe("Where the org's apps run: the Cloudflare account and its Secrets Store, the identity provider whose tokens admit users, the operator domain whose tokens never do, and the AWS region of its secrets. Required when the org has apps or secrets."),
    claimedDomains: z
      .array(domainName.meta({ not: { enum: [...PUBLIC_MAIL_DOMAINS] } }), { error: "must be a list of domain names" })
      .max(20, { error: "must list at most 20 domains" })
      .meta({ uniqueItems: true })
      .default([])
      .describe("The org's own e-mail domains (never a public mail provider): named users and the break-glass grantee must have addresses in them, and with sso.enforce their users must sign in through the org's SSO."),
    sso: ssoSchema
      .prefault({})
      .describe("SSO enforcement for claimedDomains, off by default: when enforced, the router refuses (401) a token for a claimed-domain address unless it says it came through the org's SSO."),
    breakGlass: breakGlassSchema
      .prefault({ enabled: false })
      .describe("Governed emergency access, off by default: when enabled it names a grantee, a reason, an expiry at most 24 h ahead, one environment and read or write access, and is provisioned as one login role that stops working at the expiry."),
    webhooks: webhooksList.describe(
      "Where the org's apps' events are delivered, signed per Standard Webhooks with the org's signing secret, which the platform keeps (docs/webhooks.md).",
    ),
    webhookSigning: webhookSigningSchema
      .prefault({})
      .describe("The rotation of the org's webhook signing secret: generation 1 until the first rotation; during a rotation every delivery carries a signature under the new and the previous secret until previousUntil (docs/webhooks.md#rotating-the-signing-secret)."),
    integrations: integrationsList.describe(
      "Inbound routes whose requests the router verifies by signature and timestamp before the app sees them (docs/webhooks.md).",
    ),
    placement: placementSchema
      .optional()
      .describe("Which platform cluster holds the org database (docs/placement.md). Absent: the small-team path, where the stack names its server in postgresql:host."),
    offboarding: offboardingSchema
      .optional()
      .describe("The offboarding marker, written by tenantry offboard: absent for an active org. While set, the org's logins are turned off and its data is kept."),
  })
  .describe("The org this stack declares: one tenant, one dedicated Postgres database, one dispatch namespace.");

/** The schema of `tenantry:org`; `now` is the clock a break-glass expiry is measured against. */
export function orgSpecSchema(now: Date) {
  return orgSpecFields.superRefine((spec, ctx) => {
    for (const problem of checkCrossFieldRules(spec, now)) {
      ctx.addIssue({ code: "custom", path: [...problem.path], message: problem.message });
    }
  }, {
    // Only over a spec whose every field passed: a rule never reasons about a malformed value.
    when: (payload) => payload.issues.length === 0,
  });
}

/** The spec as zod returns it, before break-glass is narrowed to its two shapes. */
export type ParsedSpec = z.output<ReturnType<typeof orgSpecSchema>>;

/** The validated org spec; components trust it completely. */
export type OrgSpec = Omit<ParsedSpec, "breakGlass"> & { readonly breakGlass: BreakGlass };
export type Quotas = OrgSpec["quotas"];
export type AppSpec = OrgSpec["apps"][number];
export type SecretSpec = OrgSpec["secrets"][number];
export type WebhookSpec = OrgSpec["webhooks"][number];
export type IntegrationSpec = OrgSpec["integrations"][number];
export type Offboarding = NonNullable<OrgSpec["offboarding"]>;

export interface ParseOptions {
  /** The clock a break-glass expiry is measured against. */
  readonly now: Date;
}

/**
 * Validates an untrusted `tenantry:org` value. Throws {@link SpecError} naming every offending
 * field; never throws anything else, whatever the input.
 */
export function parseOrgSpec(input: unknown, options: ParseOptions): OrgSpec {
  const schema = orgSpecSchema(options.now);
  const result = schema.safeParse(input, {
    reportInput: true,
    error: fallbackMessage,
  });
  if (!result.success) throw new SpecError(problemsFromZod(result.error, ORG_CONFIG_KEY, schema));
  return { ...result.data, breakGlass: narrowBreakGlass(result.data.breakGlass, options.now) };
}

/** What `validate` and `up` say about a spec they accept but plan differently from how it reads. */
export function specWarnings(spec: OrgSpec): string[] {
  const { breakGlass } = spec;
  if (breakGlass.enabled || breakGlass.expired === undefined) return [];
  return [`warning: tenantry:org.breakGlass.expiresAt (${breakGlass.expired.expiresAt}) has passed: break-glass for ${breakGlass.expired.grantee} is planned as off, ` +
    "so the next apply drops its login and grants and the ledger records the revocation; set enabled: false to say so"];
}
