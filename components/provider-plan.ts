import { childName } from "./naming";
import type { ProviderSettings } from "./provider-settings";
import type { OrgSpec } from "./spec";

/*
 * The org's explicit providers, decided here and nowhere else: the component declares them, the
 * pack recognises them. An explicit provider reads only what it is given, never the stack's
 * `aws:*`, `cloudflare:*` or `postgresql:*` config (only a package's default provider does),
 * so no key in a stack file can move an org to another region, API host or server.
 */

/** The packages whose every resource must use the org's own provider. */
export const ORG_PROVIDER_PACKAGES = ["postgresql", "aws", "cloudflare"] as const;
export type OrgProviderPackage = (typeof ORG_PROVIDER_PACKAGES)[number];

/** The type token the engine gives a provider resource of `pkg` (explicit or default). */
export const providerType = (pkg: string) => `pulumi:providers:${pkg}`;

/** `org-acme` -> `org-acme-aws`: the provider's logical name derives from the org component's. */
export function orgProviderName(orgComponent: string, pkg: OrgProviderPackage): string {
  return childName(orgComponent, pkg);
}

/** The tag keys every AWS resource of an org carries, through its provider's default tags. */
export const ORG_TAG_KEYS = { org: "tenantry:org", tier: "tenantry:tier" } as const;

export function orgTags(spec: { readonly slug: string; readonly tier: string }): Record<string, string> {
  return { [ORG_TAG_KEYS.org]: spec.slug, [ORG_TAG_KEYS.tier]: spec.tier };
}

/**
 * The org's AWS provider: its region is the spec's `edge.awsRegion`, never the deploy job's
 * AWS_REGION or `aws:region`; credentials come from the deploy environment. Region validation is
 * on, so a region the provider does not know fails the deploy instead of being tried.
 */
export function awsProviderArgs(spec: Pick<OrgSpec, "slug" | "tier">, awsRegion: string) {
  return {
    region: awsRegion,
    defaultTags: { tags: orgTags(spec) },
    skipRegionValidation: false,
    skipCredentialsValidation: false,
  };
}

/**
 * The org's Postgres provider: every setting from the validated `postgresql:*` stack config
 * (components/provider-settings.ts), so the plugin fills none from PGHOST, PGUSER, PGSSLMODE or
 * the like. The password is added by the component, as a secret; without one the plugin reads
 * PGPASSWORD, a credential of the deploy environment.
 */
export function postgresProviderArgs(settings: ProviderSettings) {
  return {
    host: settings.host,
    port: settings.port,
    username: settings.adminRole,
    database: settings.database,
    sslmode: settings.sslmode,
    superuser: false,
  };
}
