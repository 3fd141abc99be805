import { edgeName } from "../spec/naming";
import type { OrgSpec } from "../spec/spec";
import { planLifecycle } from "./lifecycle-plan";
import { allSigningKeyBindings } from "../workers/outbound/signing-keys";

/*
 * Every name the org's edge takes in its Cloudflare account, decided here: the DispatchNamespace
 * component declares them, and the pack refuses any other. Cloudflare names are per account,
 * and several orgs may share one, so each is the org's `tn-<org>` name (naming.ts edgeName)
 * exactly: a prefix test would take org acme-dev's `tn-acme-dev-router` for one of acme's.
 * Pure: no Pulumi import.
 */

/**
 * The Secrets Store secrets every org edge declares, by the binding name the Workers read them
 * under. Beside them, each environment with webhook endpoints has its signing secrets,
 * `WEBHOOK_SIGNING_KEY_<ENV>` and, during a rotation's overlap, `..._PREVIOUS`
 * (workers/outbound/signing-keys.ts, components/webhook-key-plan.ts).
 */
export const EDGE_STORE_SECRETS = ["IDENTITY_HMAC_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] as const;
export type EdgeStoreSecret = (typeof EDGE_STORE_SECRETS)[number] | `WEBHOOK_SIGNING_KEY_${string}`;

/** `tn-acme-identity_hmac_key`: a store secret's name in the account's Secrets Store, which orgs on the account share. */
export function storeSecretName(org: string, binding: EdgeStoreSecret): string {
  return `${edgeName(org)}-${binding.toLowerCase()}`;
}

/**
 * The name of an account's Secrets Store, which the platform stack creates (one store per
 * account is Cloudflare's limit). No org declares a store, so no org name can reach it.
 */
export const ACCOUNT_SECRETS_STORE_NAME = "tenantry";

/**
 * `tn-acme-api-keys`: the org's API key store, a D1 database. Injective like every edge name: only
 * org acme's edge name followed by `-api-keys` gives it, and D1 names are per account.
 */
export function apiKeysDatabaseName(org: string): string {
  return `${edgeName(org)}-api-keys`;
}

/** The binding the router reads the key store under (workers/dispatch/router.ts `env.API_KEYS`). */
export const API_KEYS_BINDING = "API_KEYS";

export interface EdgeNames {
  readonly namespace: string;
  /** The router and the outbound Worker. */
  readonly scripts: readonly string[];
  readonly storeSecrets: readonly string[];
  /** The API key store's D1 database; the org declares it only with API key slots. */
  readonly apiKeysDatabase: string;
}

/** The org's edge names; `environments` are the org's, each of which may have signing secrets. */
export function planEdgeNames(org: string, environments: readonly string[]): EdgeNames {
  return {
    namespace: edgeName(org),
    scripts: [edgeName(org, "router"), edgeName(org, "outbound")],
    storeSecrets: [...EDGE_STORE_SECRETS, ...allSigningKeyBindings(environments)].map((binding) => storeSecretName(org, binding as EdgeStoreSecret)),
    apiKeysDatabase: apiKeysDatabaseName(org),
  };
}

/** The Standard Webhooks form of a signing key: `whsec_` and the key's bytes in base64. */
export function standardWebhookSecret(key: string): string {
  return `whsec_${btoa(key)}`;
}

/** What the program declares for an org's API key store (components/api-key-store.ts). */
export interface ApiKeyStorePlan {
  readonly name: string;
  /**
   * Lifted only while the org is offboarding, as the org database's is: a protected resource
   * stops `pulumi destroy`. The store is always retained on delete, so a destroy forgets it and
   * never deletes the key hashes.
   */
  readonly protect: boolean;
}

/** The org's key store, or undefined when it declares no API key slots (or no edge to read them). */
export function planApiKeyStore(spec: Pick<OrgSpec, "slug" | "apiKeys" | "edge" | "tier" | "offboarding">): ApiKeyStorePlan | undefined {
  if (spec.edge === undefined || spec.apiKeys.length === 0) return undefined;
  return { name: apiKeysDatabaseName(spec.slug), protect: !planLifecycle(spec).offboarding };
}
