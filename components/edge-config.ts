import type { JSONWebKeySet } from "jose";
import type { RouterConfig } from "../workers/dispatch/config";
import type { OutboundConfig } from "../workers/outbound/config";
import type { OrgSpec } from "../spec/spec";
import { planWebhookKeys } from "./webhook-key-plan";
import { parseSecretReference } from "../spec/secret-reference";

/*
 * What the org's Workers are configured with, from the validated spec: one pure function per
 * Worker, used by the program (as json bindings) and by the local run in workerd alike.
 */

/** Per-request limits the router sets on every app invocation. */
export const APP_LIMITS = { cpuMs: 50, subRequests: 50 } as const;

/** The accepted token algorithms: asymmetric only, so no shared secret can mint a token. */
export const TOKEN_ALGORITHMS = ["ES256", "RS256", "EdDSA"] as const;

export type IdentityKeys = { readonly jwksUrl: string } | { readonly jwks: JSONWebKeySet };

export interface EdgeTrust {
  readonly identity: { readonly issuer: string; readonly audience: string } & IdentityKeys;
  readonly operator: { readonly issuer: string; readonly audience: string };
}

/** The trust settings as the spec states them (keys fetched from the provider's JWKS URL). */
export function edgeTrustOf(edge: NonNullable<OrgSpec["edge"]>): EdgeTrust {
  return { identity: { ...edge.identity }, operator: { ...edge.operator } };
}

export function routerConfig(spec: OrgSpec, trust: EdgeTrust): RouterConfig {
  return {
    org: spec.slug,
    environments: [...spec.environments],
    apps: spec.apps.map((app) => ({ slug: app.slug, workspace: app.workspace, access: app.access, forwardHeaders: [...app.forwardHeaders], origins: [...app.origins] })),
    roles: spec.roles.map((role) => ({ name: role.name, base: role.base, permissions: [...role.permissions] })),
    identity: { ...trust.identity, algorithms: [...TOKEN_ALGORITHMS] },
    operator: trust.operator,
    sso: spec.sso.enforce
      ? { enforce: true, claimedDomains: [...spec.claimedDomains], claim: spec.sso.claim, values: [...spec.sso.values] }
      : { enforce: false },
    limits: { ...APP_LIMITS, maxConcurrentRequests: spec.quotas.maxConcurrentRequests },
    apiKeys: spec.apiKeys.map((slot) => ({ name: slot.name, app: slot.app, environment: slot.environment, kind: slot.kind })),
    ...integrationsConfig(spec),
  };
}

/** The router's integrations and where their secrets are read; nothing when the org declares none. */
function integrationsConfig(spec: OrgSpec): Pick<RouterConfig, "integrations" | "secretsRegion"> {
  if (spec.integrations.length === 0) return {};
  return {
    secretsRegion: spec.edge?.awsRegion ?? "",
    integrations: spec.integrations.map((i) => {
      const secret = parseSecretReference(i.secret);
      if (secret === undefined) throw new Error(`internal: ${i.secret} passed the spec but is not a reference`);
      return { name: i.name, app: i.app, environment: i.environment, path: i.path, scheme: i.scheme, secret };
    }),
  };
}

export function outboundConfig(spec: OrgSpec, region: string): OutboundConfig {
  const rotation = planWebhookKeys(spec.webhookSigning);
  return {
    region,
    secrets: spec.secrets.map((s) => ({ name: s.name, scope: s.scope, ref: s.ref, allowedHosts: [...s.allowedHosts] })),
    ...(spec.webhooks.length === 0 ? {} : { webhooks: spec.webhooks.map((w) => ({ name: w.name, environment: w.environment, url: w.url, events: [...w.events] })) }),
    ...(spec.webhooks.length === 0 || rotation.previousUntil === undefined ? {} : { previousSigningKeyUntil: rotation.previousUntil }),
  };
}
