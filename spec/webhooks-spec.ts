import { z } from "zod";
import { SECRET_REFERENCE } from "./secret-reference";
import { environmentSlug, slug } from "./spec-fields";

/*
 * The org spec's `webhooks` (signed events out) and `integrations` (verified requests in),
 * property 19: split from spec.ts, which keeps the fields of the org itself.
 */

/**
 * Top-level names that never reach the public internet: RFC 6761/6762/8375/9476 special-use
 * names and the private-use ones networks commonly resolve internally. A host under one of them
 * would let a stack file point deliveries at the platform's own network.
 */
export const NON_PUBLIC_TLDS = [
  "localhost", "local", "localdomain", "internal", "intranet", "private", "lan", "home", "corp",
  "test", "invalid", "onion", "alt", "arpa",
] as const;

/** No `??--` label (RFC 5891's reserved, e.g. punycode `xn--`): URL parsers decode or reject those, so the name judged would not be the name fetched. */
const LABEL = "(?![a-z0-9]{2}--)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?";
/** Letters only: a TLD of digits is how an IPv4 literal in any spelling (127.1, 0x7f.1, 2130706433) ends. */
const PUBLIC_TLD = `(?!(?:${NON_PUBLIC_TLDS.join("|")})(?:[/?]|$))[a-z]{2,63}`;
/** Path and query of RFC 3986 unreserved, sub-delims, `%`, `:`, `@`, `/`, `?` (no `\`, no `#`, no space). */
const PATH_AND_QUERY = "(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*)?";

/**
 * `https://` + a DNS name of letter-digit-hyphen labels ending in a public-looking TLD + an
 * optional path. Built as an allowlist, so what it refuses need not be listed: an IP literal in
 * any spelling (the TLD is letters, `[` is not a host character), credentials (`@` cannot come
 * before the path), another scheme or port, `localhost` and the special-use names above.
 */
export const WEBHOOK_URL = new RegExp(`^https://((?:${LABEL}\\.)+${PUBLIC_TLD})${PATH_AND_QUERY}$`);

const WEBHOOK_URL_RULE = `must be an https URL to a public DNS name (letter-digit-hyphen labels, a TLD of letters, none of ${NON_PUBLIC_TLDS.join(", ")}; no IP literal, port or credentials)`;

export const webhookUrl = z
  .string({ error: WEBHOOK_URL_RULE })
  .max(2048, { error: "must be an https URL of at most 2048 characters" })
  .regex(WEBHOOK_URL, { error: WEBHOOK_URL_RULE });

/** An event type as Standard Webhooks names them: dotted lower-case words, e.g. order.created. */
export const EVENT_TYPE = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*){0,7}$/;

const eventType = z
  .string({ error: "must be an event type" })
  .max(100, { error: "must be an event type of at most 100 characters" })
  .regex(EVENT_TYPE, { error: "must be an event type: dotted lower-case words such as order.created" });

export const webhookSchema = z.strictObject({
  name: slug(2, 40, "a webhook endpoint").describe("The endpoint's name, unique in the org; it appears in every delivery's audit event."),
  environment: environmentSlug.describe("The one environment whose apps' events go to this endpoint: one of environments."),
  url: webhookUrl.describe("Where events are delivered: https to a public DNS name. IP literals, ports, credentials, localhost and private or special-use names are refused."),
  events: z
    .array(eventType, { error: "must be a list of event types" })
    .min(1, { error: "must list 1..50 event types" })
    .max(50, { error: "must list 1..50 event types" })
    .meta({ uniqueItems: true })
    .describe("The event types delivered to this endpoint, e.g. order.created; an event of any other type is never sent here."),
});

/** The signature schemes the router verifies an inbound request by. */
export const INTEGRATION_SCHEMES = ["stripe", "standard-webhooks"] as const;
export type IntegrationScheme = (typeof INTEGRATION_SCHEMES)[number];

/** `/` + lower-case segments that do not start with a dot (so none is `.` or `..`); no empty segment, no trailing slash. */
export const INTEGRATION_PATH = /^(?:\/[a-z0-9_-][a-z0-9._-]{0,62}){1,8}$/;

export const integrationSchema = z.strictObject({
  name: slug(2, 40, "an inbound integration").describe("The integration's name, unique in the org: the app receives it as the request's verified sender."),
  app: slug(2, 40, "one of apps[].slug").describe("The app the verified request reaches: one of apps[].slug."),
  environment: environmentSlug.describe("The environment of that app the request reaches: one of environments."),
  path: z
    .string({ error: "must be a path" })
    .regex(INTEGRATION_PATH, { error: "must be a path of 1..8 lower-case segments such as /stripe (a-z, 0-9, . _ -, not starting with a dot; no trailing slash)" })
    .describe("The path under /<environment>/<app> the sender posts to, e.g. /stripe: the router verifies every request there before the app sees it."),
  scheme: z
    .enum(INTEGRATION_SCHEMES, { error: `must be one of ${INTEGRATION_SCHEMES.join(", ")}` })
    .describe("How the sender signs: stripe (Stripe-Signature) or standard-webhooks (webhook-id, webhook-timestamp, webhook-signature)."),
  secret: z
    .string({ error: "must be a secret reference" })
    .regex(SECRET_REFERENCE, { error: "must be a reference aws-secretsmanager:<name>#<key>, never a secret value" })
    .describe("Where the sender's signing secret lives: aws-secretsmanager:<org>/<environment>/<name>#<json key>. Never the value itself."),
});

export const webhooksList = z
  .array(webhookSchema, { error: "must be a list of webhook endpoints" })
  .max(50, { error: "must list at most 50 webhook endpoints" })
  .default([]);

export const integrationsList = z
  .array(integrationSchema, { error: "must be a list of inbound integrations" })
  .max(50, { error: "must list at most 50 inbound integrations" })
  .default([]);

/** The longest overlap of a rotation: receivers have this long to switch to the new secret. */
export const MAX_ROTATION_OVERLAP_DAYS = 30;

/**
 * The org's webhook signing secret's rotation (Standard Webhooks: several signatures per
 * delivery). Raising `generation` makes a new secret; `previousUntil` keeps signing with the one
 * before it as well until then, so receivers can switch without dropping a delivery.
 */
export const webhookSigningSchema = z.strictObject({
  generation: z
    .int({ error: "must be a whole number 1..1000" })
    .min(1, { error: "must be a whole number 1..1000" })
    .max(1000, { error: "must be a whole number 1..1000" })
    .default(1)
    .describe("Which signing secret is current: 1 until the first rotation. Raising it by one makes a new secret (the platform generates it; it is never in the stack file) and keeps the one before it for an overlap."),
  previousUntil: z
    .string({ error: "must be an ISO 8601 time with a zone" })
    .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/, { error: "must be an ISO 8601 time with a zone, e.g. 2026-01-31T18:00:00Z" })
    .optional()
    .describe(`Until when deliveries are also signed with the previous generation's secret (the overlap of a rotation): at most ${MAX_ROTATION_OVERLAP_DAYS} days ahead, only from generation 2. The outbound Worker stops using the previous secret at this time by itself; removing the field then removes it from the platform.`),
});
