import { didYouMeanKey } from "./closest-name";
import { PROVIDER_POOL_CONNECTIONS } from "./connection-budget";
import { isPlatformForm } from "./platform-names";
import { checkTrustSettings } from "./provider-trust";
import type { SpecProblem } from "./spec-errors";

/*
 * The `postgresql:*` provider settings of a stack, checked as strictly as the org spec: a
 * stack file must not be able to weaken the connection every password travels over, nor run
 * the provider as a superuser. Keys of the org providers' packages that no provider reads
 * (every `aws:*` and `cloudflare:*` key, unknown `postgresql:*` keys) are refused.
 */

export interface ProviderSettings extends ProviderTls {
  /** The provider's login (`postgresql:username`); it is made a member of each org's owner role. */
  readonly adminRole: string;
  readonly host: string;
  readonly port: number;
  /** The database the provider connects to (`postgresql:database`, default `postgres`). */
  readonly database: string;
  /**
   * `postgresql:maxConnections`: the provider's pool per database, whose connections to the org
   * database count against its limit. Always PROVIDER_POOL_CONNECTIONS, what the budget reserves.
   */
  readonly maxConnections: typeof PROVIDER_POOL_CONNECTIONS;
  /**
   * A placed org's cluster region (spec/placement-connection.ts): the provider then logs in with
   * an RDS IAM token signed for it (`awsRdsIamAuth`) by the deploy job's AWS credentials, never a
   * database password. Absent for an org on its own server.
   */
  readonly awsRdsIamRegion?: string;
}

/**
 * How the provider, and every SqlMigration alike (components/migration-tls.ts), secure their
 * connection. The files are paths on the machine that runs `pulumi up`, read when connecting;
 * a relative path is relative to the project directory, where the engine starts every
 * provider plugin (pulumi/pulumi sdk/go/common/resource/plugin/provider_plugin.go: NewProvider
 * runs the plugin in ctx.Pwd), the Postgres provider's and the migrations' alike.
 */
export interface ProviderTls {
  readonly sslmode: TlsMode;
  /** `postgresql:sslrootcert`: a PEM file of the CAs the server's certificate must chain to, or `system` (verify-full only). */
  readonly sslrootcert?: string;
  /** `postgresql:clientcert`: the certificate and key files presented to the server, when it asks for one. */
  readonly clientcert?: ClientCertificate;
}

export interface ClientCertificate {
  readonly cert: string;
  readonly key: string;
}

/** The sslmodes that encrypt: every password tenantry generates travels over this connection. */
export const TLS_MODES = ["require", "verify-ca", "verify-full"] as const;
export type TlsMode = (typeof TLS_MODES)[number];
const isTlsMode = (value: string | undefined): value is TlsMode => TLS_MODES.some((mode) => mode === value);

/** `postgresql:host`: a DNS name or an IP address, nothing that could carry more connection options. */
export const HOST_NAME = /^[A-Za-z0-9.-]{1,253}$/;

export function checkProviderSettings(values: Readonly<Record<string, string>>): { settings?: ProviderSettings; problems: SpecProblem[] } {
  const { login, problems } = checkProviderLogin(values);
  const problem = (field: string, rule: string) => problems.push({ field, message: `${field} ${rule}` });
  const host = values["postgresql:host"];
  if (host === undefined || !HOST_NAME.test(host)) problem("postgresql:host", "must be the server's host name");
  const port = Number(values["postgresql:port"] ?? "5432");
  if (!Number.isInteger(port) || port < 1 || port > 65535) problem("postgresql:port", "must be a port number 1..65535");
  if (problems.length > 0 || login === undefined || host === undefined) return { problems };
  return { settings: { ...login, host, port }, problems };
}

/** The provider settings but where it connects: a placed org's host and port are its cluster's (spec/placement-connection.ts). */
export type ProviderLogin = Omit<ProviderSettings, "host" | "port">;

/** The settings every org's Postgres provider takes from the stack, wherever it connects. */
export function checkProviderLogin(values: Readonly<Record<string, string>>): { login?: ProviderLogin; problems: SpecProblem[] } {
  const problems: SpecProblem[] = [];
  const problem = (field: string, rule: string) => problems.push({ field, message: `${field} ${rule}` });

  const sslmode = values["postgresql:sslmode"];
  if (!isTlsMode(sslmode)) {
    problem("postgresql:sslmode", `must be one of ${TLS_MODES.join(", ")}: role passwords are sent over this connection`);
  }
  if (values["postgresql:superuser"] !== "false") {
    problem("postgresql:superuser", 'must be "false": tenantry deploys with a non-superuser account (on RDS, grant rds_superuser by membership)');
  }
  const adminRole = values["postgresql:username"];
  // The login is a platform name: a tenant schema of the same name would sit first on its search_path.
  if (adminRole === undefined || adminRole.length > 63 || !isPlatformForm(adminRole)) {
    problem("postgresql:username", "must be the provider's login role in the platform's name form: one word of a-z and 0-9 (e.g. tenantry), or words joined by __ (tenant names join words with a single _)");
  } else if (isPostgresReservedRole(adminRole)) {
    problem("postgresql:username", "must not be a role name Postgres reserves (public, none, or pg_...)");
  }
  // Required, not defaulted: left out, the provider's pool would be its own default of 20.
  const pool = values["postgresql:maxConnections"];
  if (pool !== String(PROVIDER_POOL_CONNECTIONS)) {
    problem("postgresql:maxConnections", `must be ${PROVIDER_POOL_CONNECTIONS}: the Postgres provider keeps a pool of up to this many connections per database (20 when unset), which count against the org database's connection limit, and tenantry reserves ${PROVIDER_POOL_CONNECTIONS} of the quota for it; 1 deadlocks creating the database (the provider holds one connection while it opens another)`);
  }
  const trust = checkTrustSettings(values, isTlsMode(sslmode) ? sslmode : undefined);
  problems.push(...trust.problems, ...unreadProviderKeys(values));
  if (problems.length > 0 || adminRole === undefined || !isTlsMode(sslmode)) return { problems };
  return { login: { adminRole, sslmode, ...trust.settings, database: values["postgresql:database"] ?? "postgres", maxConnections: PROVIDER_POOL_CONNECTIONS }, problems };
}

/** `public` and `none` are reserved words in role position; `pg_` is Postgres' own prefix for roles. */
export const POSTGRES_RESERVED_ROLE = /^(?:public$|none$|pg_)/;

function isPostgresReservedRole(name: string): boolean {
  return POSTGRES_RESERVED_ROLE.test(name);
}

/** The `postgresql:*` keys the org's Postgres provider is built from (the password by index.ts). */
export const POSTGRES_KEYS_READ = ["host", "port", "username", "database", "sslmode", "sslrootcert", "clientcert", "superuser", "maxConnections", "password"] as const;
const POSTGRES_SETTINGS = POSTGRES_KEYS_READ.map((key) => `postgresql:${key}`);

/**
 * Why a key of an org provider's package is never read: the org's providers are explicit, and an
 * explicit provider ignores the stack's config for its package. A key left there would look
 * like it does something (moves the region, the API host, the server) while doing nothing.
 */
const UNREAD: Readonly<Record<string, (key: string) => string | undefined>> = {
  aws: () => "the org's AWS provider takes its region from tenantry:org.edge.awsRegion and its credentials from the deploy environment",
  cloudflare: () => "the org's Cloudflare provider takes the account from tenantry:org.edge.accountId and its API token from CLOUDFLARE_API_TOKEN in the deploy environment",
  postgresql: (key) => (POSTGRES_KEYS_READ as readonly string[]).includes(key)
    ? undefined
    : `the org's Postgres provider takes only postgresql:${POSTGRES_KEYS_READ.join(", ")}`,
};

/** Why a stack-config key is never read by the org's providers, or undefined when it is read (or not a provider's). */
export function unreadProviderKey(field: string): string | undefined {
  const [pkg = "", key = ""] = field.split(/:(.*)/s);
  return UNREAD[pkg]?.(key);
}

function unreadProviderKeys(values: Readonly<Record<string, string>>): SpecProblem[] {
  return Object.keys(values).flatMap((field) => {
    const why = unreadProviderKey(field);
    // Only postgresql:* has keys that are read, so only a slip there gets a suggestion.
    return why === undefined ? [] : [{ field, message: `${field} is not read: ${why}; remove it from the stack file${didYouMeanKey(field, POSTGRES_SETTINGS)}` }];
  });
}
