import * as pulumi from "@pulumi/pulumi";
import { AccountSecretsStores } from "../components/account-secrets-stores";
import { platformConfigSchema } from "../components/platform-config";
import { OperatorGateway } from "../components/operator-gateway";
import { PromotionGates } from "../components/promotion-gates";
import { formatPath, SpecError } from "../spec/spec-errors";

/**
 * The platform stack: what every org shares, declared once. The GitOps repository's promotion
 * gates, and the Secrets Store of each Cloudflare account org edges run in (Cloudflare allows
 * one per account, so no org stack can own it). Config lives in platform/Pulumi.platform.yaml
 * under `tenantry-platform:*`; deploy it before the first org on a new account.
 */
export = function platform() {
  const config = new pulumi.Config("tenantry-platform");
  const raw = {
    repository: config.get("repository"),
    testReviewers: config.getObject("testReviewers"),
    prodReviewers: config.getObject("prodReviewers"),
    cloudflareAccounts: config.getObject("cloudflareAccounts"),
    operators: config.getObject("operators"),
  };
  const parsed = platformConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SpecError(parsed.error.issues.map((issue) => {
      const field = formatPath("tenantry-platform", issue.path).replace("tenantry-platform.", "tenantry-platform:");
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
  // What each org on an account names in edge.secretsStoreId: `pulumi stack output secretsStoreIds`.
  // `tenantry operators` reaches the allowlist by this id through Cloudflare's D1 HTTP route.
  return { secretsStoreIds: stores.storeIds, ...(gateway === undefined ? {} : { operatorAllowlistDatabaseId: gateway.allowlistDatabaseId }) };
};
