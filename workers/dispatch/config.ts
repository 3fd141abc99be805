import type { JSONWebKeySet } from "jose";
import type { OrgPolicy } from "../lib/access-policy";

/**
 * What the program binds into the router as the `ORG_CONFIG` json binding: configuration only.
 * Keys (the identity HMAC key) are secrets_store_secret bindings; `jwks` holds public keys only.
 */
export interface RouterConfig extends OrgPolicy {
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
  readonly limits: {
    readonly cpuMs: number;
    readonly subRequests: number;
    readonly maxConcurrentRequests: number;
  };
}

/** A user Worker's name in the namespace: `<app>-<environment>` (environments have no hyphen). */
export const scriptName = (app: string, environment: string) => `${app}-${environment}`;
