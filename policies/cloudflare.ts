import { planEdgeNames, type EdgeNames } from "../components/edge-plan";
import { isOfPackage } from "../components/provider-plan";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { orgProviderRule } from "./org-providers";
import { cloudflareProviderFindings } from "./provider-inputs";
import { DECLARED_RESOURCE_TYPES, isPlatformOnlyType } from "./resource-types";
import { judgeAgainstOrg } from "./stack-org";
import { readKnown, UNKNOWN } from "./unknowns";
import { isOperatorGatewayResource } from "./operator-gateway";
import type { TenantryStackPolicy } from "./policy-types";

/*
 * Where the org's Cloudflare resources are: on the org's own provider, in the org's account,
 * under the names the program gives the org (components/edge-plan.ts), and with bindings that
 * name only the org's namespace, Workers and store secrets. Orgs may share an account, where
 * every script, namespace and store secret name is one namespace: exact names keep org acme
 * from declaring, or binding to, org globex's router.
 */

/**
 * Every Cloudflare resource on the org's own provider: the default provider would read
 * `cloudflare:*` stack config, where a base URL could send the deploy job's API token elsewhere.
 */
export const cloudflareOrgProvider: TenantryStackPolicy = orgProviderRule("cloudflare", {
  name: "cloudflare-org-provider",
  description: "Every Cloudflare resource uses its org's explicit Cloudflare provider, which holds no setting (the account is on each resource, the API token in the deploy environment).",
  rationale: "The default provider reads cloudflare:* stack config, where a base URL could send the deploy job's API token to another host; the org's provider holds no setting at all.",
  settings: cloudflareProviderFindings,
});

/** Per Cloudflare type the program declares: the input holding its name, and the names the org's edge gives it. */
const NAMES: Readonly<Record<string, { readonly input: string; readonly allowed: (names: EdgeNames) => readonly string[] }>> = {
  "cloudflare:index/workersForPlatformsDispatchNamespace:WorkersForPlatformsDispatchNamespace": { input: "name", allowed: (n) => [n.namespace] },
  "cloudflare:index/workersScript:WorkersScript": { input: "scriptName", allowed: (n) => n.scripts },
  "cloudflare:index/secretsStoreSecret:SecretsStoreSecret": { input: "name", allowed: (n) => n.storeSecrets },
  "cloudflare:index/d1Database:D1Database": { input: "name", allowed: (n) => [n.apiKeysDatabase] },
};

const shortType = (type: string) => type.split(":").pop() ?? type;
const list = (names: readonly string[]) => (names.length === 1 ? names[0]! : `${names.slice(0, -1).join(", ")} or ${names.at(-1)!}`);

/**
 * The names a Worker's bindings refer to, with the org's names each must be among. A value not
 * known during preview is left out: it is not judged on a guess.
 */
function bindingReferences(bindings: unknown, names: EdgeNames): { what: string; value: unknown; allowed: readonly string[] }[] {
  if (!Array.isArray(bindings)) return [];
  return bindings.flatMap((binding: unknown) => {
    const type = readKnown(binding, "type");
    const label = `binding ${String(readKnown(binding, "name"))}`;
    if (type === "dispatch_namespace") {
      return [
        { what: `${label}'s namespace`, value: readKnown(binding, "namespace"), allowed: [names.namespace] },
        { what: `${label}'s outbound Worker`, value: readKnown(readKnown(readKnown(binding, "outbound"), "worker"), "service"), allowed: names.scripts },
      ];
    }
    if (type === "secrets_store_secret") return [{ what: `${label}'s store secret`, value: readKnown(binding, "secretName"), allowed: names.storeSecrets }];
    if (type === "service") return [{ what: `${label}'s Worker`, value: readKnown(binding, "service"), allowed: names.scripts }];
    return [];
  }).filter((reference) => reference.value !== UNKNOWN && reference.value !== undefined);
}

export const cloudflareResourcesMatchOrg: TenantryStackPolicy = {
  name: "cloudflare-resources-match-org",
  description: "Every Cloudflare resource is in its org's edge.accountId, named as the program names the org's (tn-<org>, tn-<org>-router, ...), with bindings naming only the org's namespace, Workers and store secrets.",
  rationale: "Orgs may share a Cloudflare account, where script, namespace and store-secret names are one namespace: exact names and bindings keep one org from declaring, replacing or binding to another org's router, namespace or keys.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    // The platform stack declares no org; its Secrets Stores are cloudflare-platform-secrets-stores'.
    const orgStack = args.resources.some((r) => r.type === COMPONENT_TYPES.orgTenant);
    const judged = (type: string) => isOfPackage(type, "cloudflare") && (orgStack || !isPlatformOnlyType(type));
    // The platform stack's operator gateway is judged by cloudflare-operator-allowlist-private.
    const resources = orgStack ? args.resources : args.resources.filter((r) => !isOperatorGatewayResource(r));
    judgeAgainstOrg(resources, judged, ["accountId", "name", "scriptName"], reportViolation, (resource, values, org) => {
      const names = planEdgeNames(org.slug, org.environments);
      const naming = NAMES[resource.type];
      const accountId = values["accountId"];
      const findings = [accountId === org.edgeAccountId ? undefined
        : `is in Cloudflare account ${String(accountId)}: org ${org.slug}'s edge is in its edge.accountId ${org.edgeAccountId ?? "(none declared)"}.`];
      if (naming === undefined) {
        // A type no org declares is refused whatever its name (stack-resource-types-allowed says why).
        if (DECLARED_RESOURCE_TYPES.includes(resource.type)) findings.push("is of a type whose names this rule does not know: declare its names in policies/cloudflare.ts.");
      } else {
        const allowed = naming.allowed(names);
        const name = values[naming.input];
        if (typeof name !== "string" || !allowed.includes(name)) findings.push(`is named ${String(name)}: a ${shortType(resource.type)} of org ${org.slug} is named ${list(allowed)}.`);
      }
      for (const reference of bindingReferences(readKnown(resource.props, "bindings"), names)) {
        if (!reference.allowed.includes(String(reference.value))) findings.push(`names ${String(reference.value)} as ${reference.what}: org ${org.slug}'s are ${list(reference.allowed)}.`);
      }
      return findings.filter((finding): finding is string => finding !== undefined).map((finding) => `${resource.name} ${finding}`);
    });
  },
};
