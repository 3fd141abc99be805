import type { ParsedSpec } from "../spec/spec";

/* Broken copies of the example org for the `webhooks`, `webhookSigning` and `integrations` rules (spec/webhooks-rules.ts), each breaking one. */

const hook = { name: "orders", environment: "prod", url: "https://hooks.partner.example/acme", events: ["order.created"] };

const route = (spec: ParsedSpec) => ({
  name: "stripe", app: spec.apps[0]?.slug ?? "storefront", environment: "prod", path: "/stripe", scheme: "stripe" as const,
  secret: `aws-secretsmanager:${spec.slug}/prod/stripe#webhook_secret`,
});

export const WEBHOOK_RULE_EXAMPLES: readonly ((spec: ParsedSpec) => ParsedSpec)[] = [
  (spec) => ({ ...spec, webhooks: [hook, hook] }),
  (spec) => ({ ...spec, webhooks: [{ ...hook, events: ["order.created", "order.created"] }] }),
  (spec) => ({ ...spec, webhooks: [{ ...hook, environment: "staging" }] }),
  (spec) => ({ ...spec, edge: undefined, webhooks: [hook] }),
  // An overlap before the first rotation: there is no previous secret to sign with.
  (spec) => ({ ...spec, webhookSigning: { generation: 1, previousUntil: "2026-01-01T00:00:00Z" } }),
  (spec) => ({ ...spec, integrations: [route(spec), route(spec)] }),
  (spec) => ({ ...spec, integrations: [{ ...route(spec), app: "billing-sync" }] }),
  (spec) => ({ ...spec, integrations: [{ ...route(spec), environment: "staging" }] }),
  (spec) => ({ ...spec, integrations: [route(spec), { ...route(spec), name: "stripe-two" }] }),
  (spec) => ({ ...spec, integrations: [{ ...route(spec), secret: "aws-secretsmanager:globex/prod/stripe#webhook_secret" }] }),
];
