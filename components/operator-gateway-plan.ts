import type { GatewayConfig } from "../workers/operator-gateway/config";
import type { PlatformConfig } from "./platform-config";

/*
 * What the platform stack declares for the operator gateway, decided here without Pulumi. Its
 * Cloudflare names start `tenantry-`, which no org's `tn-<slug>` names can (DESIGN property 16).
 */

export const OPERATOR_GATEWAY_NAMES = {
  script: "tenantry-operator-gateway",
  allowlistDatabase: "tenantry-operator-allowlist",
  identityKeySecret: "tenantry-operator-gateway-identity-key",
} as const;

/** The gateway's `GATEWAY_CONFIG` json binding: configuration and the issuer's key location, no secret. */
export function gatewayConfig(operators: NonNullable<PlatformConfig["operators"]>): GatewayConfig {
  return {
    consoleOrigin: operators.consoleOrigin,
    issuer: operators.issuer,
    audience: operators.audience,
    algorithms: ["ES256", "RS256"],
    jwksUrl: operators.jwksUrl,
  };
}

/** The binding the gateway's decisions go out on (workers/operator-gateway/gateway.ts reads `env.AUDIT`). */
export const GATEWAY_AUDIT_BINDING = "AUDIT";

/** The gateway's audit sink: a service binding to the Worker `auditService` names, in the gateway's account. */
export function gatewayAuditBinding(operators: NonNullable<PlatformConfig["operators"]>): { readonly name: string; readonly type: "service"; readonly service: string } {
  return { name: GATEWAY_AUDIT_BINDING, type: "service", service: operators.auditService };
}
