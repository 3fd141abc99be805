import { parseOrgSpec } from "../../spec/spec";
import { SpecError } from "../../spec/spec-errors";
/*
 * One happy-path org spec and stack config; each test changes one thing (STYLE.md 8).
 */

export const NOW = new Date("2026-06-01T12:00:00Z");

/** A valid `tenantry:org` value, as a stack file would hold it (plain data, before parsing). */
export function validOrgInput(): Record<string, unknown> {
  return {
    slug: "acme",
    tier: "production",
    environments: ["dev", "test", "prod"],
    workspaces: [{ slug: "web" }, { slug: "billing" }],
    quotas: {
      maxConnections: 20,
      statementTimeoutMs: 5000,
      lockTimeoutMs: 2000,
      idleInTransactionTimeoutMs: 10000,
      maxPageSize: 500,
      maxConcurrentRequests: 50,
    },
    apps: [
      { slug: "storefront", workspace: "web", access: { minRole: "developer" } },
      { slug: "finance-console", workspace: "billing", access: { users: ["cfo@acme.com"] } },
    ],
    secrets: [{ name: "DATABASE_URL", scope: "prod", ref: "aws-secretsmanager:acme/prod/db#url" }],
    claimedDomains: ["acme.com"],
    edge: {
      accountId: "0123456789abcdef0123456789abcdef",
      secretsStoreId: "fedcba9876543210fedcba9876543210",
      identity: { issuer: "https://id.acme-saas.example/", audience: "tenantry-apps", jwksUrl: "https://id.acme-saas.example/.well-known/jwks.json" },
      operator: { issuer: "https://operator.tenantry.example/", audience: "tenantry-operator" },
      awsRegion: "eu-west-1",
    },
    breakGlass: { enabled: false },
  };
}

/** Provider settings as the example stacks hold them. */
export const PROVIDER_CONFIG = {
  "postgresql:host": "pg.tenants.internal",
  "postgresql:username": "tenantry",
  "postgresql:sslmode": "require",
  "postgresql:superuser": "false",
  "postgresql:maxConnections": "2",
};

/** A stack's flat config holding `org` under `tenantry:org`, as the Pulumi CLI passes it. */
export function stackConfigFor(org: unknown, extra: Record<string, string> = {}, secretKeys: string[] = []) {
  return {
    stack: "org-acme",
    values: { ...PROVIDER_CONFIG, "tenantry:org": JSON.stringify(org), ...extra },
    secretKeys: new Set(secretKeys),
    now: NOW,
  };
}

/** The messages the org spec is refused with (at NOW), or [] when it is accepted. */
export function specProblems(org: unknown): string[] {
  try {
    parseOrgSpec(org, { now: NOW });
    return [];
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return error.problems.map((p) => p.message);
  }
}

/** specProblems of an org (the valid one unless `start` says otherwise) after `mutate` changed it. */
export function problemsAfter(mutate: (org: Record<string, unknown>) => void, start: () => Record<string, unknown> = validOrgInput): string[] {
  const org = start();
  mutate(org);
  return specProblems(org);
}
