import * as pulumi from "@pulumi/pulumi";
import { AccountSecretsStores } from "../components/account-secrets-stores";
import { platformConfigSchema } from "../components/platform-config";
import { OperatorGateway } from "../components/operator-gateway";
import { PromotionGates } from "../components/promotion-gates";
import { PostgresCluster } from "../components/postgres-cluster";
import { formatPath, SpecError } from "../spec/spec-errors";

/**
 * The platform stack: what every org shares, declared once. The GitOps repository's promotion
 * gates, and the Secrets Store of each Cloudflare account org edges run in (Cloudflare allows
 * one per account, so no org stack can own it), the operator gateway, and the Postgres clusters
 * org databases are placed on with the login org stacks deploy as (docs/platform.md). Config is one object,
 * `tenantry:platform` in platform/Pulumi.platform.yaml (the key DESIGN.md names); deploy this stack
 * before the first org on a new account.
 */
/** The settings that were keys of their own before they became fields of `tenantry:platform`. */
const LEGACY_PLATFORM_KEYS = ["repository", "testReviewers", "prodReviewers", "cloudflareAccounts", "operators"] as const; // operators: briefly, while issue 16 was built

export = function platform() {
  const legacy = new pulumi.Config("tenantry-platform");
  const moved = LEGACY_PLATFORM_KEYS.filter((key) => legacy.get(key) !== undefined);
  if (moved.length > 0) {
    // Silently ignoring them would deploy without the gates or the gateway they declare.
    throw new SpecError(moved.map((key) => ({ field: `tenantry-platform:${key}`, message: `tenantry-platform:${key} is now tenantry:platform.${key}: move it under the one tenantry:platform object` })));
  }
  const raw = new pulumi.Config("tenantry").getObject<unknown>("platform");
  if (raw === undefined) {
    throw new SpecError([{ field: "tenantry:platform", message: "tenantry:platform must be set: the object of what every org shares (repository, reviewers, cloudflareAccounts, operators; platform/Pulumi.platform.yaml)" }]);
  }
  const parsed = platformConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SpecError(parsed.error.issues.map((issue) => {
      const field = formatPath("tenantry:platform", issue.path);
      return { field, message: `${field} ${issue.message}` };
    }));
  }
  new PromotionGates("platform-promotion", parsed.data);
  const stores = new AccountSecretsStores("platform-secrets-stores", { accountIds: parsed.data.cloudflareAccounts });
  const operators = parsed.data.operators;
  const gateway = operators === undefined ? undefined : new OperatorGateway("platform-operator-gateway", {
    operators,
    storeId: stores.storeIds.apply((ids) => ids[operators.accountId] ?? ""),
  });
  // None declared (the small-team path): nothing of AWS is registered. The network is required by platformConfigSchema.
  const clusters = Object.fromEntries(parsed.data.clusters.flatMap((cluster) => cluster.network === undefined ? [] : [
    [cluster.name, new PostgresCluster(`platform-cluster-${cluster.name}`, { cluster, network: cluster.network }).outputs],
  ]));
  // What each org on an account names in edge.secretsStoreId: `pulumi stack output secretsStoreIds`.
  // `tenantry operators` reaches the allowlist by this id through Cloudflare's D1 HTTP route.
  // The console verifies the gateway's identity headers with operatorIdentityKey (a secret output).
  // Placement reads `clusters` (endpoint, port, region, capacity by cluster name) by StackReference.
  return { secretsStoreIds: stores.storeIds, ...(parsed.data.clusters.length === 0 ? {} : { clusters }), ...(gateway === undefined ? {} : { operatorAllowlistDatabaseId: gateway.allowlistDatabaseId, operatorIdentityKey: gateway.identityKey }) };
};
