import type { PolicyResource } from "@pulumi/policy";
import { isComponentProvider } from "../components/provider-plan";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { cloudflareProviderFindings } from "./provider-inputs";
import { judgeEachKnown } from "./unknowns";
import type { TenantryStackPolicy } from "./policy-types";

/*
 * The platform stack's Secrets Stores (components/account-secrets-stores.ts). Cloudflare allows
 * one store per account, and every org on the account keeps its edge keys in it: a second one
 * fails the deploy, and a deleted or replaced one takes every org's router down. An org stack
 * declares none (stack-resource-types-allowed).
 */

const STORE = "cloudflare:index/secretsStore:SecretsStore";

function providerFindings(store: PolicyResource, component: PolicyResource | undefined): string[] {
  const { provider } = store;
  if (component === undefined || provider === undefined || !isComponentProvider(provider, component.name, COMPONENT_TYPES.accountSecretsStores, "cloudflare")) {
    return [`${store.name} must be declared by the platform's AccountSecretsStores component, on its own Cloudflare provider (${provider === undefined ? "it has none" : `it uses ${provider.type}::${provider.name}`}).`];
  }
  return cloudflareProviderFindings(provider.props).map((finding) => `${store.name} uses ${provider.name}, whose ${finding}`);
}

export const cloudflarePlatformSecretsStores: TenantryStackPolicy = {
  name: "cloudflare-platform-secrets-stores",
  description: "The platform stack declares at most one Secrets Store per Cloudflare account, each protected, on the platform's own Cloudflare provider, which holds no setting.",
  rationale: "Cloudflare allows one Secrets Store per account, and every org on the account keeps its edge keys in it: a second store fails the deploy, and a deleted or replaced one takes every org's router down.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    if (args.resources.some((r) => r.type === COMPONENT_TYPES.orgTenant)) return; // an org stack's store is refused by its type
    const component = args.resources.find((r) => r.type === COMPONENT_TYPES.accountSecretsStores);
    const accounts = new Set<unknown>();
    judgeEachKnown(args.resources.filter((r) => r.type === STORE), ["accountId"], (store, { accountId }) => {
      const findings = providerFindings(store, component);
      if (accounts.has(accountId)) findings.push(`${store.name} is a second Secrets Store in Cloudflare account ${String(accountId)}: Cloudflare allows one per account, and every org on it shares it.`);
      accounts.add(accountId);
      if (!store.opts.protect) findings.push(`${store.name} must be protected (protect: true): deleting or replacing the store deletes the secrets of every org on account ${String(accountId)}.`);
      for (const finding of findings) reportViolation(finding, store.urn);
    });
  },
};
