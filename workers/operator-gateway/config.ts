import type { JSONWebKeySet } from "jose";

/** What the platform stack binds into the gateway as the `GATEWAY_CONFIG` json binding: no secrets. */
export interface GatewayConfig {
  /** The operator console the gateway fronts; requests go to this origin and nowhere else. */
  readonly consoleOrigin: string;
  /** The operator trust domain: only its tokens are accepted here. */
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly jwksUrl?: string;
  readonly jwks?: JSONWebKeySet;
}

/** The identity the gateway injects for the console, signed with the gateway's own key (not the router's). */
export const OPERATOR_IDENTITY_HEADER = "x-tenantry-operator";
export const OPERATOR_IDENTITY_SIGNATURE_HEADER = "x-tenantry-operator-signature";
