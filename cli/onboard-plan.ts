import { stringify } from "yaml";
import { databaseSecretName } from "../components/secret-plan";
import type { SpecProblem } from "../spec/spec-errors";
import { STACK_SCHEMA_MODELINE } from "../harness/stack-file";

/*
 * What `tenantry onboard` writes: a new org's stack file, from the flags and from a template
 * stack's platform settings (provider connection, edge). Pure: the command reads and writes.
 */

export interface OnboardRequest {
  readonly slug: string;
  readonly tier: "production" | "sandbox";
  readonly environments: readonly string[];
  readonly workspaces: readonly string[];
}

/** The platform half of a stack file, shared by every org: copied from the template stack. */
export interface PlatformSettings {
  /** `postgresql:*` values, as the template has them (never a password: that is per stack). */
  readonly provider: Readonly<Record<string, string>>;
  /** The template org's `edge`, or undefined when it has none. */
  readonly edge: Readonly<Record<string, unknown>> | undefined;
  /** The cluster placement proposed for the new org, when the platform declares clusters (fleet/placement.ts). */
  readonly cluster?: string;
}

/** What a placed org's stack may not carry (spec/placement-connection.ts): where it connects is its cluster's. */
const PLACED_DROPPED = ["postgresql:host", "postgresql:port"];

/**
 * A slug that extends another org's, or that another extends (`acme` and `acme-dev`): their
 * names would share a prefix (`tn_acme_` starts `tn_acme_dev_`), which makes prefix-based
 * grants, IAM conditions and log filters ambiguous between two tenants.
 */
export function collidingSlug(slug: string, existing: readonly string[]): string | undefined {
  return existing.find((other) => other === slug || other.startsWith(`${slug}-`) || slug.startsWith(`${other}-`));
}

export function onboardProblems(request: OnboardRequest, existing: readonly string[]): SpecProblem[] {
  const clash = collidingSlug(request.slug, existing);
  if (clash === undefined) return [];
  const message = clash === request.slug
    ? `org ${clash} already exists (stacks/Pulumi.org-${clash}.yaml): change it with a pull request instead`
    : `${request.slug} collides with org ${clash}: one slug may not extend another (their names would share the prefix tn_${[clash, request.slug].sort()[0]?.replace(/-/g, "_")}_)`;
  return [{ field: "slug", message }];
}

/** The stack file text: safe defaults, the database URL of every environment as a secret reference. */
export function renderStackFile(request: OnboardRequest, platform: PlatformSettings): string {
  const org: Record<string, unknown> = {
    slug: request.slug,
    tier: request.tier,
    environments: [...request.environments],
    workspaces: request.workspaces.map((slug) => ({ slug })),
    apps: [],
    ...(platform.edge === undefined ? {} : {
      secrets: request.environments.map((env) => ({ name: "DATABASE_URL", scope: env, ref: `aws-secretsmanager:${databaseSecretName(request.slug, env)}#url` })),
      edge: platform.edge,
    }),
    claimedDomains: [],
    breakGlass: { enabled: false },
    ...(platform.cluster === undefined ? {} : { placement: { cluster: platform.cluster } }),
  };
  const provider = platform.cluster === undefined ? platform.provider
    : Object.fromEntries(Object.entries(platform.provider).filter(([key]) => !PLACED_DROPPED.includes(key)));
  const password = platform.cluster === undefined ? [
    "# secret references in a pull request. The Postgres provider's password is not in this file: set it",
    `#   pulumi config set --secret postgresql:password --stack org-${request.slug}`,
    "# or export PGPASSWORD in the deploy job.",
  ] : [
    `# secret references in a pull request. The org database is on platform cluster ${platform.cluster}`,
    "# (docs/placement.md): the provider reads its endpoint from the platform stack and logs in with an",
    "# RDS IAM token from the deploy job's AWS credentials; no host and no database password here.",
  ];
  const header = [
    STACK_SCHEMA_MODELINE,
    `# Tenant org "${request.slug}": ${request.tier} tier, written by \`tenantry onboard\`. This file is the`,
    "# GitOps source of truth for the org; a pull request that changes it gets a policy-checked preview.",
    "#",
    "# Quotas are the safe defaults (docs/org-spec.md lists every field). Add apps, claimed domains and further",
    ...password,
  ];
  return `${header.join("\n")}\n${stringify({ config: { ...provider, "tenantry:org": org } }, { lineWidth: 0 })}`;
}
