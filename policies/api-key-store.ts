import type { PolicyResource } from "@pulumi/policy";
import { API_KEYS_BINDING, apiKeysDatabaseName } from "../components/edge-plan";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { edgeName } from "../spec/naming";
import { orgOfStack } from "./stack-org";
import { readKnown, UNKNOWN } from "./unknowns";
import type { TenantryStackPolicy } from "./policy-types";

/*
 * The org's API key store (components/api-key-store.ts, DESIGN property 18). An org stack's one
 * D1 database is its key store, there exactly when the org declares key slots (the org's facts
 * say so, from the validated spec: no resource in the stack can claim it), and the one binding of
 * it is the router's API_KEYS. The platform stack's operator allowlist is operator-gateway.ts's.
 */

const D1 = "cloudflare:index/d1Database:D1Database";
const SCRIPT = "cloudflare:index/workersScript:WorkersScript";

const isOrgStack = (resources: readonly PolicyResource[]) => resources.some((r) => r.type === COMPONENT_TYPES.orgTenant);
const isKeyStore = (r: PolicyResource, org: string) => r.type === D1 && r.parent?.type === COMPONENT_TYPES.apiKeyStore && readKnown(r.props, "name") === apiKeysDatabaseName(org);

/** The D1 bindings of a Worker script, as `name` (UNKNOWN while preview does not know it). */
function d1Bindings(script: PolicyResource): unknown[] {
  const bindings = readKnown(script.props, "bindings");
  if (!Array.isArray(bindings)) return [];
  return bindings.filter((b: unknown) => readKnown(b, "type") === "d1").map((b: unknown) => readKnown(b, "name"));
}

export const cloudflareApiKeyStoreBound: TenantryStackPolicy = {
  name: "cloudflare-api-key-store-bound",
  description: `In an org stack, the router of an org that declares API key slots binds its key store as ${API_KEYS_BINDING} (a d1 binding to the org's own key store database), and no other Worker, nor any router of an org without slots, binds a D1 database.`,
  rationale: "Without the binding a deployed router refuses every key (fail-closed, but the keys the org was given never work); a router bound to another database admits keys its org never minted, and any other Worker bound to the store can read the hashes or mint a key of its own.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    if (!isOrgStack(args.resources)) return;
    const org = orgOfStack(args.resources);
    if (org === undefined) return; // stack-one-org refuses the stack; there is no org to bind for.
    const router = edgeName(org.slug, "router");
    for (const script of args.resources.filter((r) => r.type === SCRIPT)) {
      const names = d1Bindings(script);
      const scriptName = readKnown(script.props, "scriptName");
      if (scriptName === UNKNOWN) continue;
      if (scriptName !== router) {
        if (names.length > 0) reportViolation(`${script.name} binds a D1 database: only org ${org.slug}'s router (${router}) may bind its key store.`, script.urn);
        continue;
      }
      if (org.apiKeyStore !== true) {
        if (names.length > 0) reportViolation(`${script.name} binds a D1 database, but org ${org.slug} declares no API key slots: remove the binding (apiKeys is empty).`, script.urn);
        continue;
      }
      if (names.length !== 1 || (names[0] !== API_KEYS_BINDING && names[0] !== UNKNOWN)) {
        reportViolation(`${script.name} must bind org ${org.slug}'s key store as exactly one d1 binding named ${API_KEYS_BINDING} (it has ${names.length === 0 ? "none" : names.map(String).join(", ")}): the router reads keys from env.${API_KEYS_BINDING}.`, script.urn);
      } else if (!script.dependencies.some((d) => isKeyStore(d, org.slug)) || script.dependencies.some((d) => d.type === D1 && !isKeyStore(d, org.slug))) {
        // The binding's id is the database's output: the router depends on the database it names.
        reportViolation(`${script.name} must bind ${API_KEYS_BINDING} to the id of org ${org.slug}'s key store (${apiKeysDatabaseName(org.slug)}, declared by its ApiKeyStore), and to no other D1 database.`, script.urn);
      }
    }
  },
};

export const cloudflareApiKeyStoreConsistent: TenantryStackPolicy = {
  name: "cloudflare-api-key-store-consistent",
  description: "In an org stack, the only D1 database is the org's API key store: declared by its ApiKeyStore component when the org declares key slots, without read replicas, and protected (lifted only while the org offboards).",
  rationale: "A read replica can lag the primary and admit a key after its revocation (revocation is immediate, property 18); an unprotected store can be deleted with every key hash by one edit, and a D1 database of any other purpose in an org stack is nothing tenantry judges.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    if (!isOrgStack(args.resources)) return;
    const org = orgOfStack(args.resources);
    if (org === undefined) return;
    let stores = 0;
    for (const store of args.resources.filter((r) => r.type === D1)) {
      if (readKnown(store.props, "name") === UNKNOWN) continue;
      const findings: string[] = [];
      const keyStore = isKeyStore(store, org.slug);
      if (keyStore) stores += 1;
      if (!keyStore) findings.push(`${store.name} is a D1 database other than org ${org.slug}'s API key store (${apiKeysDatabaseName(org.slug)}, declared by its ApiKeyStore component): an org stack declares no other.`);
      else if (stores > 1) findings.push(`${store.name} is a second key store of org ${org.slug}: an org has one.`);
      else if (org.apiKeyStore !== true) findings.push(`${store.name} is a key store, but org ${org.slug} declares no API key slots (apiKeys is empty).`);
      const mode = readKnown(readKnown(store.props, "readReplication"), "mode");
      if (mode !== UNKNOWN && mode !== "disabled") findings.push(`${store.name} must set readReplication: { mode: "disabled" }: a replica can admit a key after its revocation.`);
      if (!store.opts.protect && !org.offboarding) findings.push(`${store.name} must be protected (protect: true): it holds the hashes of every key of org ${org.slug}.`);
      for (const finding of findings) reportViolation(finding, store.urn);
    }
  },
};
