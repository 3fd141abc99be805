import type { RegisteredResource } from "../../harness/recording-monitor";
import { validOrgInput } from "./spec-builder";

/* The example org with webhook endpoints in prod and dev and one Stripe integration, for the program and pack tests of property 19. */

export const WEBHOOK_ORG = {
  ...validOrgInput(),
  webhooks: [
    { name: "orders", environment: "prod", url: "https://hooks.partner.example/acme", events: ["order.created"] },
    { name: "orders-dev", environment: "dev", url: "https://dev-hooks.partner.example/acme", events: ["order.created"] },
  ],
  integrations: [{ name: "stripe", app: "storefront", environment: "prod", path: "/stripe", scheme: "stripe", secret: "aws-secretsmanager:acme/prod/stripe#webhook_secret" }],
};

/** The Worker script named `name` among `resources`. */
export function scriptNamed(resources: readonly RegisteredResource[], name: string): RegisteredResource {
  const found = resources.find((r) => r.type === "cloudflare:index/workersScript:WorkersScript" && r.inputs["scriptName"] === name);
  if (found === undefined) throw new Error(`no script ${name}`);
  return found;
}
