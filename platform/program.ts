import * as pulumi from "@pulumi/pulumi";
import { PromotionGates } from "../components/promotion-gates";
import { platformConfigSchema } from "../components/promotion-plan";
import { SpecError } from "../spec/spec-errors";

/**
 * The platform stack: the GitOps repository's promotion gates, declared once (not per org).
 * Config lives in platform/Pulumi.platform.yaml under `tenantry-platform:*`.
 */
export = function platform() {
  const config = new pulumi.Config("tenantry-platform");
  const raw = { repository: config.get("repository"), testReviewers: config.getObject("testReviewers"), prodReviewers: config.getObject("prodReviewers") };
  const parsed = platformConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new SpecError(parsed.error.issues.map((issue) => {
      const field = ["tenantry-platform", ...issue.path.map(String)].join(".").replace("tenantry-platform.", "tenantry-platform:");
      return { field, message: `${field} ${issue.message}` };
    }));
  }
  new PromotionGates("platform-promotion", parsed.data);
  return {};
};
