import type { JSONWebKeySet } from "jose";
import type { AppPolicy, OrgPolicy } from "../lib/access-policy";
import type { SsoPolicy } from "../lib/sso";

/**
 * What the program binds into the router as the `ORG_CONFIG` json binding: configuration only.
 * Keys (the identity HMAC key) are secrets_store_secret bindings; `jwks` holds public keys only.
 */
export interface RouterConfig extends OrgPolicy {
  readonly apps: readonly RouterApp[];
  readonly identity: {
    readonly issuer: string;
    readonly audience: string;
    /** Accepted JWS algorithms; anything else (none, HS256, ...) is refused. */
    readonly algorithms: readonly string[];
    /** Where the identity provider publishes its public keys, or the keys themselves. */
    readonly jwksUrl?: string;
    readonly jwks?: JSONWebKeySet;
  };
  /** The operator trust domain: its tokens never authenticate into an app. */
  readonly operator: { readonly issuer: string; readonly audience: string };
  /** Property 17: whether addresses in the org's claimed domains must arrive through its SSO. */
  readonly sso: SsoPolicy;
  /**
   * Inbound integrations (property 19): routes whose requests are verified by signature before
   * dispatch. Absent or empty: none. Their secrets are references the router resolves itself.
   */
  readonly integrations?: readonly RouterIntegration[];
  /**
   * The API key slots the stack declares (property 18): a key is admitted only while its stored
   * row's slot, app, environment and kind equal one of these, so the stack, not the key store,
   * decides which keys work. Absent or empty: no key admits.
   */
  readonly apiKeys?: readonly RouterKeySlot[];
  /** The AWS region of the org's Secrets Manager secrets, where integration secrets are read. */
  readonly secretsRegion?: string;
  readonly limits: {
    readonly cpuMs: number;
    readonly subRequests: number;
    readonly maxConcurrentRequests: number;
  };
}

/** An app as the router sees it: its access policy, and what of the client's request it receives. */
export interface RouterApp extends AppPolicy {
  /**
   * Request headers the app receives beyond the standard ones (workers/lib/forwarded-request.ts):
   * lower-case names, validated by the spec, never identity-like. Every other header is dropped.
   */
  readonly forwardHeaders: readonly string[];
  /** Where its publishable API keys may be used: exact `Origin` values (https://host[:port]). */
  readonly origins: readonly string[];
}

/** A declared API key slot, as the router compares a key's stored row to it. */
export interface RouterKeySlot {
  readonly name: string;
  readonly app: string;
  readonly environment: string;
  readonly kind: "publishable" | "secret";
}

/** An inbound integration as the router sees it: where it is, how it signs, where its secret is. */
export interface RouterIntegration {
  readonly name: string;
  readonly app: string;
  readonly environment: string;
  /** The path under `/<environment>/<app>`, e.g. `/stripe`. */
  readonly path: string;
  readonly scheme: "stripe" | "standard-webhooks";
  /** The Secrets Manager secret and JSON key of the signing secret; never the value. */
  readonly secret: { readonly secretName: string; readonly key: string };
}

/** A user Worker's name in the namespace: `<app>-<environment>` (environments have no hyphen). */
export const scriptName = (app: string, environment: string) => `${app}-${environment}`;
