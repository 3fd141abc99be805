import { stringify } from "yaml";
import { PROVIDER_CONFIG } from "./spec-builder";

/**
 * The stack file of an org placed on a cluster, for the move tests: a sandbox org with one
 * workspace (`main`), its provider login reaching the cluster's local server (no host: the
 * placement gives it), and a comment on top (the switch must keep it).
 */
export function placedStackText(slug: string, cluster: string, environments: readonly string[], comment: string): string {
  const { "postgresql:host": _host, ...login } = PROVIDER_CONFIG;
  const org = {
    slug, tier: "sandbox", environments, workspaces: [{ slug: "main" }], claimedDomains: [`${slug}.example`],
    quotas: { maxConnections: 11, statementTimeoutMs: 2000, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 1000 },
    placement: { cluster },
  };
  return `# ${comment}\n${stringify({ config: { ...login, "postgresql:database": "postgres", "tenantry:org": org } })}`;
}
