import { didYouMeanKey } from "./closest-name";
import { checkProviderLogin, checkProviderSettings, unreadProviderKey, type ProviderLogin, type ProviderSettings } from "./provider-settings";
import { placedStackProblems } from "./placement-connection";
import type { Placement } from "./placement-spec";
import { ORG_CONFIG_KEY, SpecError, type SpecProblem } from "./spec-errors";
import { parseOrgSpec, type OrgSpec } from "./spec";
import { findApiKeys } from "../workers/lib/api-key-format";

/*
 * The edge of the program: the whole stack configuration, checked once before anything is
 * registered. Besides the org spec this refuses any other `tenantry:*` key (there is no
 * dev-mode or tenant-bypass switch to set) and any credential kept in plain text.
 */

export interface StackConfig {
  /** The Pulumi stack name; it must be `org-<slug>` of the org it declares. */
  readonly stack: string;
  /** Flat Pulumi config: `namespace:key` -> string (objects as JSON text). */
  readonly values: Readonly<Record<string, string>>;
  /** Keys whose value is a `secure:` secret. */
  readonly secretKeys: ReadonlySet<string>;
  /** The clock a break-glass expiry is measured against. */
  readonly now: Date;
}

/** Provider settings that are credentials, whatever else a key is called. */
export const CREDENTIAL_KEY = /(password|secret|token|apikey|api_key|privatekey|private_key|accesskey|servicekey)/i;

/** Everything the program needs from a stack's configuration, validated. */
export interface TenantStack {
  readonly spec: OrgSpec;
  readonly provider: ProviderSettings;
}

/**
 * A placed org's stack (tenantry:org.placement): everything but where its provider connects,
 * which the program reads from the platform stack (spec/placement-connection.ts).
 */
export interface PlacedTenantStack {
  readonly spec: OrgSpec;
  readonly login: ProviderLogin;
  readonly placement: Placement;
}

/**
 * The stack config validated whole, placed or not: what the program and `validate` read. A
 * placed org's stack must not name a host, a port or a password (placedStackProblems).
 */
export function tenantStackOrPlacement(config: StackConfig): TenantStack | PlacedTenantStack {
  let spec: OrgSpec | undefined;
  const problems: SpecProblem[] = [];
  try {
    spec = orgSpecFromStackConfig(config);
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    problems.push(...error.problems);
  }
  const placement = spec?.placement;
  if (placement === undefined) {
    const { settings, problems: providerProblems } = checkProviderSettings(config.values);
    problems.push(...providerProblems);
    if (problems.length > 0 || spec === undefined || settings === undefined) throw new SpecError(problems);
    return { spec, provider: settings };
  }
  const { login, problems: loginProblems } = checkProviderLogin(config.values);
  problems.push(...placedStackProblems(config.values), ...loginProblems);
  if (problems.length > 0 || spec === undefined || login === undefined) throw new SpecError(problems);
  return { spec, login, placement };
}

export const isPlaced = (stack: TenantStack | PlacedTenantStack): stack is PlacedTenantStack => "placement" in stack;

/**
 * The stack config of an org on a server the stack names: what `prove --server-url` and
 * `offboard` connect to. A placed org is refused here: its server is a platform cluster, known
 * only to the platform stack (the local engine runs it on its cluster's embedded server, local/up.ts).
 */
export function tenantStackFromConfig(config: StackConfig): TenantStack {
  const stack = tenantStackOrPlacement(config);
  if (!isPlaced(stack)) return stack;
  const field = `${ORG_CONFIG_KEY}.placement`;
  throw new SpecError([{ field, message: `${field}: this command runs an org on the server its stack names (postgresql:host); a placed org's server is its platform cluster, which only the local engine imitates (tenantry up --local runs one embedded server per cluster)` }]);
}

/** The org spec alone, with the checks on `tenantry:*` keys, credentials and the stack name. */
export function orgSpecFromStackConfig(config: StackConfig): OrgSpec {
  const problems = [...unknownTenantryKeys(config), ...plaintextCredentials(config), ...apiKeysInConfig(config)];
  const raw = config.values[ORG_CONFIG_KEY];
  if (raw === undefined) {
    problems.push({ field: ORG_CONFIG_KEY, message: `${ORG_CONFIG_KEY} is required: the stack file must declare the org` });
    throw new SpecError(problems);
  }
  let input: unknown;
  try {
    input = JSON.parse(raw);
  } catch {
    problems.push({ field: ORG_CONFIG_KEY, message: `${ORG_CONFIG_KEY} must be an object` });
    throw new SpecError(problems);
  }
  let spec: OrgSpec | undefined;
  try {
    spec = parseOrgSpec(input, { now: config.now });
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    problems.push(...error.problems);
  }
  if (spec !== undefined) problems.push(...stackNameMismatch(config.stack, spec.slug));
  if (problems.length > 0 || spec === undefined) throw new SpecError(problems);
  return spec;
}

function unknownTenantryKeys(config: StackConfig): SpecProblem[] {
  return Object.keys(config.values)
    .filter((key) => key.startsWith("tenantry:") && key !== ORG_CONFIG_KEY)
    .map((key) => ({
      field: key,
      message: `${key} is not a tenantry setting: tenantry reads only ${ORG_CONFIG_KEY}, and has no dev-mode or bypass switch${didYouMeanKey(key, [ORG_CONFIG_KEY])}`,
    }));
}

function plaintextCredentials(config: StackConfig): SpecProblem[] {
  return Object.keys(config.values)
    // A provider key no provider reads is refused as such (provider-settings.ts): "make it a secret" would be wrong advice.
    .filter((key) => !key.startsWith("tenantry:") && CREDENTIAL_KEY.test(key) && !config.secretKeys.has(key) && unreadProviderKey(key) === undefined)
    .map((key) => ({
      field: key,
      message: `${key} must be a secret: set it with \`pulumi config set --secret ${key}\`, never in plain text`,
    }));
}

/**
 * A minted API key belongs to whoever calls the app, never to the stack: not in plain text and
 * not as a secret either (the stack names slots; only hashes are stored). Found by the key's
 * prefix and checksum, in any value; the message names the key, never the value.
 */
function apiKeysInConfig(config: StackConfig): SpecProblem[] {
  return Object.entries(config.values)
    .filter(([, value]) => findApiKeys(value).length > 0)
    .map(([key]) => ({
      field: key,
      message: `${key} holds a tenantry API key: keys are never kept in a stack (declare a slot in apiKeys and mint with tenantry keys mint); revoke this one, it has been shared`,
    }));
}

/** One stack is one org, named `org-<slug>`: a stack file copied from another org cannot deploy. */
function stackNameMismatch(stack: string, slug: string): SpecProblem[] {
  if (stack === `org-${slug}`) return [];
  const field = `${ORG_CONFIG_KEY}.slug`;
  return [{ field, message: `${field} must match the stack name: stack ${stack} must be named org-${slug}, one stack per org` }];
}
