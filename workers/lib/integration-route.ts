import type { RouterIntegration } from "../dispatch/config";
import { verifyStandardWebhook, verifyStripe, type SignatureVerdict } from "./webhook-signature";

/*
 * Inbound integrations at the router (property 19): which declared route a request is on, and
 * whether its signature holds. The route is matched before any other authentication, so a path
 * that is an integration's is only ever reached with that integration's signature.
 */

/** The largest body the router reads to verify; a signed webhook is small, and the body is held in memory. */
export const MAX_INTEGRATION_BODY_BYTES = 1024 * 1024;

/** The integration declared at exactly `/<environment>/<app><path>`, if any. */
export function integrationAt(integrations: readonly RouterIntegration[] | undefined, pathname: string): RouterIntegration | undefined {
  return integrations?.find((i) => pathname === `/${i.environment}/${i.app}${i.path}`);
}

/** Verifies `body` and `headers` by the integration's scheme with its secret, at `nowSeconds`. */
export function verifyIntegration(integration: RouterIntegration, headers: Headers, body: Uint8Array, secret: string, nowSeconds: number): Promise<SignatureVerdict> {
  return integration.scheme === "stripe" ? verifyStripe(headers, body, secret, nowSeconds) : verifyStandardWebhook(headers, body, secret, nowSeconds);
}

/** The body, or undefined when it is longer than the router reads. */
export async function boundedBody(request: Request): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_INTEGRATION_BODY_BYTES) return undefined;
  const body = new Uint8Array(await request.arrayBuffer());
  return body.length > MAX_INTEGRATION_BODY_BYTES ? undefined : body;
}
