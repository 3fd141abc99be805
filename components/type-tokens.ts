/**
 * Type tokens of tenantry's own component resources. The components register under them and the
 * policy pack recognises them by them, so they are written once, here.
 */
export const COMPONENT_TYPES = {
  orgTenant: "tenantry:index:OrgTenant",
  orgDatabase: "tenantry:index:OrgDatabase",
  environmentSchemas: "tenantry:index:EnvironmentSchemas",
  auditLedger: "tenantry:index:AuditLedger",
  secretBindings: "tenantry:index:SecretBindings",
  dispatchNamespace: "tenantry:index:DispatchNamespace",
  /** The org's API key store: a D1 database of key hashes, which the router binds. */
  apiKeyStore: "tenantry:index:ApiKeyStore",
  /** The platform stack's GitHub environments and branch protection. */
  promotionGates: "tenantry:index:PromotionGates",
  /** The platform stack's Secrets Store per Cloudflare account (one per account is Cloudflare's limit). */
  accountSecretsStores: "tenantry:index:AccountSecretsStores",
  /** One user Worker of the org: the manifest the platform deploys into the dispatch namespace. */
  tenantApp: "tenantry:index:TenantApp",
  /** The platform stack's operator gateway: allowlist in D1, the gateway Worker, its route. */
  operatorGateway: "tenantry:index:OperatorGateway",
  /** One platform Postgres cluster (Aurora): key, network, parameters, instances, provisioning login. */
  postgresCluster: "tenantry:index:PostgresCluster",
} as const;
