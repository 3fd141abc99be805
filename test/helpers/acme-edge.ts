import { join } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { orgSpecFromStackConfig } from "../../spec/stack-config";
import type { OrgSpec } from "../../spec/spec";
import { readStackFile } from "../../harness/stack-file";
import { startEdge, type LocalEdge } from "../../local/edge";
import { REPO_DIR } from "./local";

/*
 * Org acme's edge in workerd, for the edge tests: the real router and outbound bundles, sample
 * apps, and local stand-ins for the dispatch namespace, Secrets Store and Secrets Manager
 * (local/edge.ts). storefront (minRole developer, workspace web, declares x-shop-locale),
 * invoices (workspace members of billing; declared, not deployed), finance-console (named
 * users, declares no header); STRIPE_API_KEY is prod-scoped, api.stripe.com only, plus
 * echo.example: a careless API that echoes what it receives.
 */

export const STRIPE_KEY = "sk_test_planted_Zq7vX2kP9mW4tR8yB3nL6";
export const STOREFRONT_HEADERS = ["x-shop-locale"];
export const ROUTER_HEADERS = ["x-tenantry-identity", "x-tenantry-identity-signature", "x-tenantry-request-id"];

export function acmeSpec(): OrgSpec {
  const acme = orgSpecFromStackConfig({ ...readStackFile(join(REPO_DIR, "stacks", "Pulumi.org-acme.yaml")), now: new Date() });
  return {
    ...acme,
    secrets: acme.secrets.map((s) => (s.name === "STRIPE_API_KEY" ? { ...s, allowedHosts: [...s.allowedHosts, "echo.example"] } : s)),
    apps: acme.apps.map((a) => (a.slug === "storefront" ? { ...a, forwardHeaders: STOREFRONT_HEADERS } : { ...a, forwardHeaders: [] })),
  };
}

export interface AcmeEdge {
  readonly spec: OrgSpec;
  readonly edge: LocalEdge;
  /** A token of a developer in workspace web: storefront admits it, finance-console does not. */
  readonly developer: string;
}

/** Starts acme's edge before the file's tests and stops it after; the fields are set once it runs. */
export function acmeEdgeForThisFile(): AcmeEdge {
  const acme = {} as { spec: OrgSpec; edge: LocalEdge; developer: string };
  beforeAll(async () => {
    acme.spec = acmeSpec();
    acme.edge = await startEdge(acme.spec, {
      secretValues: { "acme/prod/stripe": JSON.stringify({ api_key: STRIPE_KEY }) },
      deployed: acme.spec.environments.flatMap((environment) => ["storefront", "finance-console"].map((app) => ({ app, environment }))),
    });
    acme.developer = await acme.edge.token({ sub: "u-dev", email: "dev@acme.com", org: "acme", role: "developer", workspaces: ["web"] });
  }, 60_000);
  afterAll(async () => acme.edge?.dispose());
  return acme;
}

export const bearer = (token: string, extra: Record<string, string> = {}) => ({ headers: { authorization: `Bearer ${token}`, ...extra } });
