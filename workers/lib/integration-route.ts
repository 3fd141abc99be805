import type { RouterIntegration } from "../dispatch/config";
import { canonicallyWithin } from "./canonical-path";
import { forwardedHeaders } from "./forwarded-request";
import { MESSAGE_ID, SIGNATURE_HEADERS, STRIPE_SIGNATURE_HEADER, verifyStandardWebhook, verifyStripe } from "./webhook-signature";

/*
 * Inbound integrations at the router (property 19): which declared route a request is on, and
 * whether its signature holds. The route is matched before any other authentication, so a path
 * that is an integration's is only ever reached with that integration's signature. A signature
 * covers the body (and the message id and timestamp), nothing else of the request: so the
 * request the app receives is built from those verified parts and the declared route alone.
 */

/** The largest body the router reads to verify; a signed webhook is small, and the body is held in memory. */
export const MAX_INTEGRATION_BODY_BYTES = 1024 * 1024;

/** The route of an integration: `/<environment>/<app><path>`, the one spelling that carries its signature. */
export const routeOf = (integration: RouterIntegration) => `/${integration.environment}/${integration.app}${integration.path}`;

/**
 * The integration a path belongs to. `exact`: the path is its route, spelled exactly. Otherwise
 * the path is another spelling of the route, or below it (canonical-path.ts), which an app's own
 * router may hand to the integration's handler: the router refuses it (401) rather than let a
 * user's token, or nothing, reach that handler.
 */
export function integrationAt(integrations: readonly RouterIntegration[] | undefined, pathname: string): { readonly integration: RouterIntegration; readonly exact: boolean } | undefined {
  const exact = integrations?.find((i) => pathname === routeOf(i));
  if (exact !== undefined) return { integration: exact, exact: true };
  const variant = integrations?.find((i) => canonicallyWithin(pathname, routeOf(i)));
  return variant === undefined ? undefined : { integration: variant, exact: false };
}

/**
 * What the router refuses on an integration's route before reading the body: a method other than
 * POST (405: a signature covers no method), a query string (400: it covers no query either), or
 * a declared length over the limit (413). A body without `content-length` (chunked) is allowed:
 * runtimes and proxies may deliver a known-length body without it, and the counting reader
 * (bounded-body.ts) is what bounds what the router holds, whatever the headers say.
 */
export function requestProblem(method: string, search: string, headers: Headers): 400 | 405 | 413 | undefined {
  if (method !== "POST") return 405;
  if (search !== "") return 400;
  const length = headers.get("content-length");
  if (length === null) return undefined;
  if (!/^[0-9]{1,16}$/.test(length)) return 400;
  return Number(length) > MAX_INTEGRATION_BODY_BYTES ? 413 : undefined;
}

/** What the router verified of a delivery and hands the app: the id to deduplicate on, and when it was signed. */
export interface VerifiedMessage {
  /** Standard Webhooks: `webhook-id`; Stripe: the event's `id` from the signed body. */
  readonly messageId: string;
  /** The signed timestamp, Unix seconds. */
  readonly signedAt: number;
}

export type IntegrationVerdict = { readonly ok: true; readonly message: VerifiedMessage } | { readonly ok: false; readonly reason: string };

/** Verifies `body` and `headers` by the integration's scheme with its secret, at `nowSeconds`, and names the verified message. */
export async function verifyIntegration(integration: RouterIntegration, headers: Headers, body: Uint8Array, secret: string, nowSeconds: number): Promise<IntegrationVerdict> {
  const verdict = integration.scheme === "stripe" ? await verifyStripe(headers, body, secret, nowSeconds) : await verifyStandardWebhook(headers, body, secret, nowSeconds);
  if (!verdict.ok) return verdict;
  const message = integration.scheme === "stripe" ? stripeMessage(headers, body) : { messageId: headers.get("webhook-id") ?? "", signedAt: Number(headers.get("webhook-timestamp")) };
  // Without an id the app could not deduplicate a replay inside the window: not a delivery the router passes.
  return message === undefined || !MESSAGE_ID.test(message.messageId) ? { ok: false, reason: "no message id to deduplicate on" } : { ok: true, message };
}

/** A verified Stripe request's event id (the signed body's top-level `id`) and signed `t`. */
function stripeMessage(headers: Headers, body: Uint8Array): VerifiedMessage | undefined {
  const t = /(?:^|,)\s*t=([0-9]{1,12})\s*(?:,|$)/.exec(headers.get(STRIPE_SIGNATURE_HEADER) ?? "")?.[1];
  let event: unknown;
  try {
    event = JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
  const id = typeof event === "object" && event !== null ? (event as Record<string, unknown>)["id"] : undefined;
  return t === undefined || typeof id !== "string" ? undefined : { messageId: id, signedAt: Number(t) };
}

/**
 * The request an app receives for a verified delivery, built only from verified parts: the
 * declared route (so no query string and no other spelling), POST, the verified body, and the
 * allowlisted headers without the signature (the app learns who signed from the identity).
 */
export function integrationRequest(origin: string, integration: RouterIntegration, received: Headers, declaredHeaders: readonly string[], body: Uint8Array): Request {
  const headers = forwardedHeaders(received, declaredHeaders);
  for (const name of SIGNATURE_HEADERS) headers.delete(name);
  return new Request(new URL(routeOf(integration), origin).toString(), { method: "POST", headers, body: body.length === 0 ? null : body });
}
