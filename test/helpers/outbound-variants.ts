import { join } from "node:path";
import { bundleWith, editSourceEach } from "./gateway-variants";

/*
 * The outbound Worker with one webhook guard taken out, for the controls of the proof's webhook
 * claims: the real source, bundled like the real one, with one line edited (the edit must match
 * exactly once, so a control cannot go stale silently). Each variant is what a regression would
 * leave behind.
 */

const WEBHOOKS = "outbound/webhooks.ts";
const outboundWith = (...edits: [string, string][]) => bundleWith(editSourceEach(WEBHOOKS, edits), join("outbound", "index.ts"));

export const OUTBOUND_WEBHOOK_VARIANTS = {
  /** Sends the body as it is, with no signature headers. */
  signsNothing: () => outboundWith(["headers: { \"content-type\": \"application/json\", ...signed }", "headers: { \"content-type\": \"application/json\" }"]),
  /** Takes a `url` the app puts in its event and delivers there: the app names the destination. */
  honoursTheAppsUrl: () => outboundWith(
    ["const { type, data, ...rest } = parsed as Record<string, unknown>;", "const { type, data, url: _url, ...rest } = parsed as Record<string, unknown>;"],
    ["const response = await fetch(endpoint.url,", "const named = (JSON.parse(text) as { url?: string }).url; const response = await fetch(named ?? endpoint.url,"],
  ),
  /** Delivers to every endpoint taking the type, whatever its environment. */
  ignoresTheEnvironment: () => outboundWith(["(w) => w.environment === env.environment && w.events.includes(event.type)", "(w) => w.events.includes(event.type)"]),
  /** Signs every environment's deliveries with prod's secret (the one-secret-per-org behaviour, from prod's side). */
  signsWithProdsSecret: () => outboundWith(["pickSigningKeys(env as unknown as Readonly<Record<string, unknown>>, env.environment, isSecret)", "pickSigningKeys(env as unknown as Readonly<Record<string, unknown>>, \"prod\", isSecret)"]),
  /** Answers the app with the secrets it signed with. */
  answersWithTheSecret: () => outboundWith(["return Response.json({ id: messageId, deliveries });", "return Response.json({ id: messageId, deliveries, secrets });"]),
} as const;
