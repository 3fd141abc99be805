import { createHmac, randomBytes } from "node:crypto";
import { parseSecretReference } from "../../spec/secret-reference";
import type { OrgSpec } from "../../spec/spec";
import { IDENTITY_HEADER } from "../../workers/lib/identity";
import { signStandardWebhook, SIGNATURE_TOLERANCE_SECONDS } from "../../workers/lib/webhook-signature";
import type { LocalEdge } from "../edge";
import type { ClaimResult } from "./claim";

/*
 * The edge claims for verified integrations in (property 19), attempted as the machine client
 * that sends (or forges, or replays) an integration's request to the router. Each refusal is
 * judged by its status and by the app's own record of what reached it (the sample app's
 * /received), so a 401 that still dispatched would fail. The controls, with the router's check
 * edited out, are in webhook-claims-controls.test.ts.
 */

const row = (claim: string, attempt: string, ok: boolean, result: string): ClaimResult => ({ claim, attempt, result, status: ok ? "pass" : "fail" });

type Integration = OrgSpec["integrations"][number];

/** The headers the integration's sender would set: Stripe's documented scheme, or Standard Webhooks. */
async function signedHeaders(integration: Integration, secret: string, timestampSeconds: number, body: string): Promise<Record<string, string>> {
  if (integration.scheme === "stripe") {
    return { "stripe-signature": `t=${timestampSeconds},v1=${createHmac("sha256", secret).update(`${timestampSeconds}.${body}`).digest("hex")}` };
  }
  return signStandardWebhook(`msg_${randomBytes(8).toString("hex")}`, timestampSeconds, new TextEncoder().encode(body), secret);
}

/** The integration's secret from the values the stand-in Secrets Manager serves. */
function secretOf(integration: Integration, values: Readonly<Record<string, string>>): string | undefined {
  const ref = parseSecretReference(integration.secret);
  return ref === undefined ? undefined : (JSON.parse(values[ref.secretName] ?? "{}") as Record<string, string | undefined>)[ref.key];
}

interface Seen {
  readonly status: number;
  /** Requests that reached the app meanwhile. */
  readonly arrived: readonly { path: string; headers: Record<string, string>; body: string }[];
}

/** One row per property the org's first integration lets the proof attempt; none when it declares none. */
export async function integrationClaims(edge: LocalEdge, spec: OrgSpec, values: Readonly<Record<string, string>>, otherSecret: string): Promise<ClaimResult[]> {
  const integration = spec.integrations[0];
  const secret = integration === undefined ? undefined : secretOf(integration, values);
  if (integration === undefined || secret === undefined) return [];
  const route = `/${integration.environment}/${integration.app}${integration.path}`;
  const received = async () => (await (await edge.direct(integration.app, integration.environment, `/${integration.environment}/${integration.app}/received`)).json()) as Seen["arrived"];
  const send = async (body: string, headers: Record<string, string>): Promise<Seen> => {
    const before = (await received()).length;
    const response = await edge.viaRouter(route, { method: "POST", body, headers: { "content-type": "application/json", ...headers } });
    await response.arrayBuffer();
    return { status: response.status, arrived: (await received()).slice(before) };
  };
  const now = () => Math.floor(Date.now() / 1000);
  const body = JSON.stringify({ id: `evt_${randomBytes(6).toString("hex")}`, type: "invoice.paid", data: { amount: 1200 } });

  const genuine = await send(body, await signedHeaders(integration, secret, now(), body));
  const seen = genuine.arrived.at(-1);
  const identity = identityIn(seen?.headers ?? {});
  const signatureForwarded = Object.keys(seen?.headers ?? {}).some((h) => h === "stripe-signature" || h.startsWith("webhook-"));
  const marked = identity?.["kind"] === "integration" && identity["integration"] === integration.name && !("email" in identity) && !("sub" in identity);
  const reached = genuine.status === 200 && genuine.arrived.length === 1 && seen?.body === body && marked && !signatureForwarded;
  const rows = [row(`a request ${integration.name} signed reaches ${integration.app} as from the integration, with no user`, `POST ${route} signed by the ${integration.scheme} scheme`,
    reached, genuine.status !== 200 ? `${genuine.status}, expected 200`
      : !marked ? `the app's identity: ${JSON.stringify(identity)}`
      : signatureForwarded ? "the signature reached the app"
      : `arrived as ${String(identity?.["kind"])} ${String(identity?.["integration"])}, no email or sub`)];

  const refused = (claim: string, attempt: string, outcome: Seen) =>
    row(claim, attempt, outcome.status === 401 && outcome.arrived.length === 0, `${outcome.status}, ${outcome.arrived.length === 0 ? "the app saw nothing" : "IT REACHED THE APP"}`);
  const tampered = body.replace("1200", "9900");
  rows.push(refused("a tampered integration request is refused with 401 before the app", `POST ${route}, body changed after signing`, await send(tampered, await signedHeaders(integration, secret, now(), body))));
  rows.push(refused("an integration request signed with another secret is refused with 401 before the app", `POST ${route} signed with a fresh secret`, await send(body, await signedHeaders(integration, otherSecret, now(), body))));
  const late = now() - SIGNATURE_TOLERANCE_SECONDS - 60;
  rows.push(refused("an integration request outside the timestamp tolerance is refused with 401 before the app", `POST ${route} signed ${SIGNATURE_TOLERANCE_SECONDS + 60} s ago (a replay)`, await send(body, await signedHeaders(integration, secret, late, body))));
  return rows;
}

/** The router's identity as the app received it (base64url JSON), or undefined. */
function identityIn(headers: Record<string, string>): Record<string, unknown> | undefined {
  try {
    return JSON.parse(Buffer.from(headers[IDENTITY_HEADER] ?? "", "base64url").toString()) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
