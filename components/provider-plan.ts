import { childName } from "../spec/naming";
import type { ProviderSettings } from "../spec/provider-settings";
import type { OrgSpec } from "../spec/spec";
import { COMPONENT_TYPES } from "./type-tokens";

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

/** Is `type` a provider resource's, of any package? */
export const isProviderType = (type: string) => type.startsWith(providerType(""));

/** Is `type` a resource type the `pkg` plugin manages (`aws:kms/key:Key` for `aws`)? Its providers are `pulumi:providers:<pkg>`, not its. */
export const isOfPackage = (type: string, pkg: string) => type.startsWith(`${pkg}:`);

/** Every resource the `pkg` plugin manages. */
export function resourcesOfPackage<R extends { readonly type: string }>(resources: readonly R[], pkg: string): R[] {
  return resources.filter((r) => isOfPackage(r.type, pkg));
}

/** `org-acme` -> `org-acme-aws`: the provider's logical name derives from the org component's. */
export function orgProviderName(orgComponent: string, pkg: OrgProviderPackage): string {
  return childName(orgComponent, pkg);
}

/**
 * The type of the resource a URN's resource was declared under (`urn:pulumi:<stack>::<project>::
 * <parent types>$<type>::<name>`), or undefined for a top-level one. The engine chains every
 * ancestor's type there and Pulumi's mock monitor only the parent's: both end with the parent's.
 */
function parentTypeOf(urn: string): string | undefined {
  const types = (urn.split("::")[2] ?? "").split("$");
  return types.length < 2 ? undefined : types[types.length - 2];
}

/**
 * Is `provider` the provider of `pkg` that component `component` (of type `componentType`)
 * declares for its children: of that package's provider type, named `<component>-<pkg>`, and
 * declared under such a component? The pack, the offline harness and the local apply all decide
 * it here: a provider is judged by the same three facts the engine hands a policy pack (type,
 * name, URN), never by its settings alone.
 */
export function isComponentProvider(provider: { readonly type: string; readonly name: string; readonly urn: string }, component: string, componentType: string, pkg: string): boolean {
  return provider.type === providerType(pkg) && provider.name === childName(component, pkg) && parentTypeOf(provider.urn) === componentType;
}

/** Is `provider` the org's own provider of `pkg` (`org-acme-aws`), declared by the OrgTenant component itself? */
export function isOrgProvider(provider: { readonly type: string; readonly name: string; readonly urn: string }, orgComponent: string, pkg: OrgProviderPackage): boolean {
  return isComponentProvider(provider, orgComponent, COMPONENT_TYPES.orgTenant, pkg);
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
 * (spec/provider-settings.ts), so the plugin fills none from PGHOST, PGUSER, PGSSLMODE or
 * the like (its driver still reads PGSSLROOTCERT, PGSSLCERT and PGSSLKEY where the stack sets
 * no file, and the migrations do the same: components/migration-tls.ts). The password is added by the component, as a secret; without one the plugin reads
 * PGPASSWORD, a credential of the deploy environment.
 */
export function postgresProviderArgs(settings: ProviderSettings) {
  return {
    host: settings.host,
    port: settings.port,
    username: settings.adminRole,
    database: settings.database,
    sslmode: settings.sslmode,
    ...(settings.sslrootcert === undefined ? {} : { sslrootcert: settings.sslrootcert }),
    // The SDK sends the block as JSON text (`clientcert`, @pulumi/postgresql provider.js).
    ...(settings.clientcert === undefined ? {} : { clientcert: { cert: settings.clientcert.cert, key: settings.clientcert.key } }),
    superuser: false,
    // Bounds the provider's pool per database to what the connection budget reserves for it.
    maxConnections: settings.maxConnections,
    // A placed org: a short-lived IAM token for the cluster's region instead of a password.
    ...(settings.awsRdsIamRegion === undefined ? {} : { awsRdsIamAuth: true, awsRdsIamRegion: settings.awsRdsIamRegion }),
  };
}
