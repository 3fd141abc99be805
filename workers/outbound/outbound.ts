import type { Fetcher, SecretsStoreSecret } from "../lib/bindings";
import { IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER, REQUEST_ID_HEADER, verifyIdentity, type InjectedIdentity } from "../lib/identity";
import { INTERNAL_HOST, PLACEHOLDER, type OutboundConfig, type SecretGrant } from "./config";
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
  /** Where audit events go (the org's audit sink); they are also logged as JSON lines. */
  readonly AUDIT?: Fetcher;
}

export interface AuditEvent {
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

const refuse = (code: number) => new Response(`${code}\n`, { status: code, headers: { "content-type": "text/plain" } });

/** The caller's identity when the app forwarded the router's signed one for this app; else the app itself. */
async function caller(request: Request, env: OutboundEnv): Promise<{ actor: string; correlationId: string; identity?: InjectedIdentity }> {
  const payload = request.headers.get(IDENTITY_HEADER);
  const signature = request.headers.get(IDENTITY_SIGNATURE_HEADER);
  const identity = payload === null || signature === null ? undefined
    : await verifyIdentity(payload, signature, await env.IDENTITY_HMAC_KEY.get(), Date.now() / 1000);
  if (identity !== undefined && identity.app === env.app && identity.environment === env.environment && identity.org === env.org) {
    return { actor: identity.email, correlationId: identity.requestId, identity };
  }
  const claimed = request.headers.get(REQUEST_ID_HEADER) ?? "";
  return { actor: `app:${env.app}`, correlationId: /^[\w-]{1,64}$/.test(claimed) ? `unverified:${claimed}` : "none" };
}

async function audit(env: OutboundEnv, event: AuditEvent): Promise<void> {
  console.log(JSON.stringify({ tenantryAudit: event }));
  if (env.AUDIT !== undefined) {
    const response = await env.AUDIT.fetch(new Request("https://audit.tenantry.internal/events", { method: "POST", body: JSON.stringify(event) }));
    if (!response.ok) throw new Error(`audit sink refused the event: HTTP ${response.status}`);
  }
}

/** Why a grant may not be used for this request, or undefined when it may. */
function refusal(grant: SecretGrant | undefined, host: string): string | undefined {
  if (grant === undefined) return "no such secret in this environment";
  if (!grant.allowedHosts.includes(host)) return `host ${host} is not on the secret's allowlist`;
  return undefined;
}

async function answerInternal(request: Request, env: OutboundEnv): Promise<Response> {
  const { identity } = await caller(request, env);
  if (new URL(request.url).pathname !== "/verify") return refuse(404);
  return identity === undefined ? refuse(401) : Response.json(identity);
}

export async function outbound(request: Request, env: OutboundEnv): Promise<Response> {
  const url = new URL(request.url);
  if (url.hostname === INTERNAL_HOST) return answerInternal(request, env);
  const names = new Set<string>();
  request.headers.forEach((value) => {
    for (const match of value.matchAll(PLACEHOLDER)) names.add(String(match[1]));
  });
  if (names.size === 0) return fetch(request);

  const { actor, correlationId } = await caller(request, env);
  const base = { kind: "secret.resolve", org: env.org, app: env.app, environment: env.environment, actor, correlationId, host: url.hostname } as const;
  const values = new Map<string, string>();
  for (const name of names) {
    // A secret is matched on name *and* scope: another environment's secret does not exist here.
    const grant = env.SECRETS_CONFIG.secrets.find((s) => s.name === name && s.scope === env.environment);
    const why = url.protocol !== "https:" ? "only https destinations receive secrets" : refusal(grant, url.hostname);
    if (why !== undefined || grant === undefined) {
      await audit(env, { ...base, time: new Date().toISOString(), secret: name, decision: "refused", reason: why ?? "no such secret" });
      return refuse(403);
    }
    const [, secretName = "", key = ""] = /^aws-secretsmanager:([^#]+)#(.+)$/.exec(grant.ref) ?? [];
    values.set(name, await readSecret({
      accessKeyId: await env.AWS_ACCESS_KEY_ID.get(), secretAccessKey: await env.AWS_SECRET_ACCESS_KEY.get(), region: env.SECRETS_CONFIG.region,
    }, secretName, key));
    await audit(env, { ...base, time: new Date().toISOString(), secret: name, decision: "resolved", reason: "scope and host allowed" });
  }
  const headers = new Headers();
  request.headers.forEach((value, header) => {
    // The router's identity stays inside the platform; the destination gets only the secret.
    if (header === IDENTITY_HEADER || header === IDENTITY_SIGNATURE_HEADER) return;
    headers.set(header, value.replace(PLACEHOLDER, (_, name: string) => values.get(name) ?? ""));
  });
  return fetch(new Request(request, { headers }));
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
