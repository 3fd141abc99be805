import { signStandardWebhook } from "../lib/webhook-signature";
import type { SecretsStoreSecret } from "../lib/bindings";
import { audit, caller, type OutboundEnv } from "./outbound";
import { pickSigningKeys } from "./signing-keys";

/*
 * Signed webhooks out (property 19). An app names only an event type and its data; the
 * outbound Worker builds the Standard Webhooks body, signs it with its environment's secret (bound
 * here, never to an app) and sends it to each declared endpoint of the app's environment that lists
 * the type. The app cannot name a destination, so an undeclared URL is not reachable at all.
 * Each delivery is audited without the payload.
 */

export interface WebhookAuditEvent {
  readonly kind: "webhook.deliver";
  readonly time: string;
  readonly org: string;
  readonly app: string;
  readonly environment: string;
  readonly actor: string;
  readonly correlationId: string;
  readonly webhook: string;
  readonly host: string;
  readonly eventType: string;
  readonly messageId: string;
  /** The endpoint's HTTP status, or 0 when it could not be reached. */
  readonly status: number;
}

const answer = (code: number, reason: string) => Response.json({ error: reason }, { status: code });

/** `{ "type": "<event type>", "data": <JSON> }` and nothing else, or undefined. */
function eventOf(text: string): { type: string; data: unknown } | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return undefined;
  const { type, data, ...rest } = parsed as Record<string, unknown>;
  if (typeof type !== "string" || data === undefined || Object.keys(rest).length > 0) return undefined;
  return { type, data };
}

/** The largest event an app may send, in bytes. */
const MAX_EVENT_BYTES = 256 * 1024;

const isSecret = (value: unknown): value is SecretsStoreSecret => typeof value === "object" && value !== null && typeof (value as SecretsStoreSecret).get === "function";

/**
 * The secrets a delivery is signed with: its own environment's current one, and during a
 * rotation's overlap that environment's previous one as well (Standard Webhooks lets a delivery
 * carry several signatures, so receivers holding either verify). The overlap ends at its declared
 * time here, whatever is still bound. Another environment's secret is never a candidate.
 */
async function signingSecrets(env: OutboundEnv, nowMs: number): Promise<string[]> {
  const { current, previous } = pickSigningKeys(env as unknown as Readonly<Record<string, unknown>>, env.environment, isSecret);
  if (current === undefined) throw new Error(`the outbound Worker has no webhook signing key for environment ${env.environment}`);
  const until = env.SECRETS_CONFIG.previousSigningKeyUntil;
  if (previous === undefined || until === undefined || nowMs >= until) return [await current.get()];
  return [await current.get(), await previous.get()];
}

export async function sendEvent(request: Request, env: OutboundEnv): Promise<Response> {
  if (request.method !== "POST" || new URL(request.url).pathname !== "/send") return answer(404, "POST /send is the only call");
  const text = await request.text();
  if (text.length > MAX_EVENT_BYTES) return answer(413, "event too large");
  const event = eventOf(text);
  if (event === undefined) return answer(400, 'the body must be {"type": "<event type>", "data": <JSON>} and nothing else');
  const endpoints = (env.SECRETS_CONFIG.webhooks ?? []).filter((w) => w.environment === env.environment && w.events.includes(event.type));
  if (endpoints.length === 0) return answer(404, `no webhook of environment ${env.environment} takes ${event.type}`);
  const now = new Date();
  const secrets = await signingSecrets(env, now.getTime());
  const { actor, correlationId } = await caller(request, env);
  const messageId = `msg_${crypto.randomUUID()}`;
  const body = new TextEncoder().encode(JSON.stringify({ type: event.type, timestamp: now.toISOString(), data: event.data }));
  const signed = await signStandardWebhook(messageId, now.getTime() / 1000, body, secrets);
  const deliveries = [];
  for (const endpoint of endpoints) {
    let status = 0;
    try {
      // No redirect is followed: the next hop is not the declared URL.
      const response = await fetch(endpoint.url, { method: "POST", headers: { "content-type": "application/json", ...signed }, body, redirect: "manual" });
      status = response.status;
      await response.body?.cancel();
    } catch {
      status = 0;
    }
    await audit(env, {
      kind: "webhook.deliver", time: new Date().toISOString(), org: env.org, app: env.app, environment: env.environment, actor, correlationId,
      webhook: endpoint.name, host: new URL(endpoint.url).hostname, eventType: event.type, messageId, status,
    });
    deliveries.push({ webhook: endpoint.name, status });
  }
  return Response.json({ id: messageId, deliveries });
}
