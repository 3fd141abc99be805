import type { Fetcher, SecretsStoreSecret } from "../lib/bindings";
import { IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER, REQUEST_ID_HEADER, verifyIdentity, type InjectedIdentity, type IntegrationIdentity, type KeyIdentity } from "../lib/identity";
import { looksLikeCredentialName } from "../../policies/credential-patterns";
import { INTERNAL_HOST, PLACEHOLDER, WEBHOOKS_HOST, type OutboundConfig, type SecretGrant } from "./config";
import { sendEvent, type WebhookAuditEvent } from "./webhooks";
import { readSecret } from "./secrets-manager";

/*
 * The credential-isolating outbound Worker: every fetch() of every app in the namespace passes
 * here. Apps hold no secret; they write `{{secret:NAME}}` in a request header and this Worker
 * puts the value in only when the secret is scoped to the app's environment and the destination
 * is on the secret's allowlist. Every resolution and refusal is an audit event, without the value.
 */

export interface OutboundEnv {
  /** Dispatch params set by the router (`outbound: { org, app, environment }`). */
  readonly org: string;
  readonly app: string;
  readonly environment: string;
  readonly SECRETS_CONFIG: OutboundConfig;
  readonly IDENTITY_HMAC_KEY: SecretsStoreSecret;
  readonly AWS_ACCESS_KEY_ID: SecretsStoreSecret;
  readonly AWS_SECRET_ACCESS_KEY: SecretsStoreSecret;
  /**
   * Each webhook environment's signing secret, whsec_<base64>, as `WEBHOOK_SIGNING_KEY_<ENV>` (and
   * `..._PREVIOUS` during a rotation's overlap): bound here only, never to an app. A delivery is
   * signed with its own environment's only (signing-keys.ts picks by the `environment` param).
   */
  readonly [signingKey: `WEBHOOK_SIGNING_KEY_${string}`]: SecretsStoreSecret | undefined;
  /** Where audit events go (the org's audit sink); they are also logged as JSON lines. */
  readonly AUDIT?: Fetcher;
}

export interface SecretAuditEvent {
  readonly kind: "secret.resolve";
  readonly time: string;
  readonly org: string;
  readonly app: string;
  readonly environment: string;
  readonly actor: string;
  readonly correlationId: string;
  readonly secret: string;
  readonly host: string;
  readonly decision: "resolved" | "refused";
  readonly reason: string;
}

export type AuditEvent = SecretAuditEvent | WebhookAuditEvent;

const refuse = (code: number) => new Response(`${code}\n`, { status: code, headers: { "content-type": "text/plain" } });

function actorOf(identity: InjectedIdentity | KeyIdentity | IntegrationIdentity): string {
  if (!("kind" in identity)) return identity.email;
  return identity.kind === "api-key" ? `api-key:${identity.slot}` : `integration:${identity.integration}`;
}

/** The caller's identity when the app forwarded the router's signed one for this app; else the app itself. */
export async function caller(request: Request, env: OutboundEnv): Promise<{ actor: string; correlationId: string; identity?: InjectedIdentity | KeyIdentity | IntegrationIdentity }> {
  const payload = request.headers.get(IDENTITY_HEADER);
  const signature = request.headers.get(IDENTITY_SIGNATURE_HEADER);
  const identity = payload === null || signature === null ? undefined
    : await verifyIdentity<InjectedIdentity | KeyIdentity | IntegrationIdentity>(payload, signature, await env.IDENTITY_HMAC_KEY.get(), Date.now() / 1000);
  if (identity !== undefined && identity.app === env.app && identity.environment === env.environment && identity.org === env.org) {
    // A key or an integration is a machine: its audit actor names it, never a person.
    return { actor: actorOf(identity), correlationId: identity.requestId, identity };
  }
  const claimed = request.headers.get(REQUEST_ID_HEADER) ?? "";
  return { actor: `app:${env.app}`, correlationId: /^[\w-]{1,64}$/.test(claimed) ? `unverified:${claimed}` : "none" };
}

export async function audit(env: OutboundEnv, event: AuditEvent): Promise<void> {
  console.log(JSON.stringify({ tenantryAudit: event }));
  if (env.AUDIT !== undefined) {
    const response = await env.AUDIT.fetch(new Request("https://audit.tenantry.internal/events", { method: "POST", body: JSON.stringify(event) }));
    if (!response.ok) throw new Error(`audit sink refused the event: HTTP ${response.status}`);
  }
}

/** Headers a secret may be put in: Authorization, or one named like a credential (X-Api-Key). */
const mayCarrySecret = (header: string) => header === "authorization" || header === "proxy-authorization" || looksLikeCredentialName(header);

/** Why a grant may not be used for this request, or undefined when it may. */
function refusal(grant: SecretGrant | undefined, url: URL, headers: readonly string[]): string | undefined {
  if (url.protocol !== "https:") return "only https destinations receive secrets";
  if (grant === undefined) return "no such secret in this environment";
  // The allowlist names hosts on the default port; another port is another service.
  if (url.port !== "") return `port ${url.port} is not the host's https port`;
  if (!grant.allowedHosts.includes(url.hostname)) return `host ${url.hostname} is not on the secret's allowlist`;
  const misplaced = headers.find((h) => !mayCarrySecret(h));
  if (misplaced !== undefined) return `header ${misplaced} may not carry a secret (only authorization or a credential-named header)`;
  return undefined;
}

async function answerInternal(request: Request, env: OutboundEnv): Promise<Response> {
  const { identity } = await caller(request, env);
  if (new URL(request.url).pathname !== "/verify") return refuse(404);
  return identity === undefined ? refuse(401) : Response.json(identity);
}

/** The router's identity stays inside the platform: no destination ever gets it. */
function withoutPlatformHeaders(headers: Headers): Headers {
  const clean = new Headers(headers);
  clean.delete(IDENTITY_HEADER);
  clean.delete(IDENTITY_SIGNATURE_HEADER);
  return clean;
}

/** Textual bodies up to this size are searched for the secrets sent; larger or binary ones pass as they are. */
const SCRUB_LIMIT = 4 * 1024 * 1024;

/**
 * An allowlisted host that echoes what it received would hand the secret back to the app: the
 * values sent are replaced in the response's headers and (textual) body.
 */
async function scrubbed(response: Response, values: readonly string[]): Promise<Response> {
  const redact = (text: string) => values.reduce((t, v) => t.split(v).join("[redacted by tenantry]"), text);
  const headers = new Headers();
  response.headers.forEach((value, name) => headers.append(name, redact(value)));
  const type = response.headers.get("content-type") ?? "";
  const length = Number(response.headers.get("content-length") ?? "0");
  const textual = type === "" || /^(text\/|application\/(json|xml|x-www-form-urlencoded|.*\+json|.*\+xml))/.test(type);
  if (!textual || length > SCRUB_LIMIT || response.body === null) return new Response(response.body, { status: response.status, headers });
  headers.delete("content-length");
  return new Response(redact(await response.text()), { status: response.status, headers });
}

export async function outbound(request: Request, env: OutboundEnv): Promise<Response> {
  const url = new URL(request.url);
  if (url.hostname === INTERNAL_HOST) return answerInternal(request, env);
  if (url.hostname === WEBHOOKS_HOST) return sendEvent(request, env);
  const placed = new Map<string, string[]>(); // secret name -> headers it is placed in
  request.headers.forEach((value, header) => {
    for (const match of value.matchAll(PLACEHOLDER)) placed.set(String(match[1]), [...(placed.get(String(match[1])) ?? []), header]);
  });
  if (placed.size === 0) return fetch(new Request(request, { headers: withoutPlatformHeaders(request.headers), redirect: "manual" }));

  const { actor, correlationId } = await caller(request, env);
  const base = { kind: "secret.resolve", org: env.org, app: env.app, environment: env.environment, actor, correlationId, host: url.hostname } as const;
  const now = () => new Date().toISOString();
  // Every placeholder is judged before any value is read: one refusal refuses the request.
  const grants = new Map<string, SecretGrant>();
  for (const [name, headers] of placed) {
    // A secret is matched on name *and* scope: another environment's secret does not exist here.
    const grant = env.SECRETS_CONFIG.secrets.find((s) => s.name === name && s.scope === env.environment);
    const why = refusal(grant, url, headers);
    if (why !== undefined || grant === undefined) {
      await audit(env, { ...base, time: now(), secret: name, decision: "refused", reason: why ?? "no such secret" });
      return refuse(403);
    }
    grants.set(name, grant);
  }
  const credentials = { accessKeyId: await env.AWS_ACCESS_KEY_ID.get(), secretAccessKey: await env.AWS_SECRET_ACCESS_KEY.get(), region: env.SECRETS_CONFIG.region };
  const values = new Map<string, string>();
  for (const [name, grant] of grants) {
    const [, secretName = "", key = ""] = /^aws-secretsmanager:([^#]+)#(.+)$/.exec(grant.ref) ?? [];
    values.set(name, await readSecret(credentials, secretName, key));
    await audit(env, { ...base, time: now(), secret: name, decision: "resolved", reason: "scope, host and header allowed" });
  }
  const headers = withoutPlatformHeaders(request.headers);
  request.headers.forEach((value, header) => {
    if (headers.has(header)) headers.set(header, value.replace(PLACEHOLDER, (_, name: string) => values.get(name) ?? ""));
  });
  // No redirect is followed: the next hop is not on the allowlist just because this one was.
  const response = await fetch(new Request(request, { headers, redirect: "manual" }));
  return scrubbed(response, [...values.values()].filter((v) => v.length >= 4));
}

export default {
  async fetch(request: Request, env: OutboundEnv): Promise<Response> {
    try {
      return await outbound(request, env);
    } catch {
      return refuse(503);
    }
  },
};
