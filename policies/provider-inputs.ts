import { orgTags } from "../components/provider-plan";
import { PROVIDER_POOL_CONNECTIONS } from "../spec/connection-budget";
import type { OrgFacts } from "../components/org-facts";
import { booleanInput, objectInput } from "./org-providers";

/*
 * What an org's own provider may hold, by allowlist: the inputs tenantry sets
 * (components/provider-plan.ts), each with the org's value, plus what the SDK or the engine adds
 * on its own (`version`; the Postgres SDK's `connectTimeout`). Any other input is refused,
 * whatever its value: an assumed role, an endpoint override, another API host, a proxy, a profile.
 * Each finding completes "<resource> uses <provider>, whose ...". Pure: no Pulumi import.
 */

const text = (value: unknown) => (typeof value === "string" ? value : JSON.stringify(value) ?? "undefined");
/** Bridged providers send numbers as text: 5432 and "5432" are one value. */
const sameNumber = (value: unknown, expected: number) => (typeof value === "number" || typeof value === "string") && String(value) === String(expected);
const isPositiveInteger = (value: unknown) => (typeof value === "number" || typeof value === "string") && /^[1-9]\d*$/.test(String(value));

/** Findings for inputs outside `allowed`. */
function unexpectedInputs(props: Record<string, unknown>, allowed: readonly string[], pkg: string): string[] {
  return Object.keys(props).filter((key) => !allowed.includes(key))
    .map((key) => `inputs hold ${key}, which tenantry never sets on a ${pkg} provider: remove it.`);
}

const VERSION = "version";

export function postgresProviderFindings(props: Record<string, unknown>, org: OrgFacts): string[] {
  const stackValue = (key: string, setting: string, expected: string | number) =>
    (typeof expected === "number" ? sameNumber(props[key], expected) : props[key] === expected)
      ? [] : [`${key} is ${text(props[key])}: it must be the stack's postgresql:${setting} ${expected}.`];
  return [
    ...unexpectedInputs(props, ["host", "port", "username", "database", "sslmode", "sslrootcert", "clientcert", "superuser", "maxConnections", "password", "connectTimeout", "awsRdsIamAuth", "awsRdsIamRegion", VERSION], "postgresql"),
    ...iamFindings(props, org),
    ...stackValue("host", "host", org.providerHost),
    ...stackValue("port", "port", org.providerPort),
    ...stackValue("username", "username", org.providerLogin),
    ...stackValue("database", "database", org.providerDatabase),
    ...stackValue("sslmode", "sslmode", org.providerSslmode),
    ...trustFindings(props, org),
    ...(booleanInput(props["superuser"]) === false ? [] : ["superuser is not false: tenantry deploys with a non-superuser login."]),
    // Absent is the upstream default pool of 20 per database, 0 or -1 unlimited (postgresql/provider.go).
    ...(sameNumber(props["maxConnections"], PROVIDER_POOL_CONNECTIONS) ? [] : [`maxConnections is ${text(props["maxConnections"])}: it must be ${PROVIDER_POOL_CONNECTIONS}, the provider's pool the connection budget reserves (spec/connection-budget.ts).`]),
    // The SDK's own default (PGCONNECT_TIMEOUT or 180): any finite wait is the org's.
    ...(props["connectTimeout"] === undefined || isPositiveInteger(props["connectTimeout"]) ? [] : [`connectTimeout is ${text(props["connectTimeout"])}: it must be a number of seconds.`]),
  ];
}

/**
 * A placed org logs in with an RDS IAM token for its cluster's region and holds no password; an
 * org on its own server uses no IAM auth (its stack names neither a region nor a cluster).
 */
function iamFindings(props: Record<string, unknown>, org: OrgFacts): string[] {
  const region = org.providerAwsRdsIamRegion;
  if (region === undefined) {
    return props["awsRdsIamAuth"] === undefined && props["awsRdsIamRegion"] === undefined ? [] : ["awsRdsIamAuth or awsRdsIamRegion is set, but the org is not placed on a platform cluster: remove them."];
  }
  return [
    ...(booleanInput(props["awsRdsIamAuth"]) === true ? [] : [`awsRdsIamAuth is ${text(props["awsRdsIamAuth"])}: a placed org's provider logs in with an RDS IAM token.`]),
    ...(props["awsRdsIamRegion"] === region ? [] : [`awsRdsIamRegion is ${text(props["awsRdsIamRegion"])}: it must be the cluster's region ${region}.`]),
    ...(props["password"] === undefined ? [] : ["password is set: a placed org's provider logs in with an RDS IAM token and holds no database password."]),
  ];
}

/**
 * The root and client certificate files must be exactly the stack's: a provider that trusts
 * other roots, or none where the stack names some, connects where the migrations would not.
 * The SDK sends `clientcert` as JSON text (@pulumi/postgresql provider.js).
 */
function trustFindings(props: Record<string, unknown>, org: OrgFacts): string[] {
  const rootcert = props["sslrootcert"];
  const clientcert = typeof props["clientcert"] === "string" ? parseJson(props["clientcert"]) : props["clientcert"];
  return [
    ...(rootcert === org.providerSslrootcert ? [] : [org.providerSslrootcert === undefined
      ? `sslrootcert is ${text(rootcert)}, but the stack sets no postgresql:sslrootcert: remove it.`
      : `sslrootcert is ${text(rootcert)}: it must be the stack's postgresql:sslrootcert ${org.providerSslrootcert}.`]),
    ...(sameClientCertificate(clientcert, org.providerClientcert) ? [] : [org.providerClientcert === undefined
      ? `clientcert is ${text(props["clientcert"])}, but the stack sets no postgresql:clientcert: remove it.`
      : `clientcert is ${text(props["clientcert"])}: it must be the stack's postgresql:clientcert ${JSON.stringify(org.providerClientcert)}.`]),
  ];
}

function parseJson(value: string): unknown {
  try {
    return JSON.parse(value);
  } catch {
    return value;
  }
}

/** The same certificate and key paths, and nothing else (no sslinline); both absent counts as the same. */
export function sameClientCertificate(value: unknown, expected: { readonly cert: string; readonly key: string } | undefined): boolean {
  if (value === undefined || expected === undefined) return value === expected;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const { cert, key, ...rest } = value as Record<string, unknown>;
  return cert === expected.cert && key === expected.key && Object.keys(rest).length === 0;
}

export function awsProviderFindings(props: Record<string, unknown>, org: OrgFacts): string[] {
  // Read directly: a region unknown during preview skips the rule with an advisory, as the analyzer does.
  const region = props["region"];
  const regionFindings = org.awsRegion === undefined
    ? [`region is ${text(region)}, but the org declares no edge.awsRegion: declare the edge first.`]
    : region === org.awsRegion ? [] : [`region is ${text(region)}: it must be the org's edge.awsRegion ${org.awsRegion}.`];
  const defaultTags = objectInput(props["defaultTags"]) ?? {};
  const tags = objectInput(defaultTags["tags"]) ?? {};
  const expected = orgTags(org);
  const missing = Object.keys(expected).filter((key) => tags[key] !== expected[key]);
  const extra = [...Object.keys(defaultTags).filter((key) => key !== "tags"), ...Object.keys(tags).filter((key) => !(key in expected))];
  return [
    ...unexpectedInputs(props, ["region", "defaultTags", "skipRegionValidation", "skipCredentialsValidation", VERSION], "aws"),
    ...regionFindings,
    ...(missing.length === 0 ? [] : [`default tags lack ${missing.map((key) => `${key}=${expected[key]}`).join(", ")}: tag every AWS resource with its org and tier.`]),
    ...(extra.length === 0 ? [] : [`default tags also hold ${extra.join(", ")}: the org's provider tags its org and tier only.`]),
    ...["skipRegionValidation", "skipCredentialsValidation"].filter((key) => booleanInput(props[key]) !== false)
      .map((key) => `${key} is ${text(props[key])}: it must be false, so a region or credentials that do not work fail the deploy.`),
  ];
}

/** The org's Cloudflare provider takes nothing: the account is on each resource, the API token in the deploy environment. */
export function cloudflareProviderFindings(props: Record<string, unknown>): string[] {
  return unexpectedInputs(props, [VERSION], "cloudflare");
}
