import { databaseName, environmentRoleName, orgRoleName, schemaName } from "../spec/naming";
import type { ClientCertificate, ProviderSettings } from "../spec/provider-settings";
import { QUOTA_BOUNDS, withinBounds } from "../spec/quota-bounds";
import { planApiKeyStore } from "./edge-plan";
import { planSecrets } from "./secret-plan";
import { BREAK_GLASS_ACCESS, type BreakGlassAccess } from "../spec/break-glass-spec";
import type { OrgSpec } from "../spec/spec";

/*
 * What the OrgTenant component registers about its org, as its props and again among its
 * outputs: a resource rule reads inputs, but a stack rule reads each resource's final outputs,
 * and a component's are what it registers. The pack, `tenantry check`'s offline checks and the
 * local apply judge the stack's resources against these facts. They come from the validated
 * spec, never from the resources being judged, so declaring a role or a schema in a stack
 * cannot widen what is allowed. One writer (orgFactsOf) and one reader (readOrgFacts).
 */

export interface OrgFacts {
  readonly slug: string;
  readonly tier: OrgSpec["tier"];
  /** The environments and workspaces the allowed roles, schemas and grants are derived from. */
  readonly environments: readonly string[];
  readonly workspaces: readonly string[];
  /** The provider's login (`postgresql:username`): a platform role, never a tenant's. */
  readonly providerLogin: string;
  /** Where the org's Postgres provider and migrations connect: the validated `postgresql:*` settings. */
  readonly providerHost: string;
  readonly providerPort: number;
  readonly providerDatabase: string;
  readonly providerSslmode: string;
  /** `postgresql:sslrootcert` and `postgresql:clientcert`: paths on the deploy machine, never key material. */
  readonly providerSslrootcert?: string;
  readonly providerClientcert?: ClientCertificate;
  /** A placed org's cluster region: its provider logs in with an RDS IAM token for it (spec/placement-connection.ts); absent for an org on its own server. */
  readonly providerAwsRdsIamRegion?: string;
  /** `quotas.lockTimeoutMs`, which the lock-timeouts and guardrails migrations' SQL is rendered from. */
  readonly lockTimeoutMs: number;
  /** The other guardrail quotas the guardrails migration renders (enforcer-sql.ts): the enforcer's limits and temp_file_limit. */
  readonly statementTimeoutMs: number;
  readonly idleInTransactionTimeoutMs: number;
  readonly tempFileLimitMb: number;
  /** Marked for offboarding (lifecycle-plan.ts): no login, no edge, everything retained. */
  readonly offboarding: boolean;
  /** `edge.awsRegion`, which the org's AWS resources are judged against; absent without an edge. */
  readonly awsRegion?: string;
  /** `edge.accountId`, the Cloudflare account every Cloudflare resource of the org is in; absent without an edge. */
  readonly edgeAccountId?: string;
  /** The Secrets Manager secret names the org has (secret-plan.ts: names, never values); absent without an edge. */
  readonly awsSecretNames?: readonly string[];
  /** The org declares API key slots, so its edge has a key store (edge-plan.ts planApiKeyStore); absent otherwise. */
  readonly apiKeyStore?: true;
  /** The break-glass login's scope and expiry (break-glass-plan.ts); absent while break-glass is off, and then no break-glass grant is allowed. */
  readonly breakGlass?: BreakGlassFacts;
}

export interface BreakGlassFacts {
  /** Who the login is for: the ledger records the grant, and every row the login changes, under this address. */
  readonly grantee: string;
  /** Why, as the spec states it: recorded in the ledger with the grant. */
  readonly reason: string;
  readonly environment: string;
  readonly access: BreakGlassAccess;
  /** `breakGlass.expiresAt` as an ISO 8601 UTC time: the latest VALID UNTIL the role may carry. */
  readonly expiresAt: string;
}

export function orgFactsOf(spec: OrgSpec, provider: Pick<ProviderSettings, "adminRole" | "host" | "port" | "database" | "sslmode" | "sslrootcert" | "clientcert" | "awsRdsIamRegion">): OrgFacts {
  return {
    slug: spec.slug,
    tier: spec.tier,
    environments: [...spec.environments],
    workspaces: spec.workspaces.map((workspace) => workspace.slug),
    providerLogin: provider.adminRole,
    providerHost: provider.host,
    providerPort: provider.port,
    providerDatabase: provider.database,
    providerSslmode: provider.sslmode,
    ...(provider.sslrootcert === undefined ? {} : { providerSslrootcert: provider.sslrootcert }),
    ...(provider.clientcert === undefined ? {} : { providerClientcert: { cert: provider.clientcert.cert, key: provider.clientcert.key } }),
    ...(provider.awsRdsIamRegion === undefined ? {} : { providerAwsRdsIamRegion: provider.awsRdsIamRegion }),
    lockTimeoutMs: spec.quotas.lockTimeoutMs,
    statementTimeoutMs: spec.quotas.statementTimeoutMs,
    idleInTransactionTimeoutMs: spec.quotas.idleInTransactionTimeoutMs,
    tempFileLimitMb: spec.quotas.tempFileLimitMb,
    offboarding: spec.offboarding !== undefined,
    ...(spec.edge === undefined ? {} : {
      awsRegion: spec.edge.awsRegion, edgeAccountId: spec.edge.accountId, awsSecretNames: planSecrets(spec).map((secret) => secret.secretName),
    }),
    ...(planApiKeyStore(spec) === undefined ? {} : { apiKeyStore: true as const }),
    ...(spec.breakGlass.enabled ? {
      breakGlass: { grantee: spec.breakGlass.grantee, reason: spec.breakGlass.reason, environment: spec.breakGlass.environment, access: spec.breakGlass.access, expiresAt: new Date(Date.parse(spec.breakGlass.expiresAt)).toISOString() },
    } : {}),
  };
}

const isText = (value: unknown): value is string => typeof value === "string";
const isCount = (value: unknown): value is number => typeof value === "number" && Number.isInteger(value) && value > 0;
/** A guardrail quota within the bounds the spec allows: the pack renders the org's guardrails from it. */
const isQuota = (value: unknown, quota: keyof typeof QUOTA_BOUNDS): value is number => withinBounds(value, QUOTA_BOUNDS[quota]);
/** A client certificate as orgFactsOf writes it; undefined when absent, null when malformed. */
function clientCertificateOf(value: unknown): ClientCertificate | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const { cert, key, ...rest } = value as Record<string, unknown>;
  return isText(cert) && isText(key) && Object.keys(rest).length === 0 ? { cert, key } : null;
}
/** Break-glass facts as orgFactsOf writes them, in one of the org's environments; undefined when absent, null when malformed. */
function breakGlassFactsOf(value: unknown, environments: readonly string[] | undefined): BreakGlassFacts | undefined | null {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return null;
  const { grantee, reason, environment, access, expiresAt, ...rest } = value as Record<string, unknown>;
  const knownAccess = (BREAK_GLASS_ACCESS as readonly unknown[]).includes(access);
  const expiry = isText(expiresAt) ? Date.parse(expiresAt) : NaN;
  if (Object.keys(rest).length > 0 || !isText(grantee) || !isText(reason) || !isText(environment) || !environments?.includes(environment) || !knownAccess || !Number.isFinite(expiry)) return null;
  return { grantee, reason, environment, access: access as BreakGlassAccess, expiresAt: new Date(expiry).toISOString() };
}
const textList = (value: unknown): string[] | undefined => (Array.isArray(value) && value.every(isText) ? [...value] : undefined);

/**
 * The facts as a component registered them, or undefined when they are not what orgFactsOf
 * writes: a reader then allows nothing rather than judging against half an org.
 */
export function readOrgFacts(props: Readonly<Record<string, unknown>>): OrgFacts | undefined {
  const { slug, tier, providerLogin, providerHost, providerPort, providerDatabase, providerSslmode, lockTimeoutMs, offboarding, awsRegion, edgeAccountId } = props;
  const { statementTimeoutMs, idleInTransactionTimeoutMs, tempFileLimitMb, providerSslrootcert, providerAwsRdsIamRegion } = props;
  const providerClientcert = clientCertificateOf(props["providerClientcert"]);
  const environments = textList(props["environments"]);
  const workspaces = textList(props["workspaces"]);
  const awsSecretNames = textList(props["awsSecretNames"]);
  const breakGlass = breakGlassFactsOf(props["breakGlass"], environments);
  const { apiKeyStore } = props;
  // The edge's facts come together or not at all.
  const noEdge = [awsRegion, edgeAccountId, props["awsSecretNames"]].every((fact) => fact === undefined);
  if (!noEdge && !(isText(awsRegion) && isText(edgeAccountId) && awsSecretNames !== undefined)) return undefined;
  if (!isText(slug) || (tier !== "production" && tier !== "sandbox") || typeof offboarding !== "boolean"
    || !isText(providerLogin) || !isText(providerHost) || !isCount(providerPort) || !isText(providerDatabase) || !isText(providerSslmode) || !isQuota(lockTimeoutMs, "lockTimeoutMs")
    || !isQuota(statementTimeoutMs, "statementTimeoutMs") || !isQuota(idleInTransactionTimeoutMs, "idleInTransactionTimeoutMs") || !isQuota(tempFileLimitMb, "tempFileLimitMb")
    || environments === undefined || workspaces === undefined
    || !(providerSslrootcert === undefined || isText(providerSslrootcert)) || providerClientcert === null || breakGlass === null
    || !(providerAwsRdsIamRegion === undefined || isText(providerAwsRdsIamRegion))
    // A key store is an edge's: claimed without one, the facts are not what orgFactsOf writes.
    || !(apiKeyStore === undefined || (apiKeyStore === true && isText(edgeAccountId)))) return undefined;
  try {
    // The naming module refuses to build a name from facts no valid spec gives.
    databaseName(slug);
    orgRoleName(slug, "owner");
    for (const env of environments) environmentRoleName(slug, env, "runtime");
    for (const env of environments) for (const workspace of workspaces) schemaName(workspace, env);
  } catch {
    return undefined;
  }
  return {
    slug, tier, environments, workspaces, providerLogin, providerHost, providerPort, providerDatabase, providerSslmode, lockTimeoutMs, offboarding,
    statementTimeoutMs, idleInTransactionTimeoutMs, tempFileLimitMb,
    ...(isText(providerSslrootcert) ? { providerSslrootcert } : {}),
    ...(providerClientcert === undefined ? {} : { providerClientcert }),
    ...(isText(providerAwsRdsIamRegion) ? { providerAwsRdsIamRegion } : {}),
    ...(isText(awsRegion) && isText(edgeAccountId) && awsSecretNames !== undefined ? { awsRegion, edgeAccountId, awsSecretNames } : {}),
    ...(apiKeyStore === true ? { apiKeyStore } : {}),
    ...(breakGlass === undefined ? {} : { breakGlass }),
  };
}
