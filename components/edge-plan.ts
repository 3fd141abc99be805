import { edgeName } from "../spec/naming";

/*
 * Every name the org's edge takes in its Cloudflare account, decided here: the DispatchNamespace
 * component declares them, and the pack refuses any other. Cloudflare names are per account,
 * and several orgs may share one, so each is the org's `tn-<org>` name (naming.ts edgeName)
 * exactly: a prefix test would take org acme-dev's `tn-acme-dev-router` for one of acme's.
 * Pure: no Pulumi import.
 */

/** The Secrets Store secrets the edge declares, by the binding name the Workers read them under. */
/** WEBHOOK_SIGNING_KEY_PREVIOUS exists only during a rotation's overlap (components/webhook-key-plan.ts). */
export const EDGE_STORE_SECRETS = ["IDENTITY_HMAC_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "WEBHOOK_SIGNING_KEY", "WEBHOOK_SIGNING_KEY_PREVIOUS"] as const;
export type EdgeStoreSecret = (typeof EDGE_STORE_SECRETS)[number];

/** `tn-acme-identity_hmac_key`: a store secret's name in the account's Secrets Store, which orgs on the account share. */
export function storeSecretName(org: string, binding: EdgeStoreSecret): string {
  return `${edgeName(org)}-${binding.toLowerCase()}`;
}

/**
 * The name of an account's Secrets Store, which the platform stack creates (one store per
 * account is Cloudflare's limit). No org declares a store, so no org name can reach it.
 */
export const ACCOUNT_SECRETS_STORE_NAME = "tenantry";

export interface EdgeNames {
  readonly namespace: string;
  /** The router and the outbound Worker. */
  readonly scripts: readonly string[];
  readonly storeSecrets: readonly string[];
}

export function planEdgeNames(org: string): EdgeNames {
  return {
    namespace: edgeName(org),
    scripts: [edgeName(org, "router"), edgeName(org, "outbound")],
    storeSecrets: EDGE_STORE_SECRETS.map((binding) => storeSecretName(org, binding)),
  };
}

/** The Standard Webhooks form of a signing key: `whsec_` and the key's bytes in base64. */
export function standardWebhookSecret(key: string): string {
  return `whsec_${btoa(key)}`;
}
