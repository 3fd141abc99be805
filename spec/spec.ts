import { z } from "zod";
import { fallbackMessage, ORG_CONFIG_KEY, problemsFromZod, SpecError } from "./spec-errors";
import { checkCrossFieldRules } from "./spec-rules";
import { QUOTA_BOUNDS } from "./quota-bounds";
import { SECRET_REFERENCE } from "./secret-reference";
import { boundedInt, domainName, emailAddress, environmentSlug, forwardHeaderList, httpsUrl, orgSlug, slug, workspaceSlug } from "./spec-fields";
import { ACTIONS, BASE_ROLES } from "../workers/lib/access-policy";

/*
 * The org spec: the `tenantry:org` object of a stack file. Field names are a contract with
 * DESIGN.md, tests and tools outside the code. Everything is strict (unknown keys are errors),
 * bounded both ways, and defaults to the safe value. Rules that relate two fields live in
 * spec-rules.ts.
 */

export const quotasSchema = z.strictObject({
  /** Finite connection limit of the org database (the per-org quota), split among its environments' login roles. */
  maxConnections: boundedInt(QUOTA_BOUNDS.maxConnections, 20),
  /** `statement_timeout` of every login role. */
  statementTimeoutMs: boundedInt(QUOTA_BOUNDS.statementTimeoutMs, 5_000),
  /** `lock_timeout` of every login role; never above the statement timeout. */
  lockTimeoutMs: boundedInt(QUOTA_BOUNDS.lockTimeoutMs, 2_000),
  /** `idle_in_transaction_session_timeout` of every login role. */
  idleInTransactionTimeoutMs: boundedInt(QUOTA_BOUNDS.idleInTransactionTimeoutMs, 10_000),
  /**
   * `temp_file_limit` of every login role, in MB: the most temporary-file space one session may
   * hold at once (sorts, hashes and materialisations that spill past `work_mem`). Set by the
   * platform as a superuser, so no tenant role can lift it.
   */
  tempFileLimitMb: boundedInt(QUOTA_BOUNDS.tempFileLimitMb, 512),
  /** Largest page an app may request from the data API. */
  maxPageSize: boundedInt(QUOTA_BOUNDS.maxPageSize, 500),
  /** Per-org concurrent requests admitted by the dispatch router. */
  maxConcurrentRequests: boundedInt(QUOTA_BOUNDS.maxConcurrentRequests, 50),
});

/** The base roles, highest first (access-policy.ts ranks them). */
export const ORG_ROLES = ["owner", "admin", "developer", "viewer"] as const satisfies readonly (typeof BASE_ROLES)[number][];

/**
 * Who may reach an app: exactly one of the four forms. Written as one strict object checked
 * for exactly one key (not a zod union) so a mistake inside a form gets its own precise message.
 */
const appAccessSchema = z
  .strictObject({
    minRole: z.enum(ORG_ROLES, { error: `must be one of ${ORG_ROLES.join(", ")}` }).optional(),
    users: z
      .array(emailAddress, { error: "must be a list of e-mail addresses" })
      .min(1, { error: "must name at least one user" })
      .max(100, { error: "must name at most 100 users" })
      .optional(),
    workspaceMembers: z.literal(true, { error: "must be true when present" }).optional(),
    editorsOnly: z.literal(true, { error: "must be true when present" }).optional(),
  })
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
  slug: slug(2, 40, "it names the app's Worker in the dispatch namespace"),
  workspace: workspaceSlug,
  access: appAccessSchema,
  /**
   * Request headers this app receives beyond the router's standard ones (docs/edge.md), e.g.
   * `x-shop-locale`. Every other header is dropped; identity-like names are refused here.
   */
  forwardHeaders: forwardHeaderList,
});

const secretSchema = z.strictObject({
  name: z
    .string({ error: "must be an upper-case binding name" })
    .regex(/^[A-Z][A-Z0-9_]{0,63}$/, {
      error: "must be 1..64 characters of A-Z, 0-9 and _, starting with a letter",
    }),
  scope: environmentSlug,
  ref: z
    .string({ error: "must be a secret reference" })
    .regex(SECRET_REFERENCE, {
      error: "must be a reference aws-secretsmanager:<name>#<key>, never a secret value",
    }),
  /** The only hosts the outbound Worker sends the value to; none means it is never sent. */
  allowedHosts: z
    .array(domainName, { error: "must be a list of host names" })
    .max(20, { error: "must list at most 20 hosts" })
    .default([]),
});

/** An action grant of a custom role: `*`, an exact action, or a prefix wildcard of a known family. */
const permissionGrant = z
  .string({ error: "must be a permission" })
  .refine(
    (p) => p === "*" || (ACTIONS as readonly string[]).includes(p) || (p.endsWith(".*") && ACTIONS.some((a) => a.startsWith(p.slice(0, -1)))),
    { error: `must be *, one of ${ACTIONS.join(", ")}, or a family wildcard such as deploy.*` },
  );

const customRoleSchema = z.strictObject({
  name: slug(2, 40, "a custom org role").refine((name) => !(ORG_ROLES as readonly string[]).includes(name), {
    error: `must not be a base role (${ORG_ROLES.join(", ")})`,
  }),
  /** The base role it extends: its rank for per-app minRole policies, and its grants. */
  base: z.enum(["viewer", "developer", "admin"], { error: "must be viewer, developer or admin" }).default("viewer"),
  permissions: z.array(permissionGrant, { error: "must be a list of permissions" }).max(50, { error: "must list at most 50 permissions" }),
});

/** Says where the id comes from: the store is the platform stack's, never the org's. */
const SECRETS_STORE_ID_REQUIRED = "is required: the id of the Cloudflare account's one Secrets Store, which the platform stack creates (pulumi stack output secretsStoreIds, in platform/) or, for an account that already has one, its id (wrangler secrets-store store list --remote)";

/**
 * Where the org's apps run: the Cloudflare account of its dispatch namespace and that
 * account's Secrets Store, the identity provider whose tokens admit users, the operator domain
 * whose tokens never do, and the AWS region of its secrets.
 */
const edgeSchema = z.strictObject({
  accountId: z.string({ error: "must be a Cloudflare account id" }).regex(/^[0-9a-f]{32}$/, { error: "must be a Cloudflare account id (32 hex digits)" }),
  identity: z.strictObject({
    issuer: httpsUrl,
    audience: z.string({ error: "must be text" }).min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters" }),
    jwksUrl: httpsUrl,
  }),
  operator: z.strictObject({
    issuer: httpsUrl,
    audience: z.string({ error: "must be text" }).min(1, { error: "must not be empty" }).max(200, { error: "must be at most 200 characters" }),
  }),
  awsRegion: z.string({ error: "must be an AWS region" }).regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { error: "must be an AWS region such as eu-west-1" }),
  /**
   * The account's Secrets Store, where the org's edge keys live (as `tn-<org>-...`). Cloudflare
   * allows one store per account, so no org creates it: the platform stack does, once per
   * account (or the account had one already), and every org on the account names its id.
   */
  secretsStoreId: z
    .string({ error: (issue) => (issue.input === undefined ? SECRETS_STORE_ID_REQUIRED : "must be a Secrets Store id (32 hex digits)") })
    .regex(/^[0-9a-f]{32}$/, { error: "must be a Secrets Store id (32 hex digits)" }),
});

/**
 * Off unless a person with a reason and an end time is named. Strict with every field
 * optional, then checked as a whole, so `enabled: false` with leftovers is refused too.
 */
const breakGlassSchema = z.strictObject({
  enabled: z.boolean({ error: "must be true or false" }),
  grantee: emailAddress.optional(),
  reason: z
    .string({ error: "must be text" })
    .min(10, { error: "must explain the emergency in 10..500 characters" })
    .max(500, { error: "must explain the emergency in 10..500 characters" })
    .optional(),
  expiresAt: z
    .string({ error: "must be an ISO 8601 time with a zone" })
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/, {
      error: "must be an ISO 8601 time with a zone, e.g. 2026-01-31T18:00:00Z",
    })
    .optional(),
});

/**
 * The offboarding marker: the org is on its way out. Written by `tenantry offboard`, it must be
 * merged before a pull request may delete the stack file (`tenantry check-deletions`). An
 * object, not a `lifecycle` enum: the marker is a reviewed decision, so it names who asked and
 * why, and its absence is the one safe default (an active, protected org). While it is set the
 * program revokes the org's access and keeps its data (lifecycle-plan.ts).
 */
const offboardingSchema = z.strictObject({
  /** Who asked for the org to go: the person accountable for the decision. */
  requestedBy: emailAddress,
  reason: z
    .string({ error: "must be text" })
    .min(10, { error: "must explain the offboarding in 10..500 characters" })
    .max(500, { error: "must explain the offboarding in 10..500 characters" }),
  /** Where the decision is recorded (an issue key or URL), when there is one. */
  ticket: z
    .string({ error: "must be a ticket id or URL" })
    .regex(/^[\x21-\x7e]{1,200}$/, { error: "must be a ticket id or URL: 1..200 printable characters, no spaces" })
    .optional(),
});

/** The schema of `tenantry:org`; `now` is the clock a break-glass expiry is measured against. */
export function orgSpecSchema(now: Date) {
  return z
    .strictObject({
      slug: orgSlug,
      /** production: the database is protected and retained; sandbox: retained only. */
      tier: z
        .enum(["production", "sandbox"], { error: "must be production or sandbox" })
        .default("production"),
      /** The promotion chain, in order. */
      environments: z
        .array(environmentSlug, { error: "must be a list of environment slugs" })
        .min(1, { error: "must list 1..5 environments" })
        .max(5, { error: "must list 1..5 environments" })
        .default(["dev", "test", "prod"]),
      workspaces: z
        .array(z.strictObject({ slug: workspaceSlug }), { error: "must be a list of { slug }" })
        .min(1, { error: "must list 1..20 workspaces" })
        .max(20, { error: "must list 1..20 workspaces" }),
      quotas: quotasSchema.prefault({}),
      apps: z
        .array(appSchema, { error: "must be a list of apps" })
        .max(200, { error: "must list at most 200 apps" })
        .default([]),
      secrets: z
        .array(secretSchema, { error: "must be a list of secret references" })
        .max(200, { error: "must list at most 200 secrets" })
        .default([]),
      roles: z
        .array(customRoleSchema, { error: "must be a list of custom roles" })
        .max(20, { error: "must list at most 20 custom roles" })
        .default([]),
      edge: edgeSchema.optional(),
      claimedDomains: z
        .array(domainName, { error: "must be a list of domain names" })
        .max(20, { error: "must list at most 20 domains" })
        .default([]),
      breakGlass: breakGlassSchema.prefault({ enabled: false }),
      /** Absent for an active org (the default); see offboardingSchema. */
      offboarding: offboardingSchema.optional(),
    })
    .superRefine((spec, ctx) => {
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
export type Offboarding = NonNullable<OrgSpec["offboarding"]>;

export type BreakGlass =
  | { readonly enabled: false }
  | { readonly enabled: true; readonly grantee: string; readonly reason: string; readonly expiresAt: string };

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
  return { ...result.data, breakGlass: narrowBreakGlass(result.data.breakGlass) };
}

/** The cross-field rules have already required every field of an enabled break-glass. */
function narrowBreakGlass(raw: ParsedSpec["breakGlass"]): BreakGlass {
  const { enabled, grantee, reason, expiresAt } = raw;
  if (!enabled) return { enabled: false };
  if (grantee === undefined || reason === undefined || expiresAt === undefined) {
    throw new Error("unreachable: break-glass fields are checked by spec-rules");
  }
  return { enabled, grantee, reason, expiresAt };
}
