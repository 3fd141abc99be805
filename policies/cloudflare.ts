import type { StackValidationPolicy } from "@pulumi/policy";
import { orgProviderRule } from "./org-providers";
import { cloudflareProviderFindings } from "./provider-inputs";

/* Where the org's Cloudflare resources are: on the org's own provider. */

/**
 * Every Cloudflare resource on the org's own provider: the default provider would read
 * `cloudflare:*` stack config, where a base URL could send the deploy job's API token elsewhere.
 */
export const cloudflareOrgProvider: StackValidationPolicy = orgProviderRule("cloudflare", {
  name: "cloudflare-org-provider",
  description: "Every Cloudflare resource uses its org's explicit Cloudflare provider, which holds no setting (the account is on each resource, the API token in the deploy environment).",
  settings: cloudflareProviderFindings,
});
