import type { CrossFieldRule, RuleProblem } from "./spec-rules";
import type { ParsedSpec } from "./spec";
import { duplicates } from "./rule-helpers";
import { referenceIsBelow } from "./secret-reference";
import { MAX_ROTATION_OVERLAP_DAYS } from "./webhooks-spec";

/*
 * Cross-field rules of `webhooks` and `integrations` (property 19): each keeps an endpoint or an
 * inbound route inside one app and environment of this org, and a signing secret inside the
 * org's own part of Secrets Manager.
 */

function inEnvironments(spec: ParsedSpec, field: "webhooks" | "integrations"): RuleProblem[] {
  const environments = new Set(spec.environments);
  return spec[field].flatMap((item, i) =>
    environments.has(item.environment) ? [] : [{ path: [field, i, "environment"], message: `must be one of environments (${spec.environments.join(", ")})` }],
  );
}

function integrationsReachKnownApps(spec: ParsedSpec): RuleProblem[] {
  const apps = new Set(spec.apps.map((app) => app.slug));
  return spec.integrations.flatMap((integration, i) =>
    apps.has(integration.app) ? [] : [{ path: ["integrations", i, "app"], message: `must name one of the org's apps (${[...apps].join(", ") || "none declared"})` }],
  );
}

/** Another org's or environment's signing secret would let this route accept what was signed for them. */
function integrationSecretsScopedToThisOrg(spec: ParsedSpec): RuleProblem[] {
  return spec.integrations.flatMap((integration, i) => {
    const prefix = `${spec.slug}/${integration.environment}/`;
    return referenceIsBelow(integration.secret, prefix) ? [] : [{ path: ["integrations", i, "secret"], message: `must name a secret below ${prefix} (this org and the integration's environment)` }];
  });
}

/** Deliveries are signed and sent by the org's outbound Worker, which runs on its edge. */
function webhooksNeedAnEdge(spec: ParsedSpec): RuleProblem[] {
  return spec.webhooks.length > 0 && spec.edge === undefined
    ? [{ path: ["edge"], message: "is required when the org has webhooks (accountId, secretsStoreId, identity, operator, awsRegion)" }]
    : [];
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** An overlap names the secret before the current one, which exists from the first rotation on; it is bounded so an old secret cannot be kept signing indefinitely. */
function rotationOverlapIsBounded(spec: ParsedSpec, now: Date): RuleProblem[] {
  const { generation, previousUntil } = spec.webhookSigning;
  if (previousUntil === undefined) return [];
  if (generation < 2) return [{ path: ["webhookSigning", "previousUntil"], message: "must be omitted before the first rotation (generation 2 or more): there is no previous secret" }];
  const until = Date.parse(previousUntil);
  if (Number.isNaN(until) || until > now.getTime() + MAX_ROTATION_OVERLAP_DAYS * DAY_MS) {
    return [{ path: ["webhookSigning", "previousUntil"], message: `must be a valid time at most ${MAX_ROTATION_OVERLAP_DAYS} days ahead (once it has passed, only the current secret signs)` }];
  }
  return [];
}

/** Each event type once per endpoint, reported on the repeat (the schema says uniqueItems; the spec must agree). */
function webhookEventsUnique(spec: ParsedSpec): RuleProblem[] {
  return spec.webhooks.flatMap((webhook, i) =>
    webhook.events.flatMap((event, j): RuleProblem[] => {
      const first = webhook.events.indexOf(event);
      return first === j ? [] : [{ path: ["webhooks", i, "events", j], message: `repeats webhooks[${i}].events[${first}]; each must be unique` }];
    }),
  );
}

export const WEBHOOK_RULES: readonly CrossFieldRule[] = [
  { field: "webhooks[].events[]", rule: "Each event type is listed once per webhook endpoint.", check: webhookEventsUnique, inSchema: "uniqueItems" },
  { field: "webhooks[].name", rule: "Each webhook endpoint is listed once.", check: (spec) => duplicates(spec.webhooks, (w) => w.name, (w) => `webhook ${w.name}`, "webhooks", "name") },
  { field: "webhooks[].environment", rule: "A webhook endpoint belongs to one of the org's environments.", check: (spec) => inEnvironments(spec, "webhooks") },
  { field: "edge", rule: "An org with webhooks has an edge.", check: webhooksNeedAnEdge },
  { field: "webhookSigning.previousUntil", rule: `A rotation's overlap starts from generation 2 and ends at most ${MAX_ROTATION_OVERLAP_DAYS} days ahead (once it has passed, only the current secret signs).`, check: rotationOverlapIsBounded },
  { field: "integrations[].name", rule: "Each inbound integration is listed once.", check: (spec) => duplicates(spec.integrations, (x) => x.name, (x) => `integration ${x.name}`, "integrations", "name") },
  { field: "integrations[].app", rule: "An inbound integration reaches one of the org's apps.", check: integrationsReachKnownApps },
  { field: "integrations[].environment", rule: "An inbound integration belongs to one of the org's environments.", check: (spec) => inEnvironments(spec, "integrations") },
  {
    field: "integrations[].path",
    rule: "No two inbound integrations share an app, environment and path.",
    check: (spec) => duplicates(spec.integrations, (x) => `${x.environment}/${x.app}${x.path}`, (x) => `the route /${x.environment}/${x.app}${x.path}`, "integrations", "path"),
  },
  { field: "integrations[].secret", rule: "An integration's secret reference points below <org>/<environment>/ in Secrets Manager.", check: integrationSecretsScopedToThisOrg },
];
