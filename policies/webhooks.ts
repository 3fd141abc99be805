import { edgeName } from "../spec/naming";
import { WEBHOOK_URL } from "../spec/webhooks-spec";
import { storeSecretName, type EdgeStoreSecret } from "../components/edge-plan";
import { allSigningKeyBindings } from "../workers/outbound/signing-keys";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { judgeAgainstOrg } from "./stack-org";
import { readKnown, UNKNOWN } from "./unknowns";
import type { OrgFacts } from "../components/org-facts";
import type { TenantryStackPolicy } from "./policy-types";

/*
 * Property 19 in the pack: each environment's webhook signing key is bound to the org's outbound
 * Worker alone, under that environment's name;
 * an integration's secret is a reference below <org>/<environment>/ (never a value); a webhook
 * endpoint is a public https URL of one of the org's environments. Judged on what the Workers are
 * configured with, so a stack edited past the spec (or a program change) is still refused.
 */

const SCRIPT = "cloudflare:index/workersScript:WorkersScript";
/**
 * Binding names that ever held a signing key, the per-org ones from before each environment had
 * its own: a Worker holding one under its old name is refused like one holding it under a new name.
 */
const LEGACY_SIGNING_BINDINGS = ["WEBHOOK_SIGNING_KEY", "WEBHOOK_SIGNING_KEY_PREVIOUS"];

const bindingsOf = (props: unknown): Record<string, unknown>[] => {
  const bindings = readKnown(props, "bindings");
  return Array.isArray(bindings) ? (bindings as Record<string, unknown>[]) : [];
};

/** The parsed json binding `name`, or undefined when absent, unknown or not JSON. */
function jsonBinding(props: unknown, name: string): Record<string, unknown> | undefined {
  const binding = bindingsOf(props).find((b) => b["name"] === name && b["type"] === "json");
  if (typeof binding?.["json"] !== "string") return undefined;
  try {
    return JSON.parse(binding["json"]) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

const list = (value: unknown): Record<string, unknown>[] => (Array.isArray(value) ? (value as Record<string, unknown>[]) : []);

/**
 * Each environment's signing keys (current and, during an overlap, previous) sign as the org in
 * that environment: only the outbound Worker binds them, and each under its own environment's name
 * (WEBHOOK_SIGNING_KEY_PROD holds tn-<org>-webhook_signing_key_prod and nothing else), since the
 * outbound Worker picks the key by binding name and a crossed binding would sign dev deliveries
 * with prod's secret.
 */
function signingKeyFindings(script: string, props: unknown, org: OrgFacts): string[] {
  const names = allSigningKeyBindings(org.environments);
  const storeNameOf = (binding: string) => storeSecretName(org.slug, binding as EdgeStoreSecret);
  const storeNames = names.map(storeNameOf);
  const signing = bindingsOf(props).filter((b) => [...names, ...LEGACY_SIGNING_BINDINGS].includes(b["name"] as string) || storeNames.includes(b["secretName"] as string));
  if (script !== edgeName(org.slug, "outbound")) {
    return signing.map(() => `binds the org's webhook signing key: only ${edgeName(org.slug, "outbound")} may hold it`);
  }
  return signing.flatMap((b) => {
    const name = String(b["name"]);
    const secretName = readKnown(b, "secretName");
    if (!names.includes(name)) return [`binds a webhook signing key as ${name}: the outbound Worker binds each environment's as WEBHOOK_SIGNING_KEY_<ENV>[_PREVIOUS] of one of the org's environments`];
    // An unknown store name (preview) is not judged here; cloudflare-resources-match-org names the org's.
    if (secretName === UNKNOWN || secretName === undefined || secretName === storeNameOf(name)) return [];
    return [`binds ${String(secretName)} as ${name}: that binding holds ${storeNameOf(name)} only, its own environment's signing key`];
  });
}

/** A reference below `<org>/<environment>/` with nothing beside its name and key, so no value can ride along. */
function integrationFindings(config: Record<string, unknown> | undefined, org: OrgFacts): string[] {
  return list(config?.["integrations"]).flatMap((integration, i) => {
    const environment = String(integration["environment"]);
    const secret = integration["secret"];
    const fields = typeof secret === "object" && secret !== null ? Object.keys(secret).sort().join(",") : "";
    const secretName = readKnown(secret, "secretName");
    const prefix = `${org.slug}/${environment}/`;
    const problems: string[] = [];
    if (!org.environments.includes(environment)) problems.push(`integration ${i} is in environment ${environment}, not one of the org's (${org.environments.join(", ")})`);
    if (fields !== "key,secretName" || typeof secretName !== "string" || !secretName.startsWith(prefix) || secretName.split("/").some((s) => s === "" || s === "." || s === "..")) {
      problems.push(`integration ${i}'s secret must be only a reference (secretName, key) below ${prefix}`);
    }
    return problems;
  });
}

function webhookFindings(config: Record<string, unknown> | undefined, org: OrgFacts): string[] {
  return list(config?.["webhooks"]).flatMap((webhook, i) => [
    ...(org.environments.includes(String(webhook["environment"])) ? [] : [`webhook ${i} is in environment ${String(webhook["environment"])}, not one of the org's (${org.environments.join(", ")})`]),
    ...(typeof webhook["url"] === "string" && WEBHOOK_URL.test(webhook["url"]) ? [] : [`webhook ${i}'s URL is not https to a public DNS name`]),
  ]);
}

export const workersWebhooksStayInOrg: TenantryStackPolicy = {
  name: "workers-webhooks-stay-in-org",
  description: "Each environment's webhook signing key is bound to the org's outbound Worker alone, under that environment's binding name; integration secrets are references below <org>/<environment>/; webhook endpoints are public https URLs of the org's environments.",
  rationale: "A signing key lets whoever holds it sign as the org in its environment, so tenant code and the router never hold it, and the outbound Worker, which picks the key by binding name, holds each under its own environment's name so a dev delivery never carries prod's signature (property 19); a secret value in the router's configuration is a secret in the clear, and a reference outside the org's environment would verify with another tenant's or environment's secret; a private or IP-literal endpoint would turn deliveries against the platform's own network.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    // The platform stack declares no org and no org edge (its operator gateway has rules of its own).
    if (!args.resources.some((r) => r.type === COMPONENT_TYPES.orgTenant)) return;
    judgeAgainstOrg(args.resources, [SCRIPT], ["scriptName"], reportViolation, (resource, values, org) => {
      const script = String(values["scriptName"]);
      const findings = [
        ...signingKeyFindings(script, resource.props, org),
        ...(script === edgeName(org.slug, "router") ? integrationFindings(jsonBinding(resource.props, "ORG_CONFIG"), org) : []),
        ...(script === edgeName(org.slug, "outbound") ? webhookFindings(jsonBinding(resource.props, "SECRETS_CONFIG"), org) : []),
      ];
      return findings.map((finding) => `${resource.name} ${finding}.`);
    });
  },
};
