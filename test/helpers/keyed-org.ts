import { validOrgInput } from "./spec-builder";

/*
 * The happy-path org with API key slots: a publishable key for storefront (which declares its
 * origin) and a secret key for finance-console, both in prod.
 */

export const SHOP_ORIGIN = "https://shop.acme.com";

export function keyedOrgInput(): { slug: string } & Record<string, unknown> {
  const org = validOrgInput();
  const apps = org["apps"] as Record<string, unknown>[];
  apps[0] = { ...apps[0], origins: [SHOP_ORIGIN] };
  return {
    ...org,
    slug: String(org["slug"]),
    apiKeys: [
      { name: "storefront-browser", app: "storefront", environment: "prod", kind: "publishable" },
      { name: "finance-sync", app: "finance-console", environment: "prod", kind: "secret" },
    ],
  };
}
