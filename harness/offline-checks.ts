import { readOrgFacts } from "../components/org-facts";
import { isProviderType } from "../components/provider-plan";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { isSecretValue, type RegisteredResource } from "./recording-monitor";
import type { Violation } from "./run-policies";

/*
 * Checks only `tenantry check` can make. A CrossGuard pack receives secret values unwrapped and
 * unmarked (pulumi-policy #163, #241), so "passwords only as secrets" cannot be a pack rule;
 * the recording monitor still sees Pulumi's secret envelope, so the offline check can. Nor does
 * the analyzer protocol carry `retainOnDelete`, which the recording monitor sees too.
 *
 * Like the pack's rules, each check carries what it refuses and why next to the code that
 * decides it, so docs/policies.md prints them from here (reference/policies-doc.ts).
 */

/** What docs/policies.md says of an offline check. */
export interface OfflineCheckFacts {
  readonly name: string;
  /** What must hold, in one sentence: printed under each violation, as a pack rule's description is. */
  readonly description: string;
  /** What it refuses, concretely. */
  readonly refuses: string;
  /** Why it exists: what a stack could do without it. */
  readonly rationale: string;
  /** Why the pack cannot make it, and what a real `pulumi preview --policy-pack` does instead. */
  readonly offlineBecause: string;
  readonly enforcementLevel: "mandatory";
}

export interface OfflineCheck extends OfflineCheckFacts {
  /** Each resource that breaks the check, with what to change. */
  readonly findings: (resources: readonly RegisteredResource[]) => { readonly urn: string; readonly message: string }[];
}

/** Credential inputs of the org providers' packages (the SDKs wrap them as secrets; a hand-made provider might not). */
const PROVIDER_CREDENTIALS = ["password", "accessKey", "secretKey", "token", "apiToken", "apiKey", "apiUserServiceKey"];

function credentialsOf(resource: RegisteredResource): unknown[] {
  if (resource.type === "postgresql:index/role:Role") return [resource.inputs["password"]];
  if (resource.inputs["kind"] === "tenantry:SqlMigration") return [(resource.inputs["connection"] as Record<string, unknown> | undefined)?.["password"]];
  if (isProviderType(resource.type)) return PROVIDER_CREDENTIALS.map((key) => resource.inputs[key]);
  return [];
}

/** Where a real preview still refuses what the pack cannot see. */
const INSTEAD = "A real pulumi preview --policy-pack policies runs the pack alone and lets such a stack through; the pull-request workflow (.github/workflows/preview.yml) runs tenantry check on every org stack a pull request changes, and that is where it is refused before anything deploys.";

export const passwordIsSecret: OfflineCheck = {
  name: "password-is-secret (offline only)",
  description: "Every password reaches its resource as a Pulumi secret.",
  refuses: `A Postgres Role whose password, a SqlMigration whose connection password, or a provider whose credential input (${PROVIDER_CREDENTIALS.join(", ")}) is registered as a plain value instead of a Pulumi secret.`,
  rationale: "Pulumi encrypts only secrets in the stack's state and masks only secrets in previews and outputs: a plain password would sit readable in the state file and the deploy logs, and it is a login to the org's database or account (DESIGN property 11, no plaintext anywhere).",
  offlineBecause: `A CrossGuard pack receives secret values already unwrapped, with no mark that they were secret (pulumi-policy #163, #241), so no pack rule can tell a secret password from a plain one; tenantry check's recording monitor still sees Pulumi's secret envelope. ${INSTEAD}`,
  enforcementLevel: "mandatory",
  findings: (resources) => resources
    .filter((resource) => credentialsOf(resource).some((credential) => credential !== undefined && !isSecretValue(credential)))
    .map((resource) => ({ urn: resource.urn, message: `${resource.name} receives a password in plain text: pass it as a Pulumi secret.` })),
};

/**
 * Deleting a Database drops it WITH (FORCE); it must always be retained. While the org offboards
 * its protection is lifted so a destroy can run, and that destroy must then drop, revoke or
 * reassign nothing: every Postgres resource of the org is retained as well.
 */
const D1_DATABASE = "cloudflare:index/d1Database:D1Database";

export const dataRetainedOnDelete: OfflineCheck = {
  name: "data-retained-on-delete (offline only)",
  description: "The org database and the org's API key store (D1) are retainOnDelete, and while the org is marked for offboarding so is every Postgres resource of it.",
  refuses: "A Postgres Database or a Cloudflare D1Database (the API key store) declared without retainOnDelete; while the org is marked for offboarding, any Postgres resource (role, schema, grant, default privileges, membership) declared without it.",
  rationale: "Deleting a Database makes the provider drop it WITH (FORCE), connections and all, and deleting the key store deletes the hash of every key the org was given: without retainOnDelete a resource removed from the program or a destroyed stack would take the org's data with it. Offboarding lifts protect so pulumi destroy can finish; retainOnDelete on every Postgres resource and on the key store makes that destroy forget them, dropping, revoking or reassigning nothing (DESIGN properties 15 and 18).",
  offlineBecause: `The analyzer protocol does not carry retainOnDelete (a rule sees protect, ignoreChanges, deleteBeforeReplace, aliases, customTimeouts, additionalSecretOutputs and parent), so the pack judges protect only (postgres-production-database-protected); tenantry check's recording monitor sees every option the program registers. ${INSTEAD}`,
  enforcementLevel: "mandatory",
  findings: (resources) => {
    const offboarding = resources.some((r) => r.type === COMPONENT_TYPES.orgTenant && readOrgFacts(r.inputs)?.offboarding === true);
    return resources
      .filter((r) => !r.retainOnDelete && (r.type === "postgresql:index/database:Database" || r.type === D1_DATABASE || (offboarding && r.type.startsWith("postgresql:"))))
      .map((resource) => ({
        urn: resource.urn,
        message: resource.type === "postgresql:index/database:Database" ? `${resource.name} must be retainOnDelete: deleting a database drops it WITH (FORCE).`
          : resource.type === D1_DATABASE ? `${resource.name} must be retainOnDelete: deleting the API key store deletes every key's hash.`
          : `${resource.name} must be retainOnDelete while the org is marked for offboarding: a destroy must drop, revoke or reassign nothing.`,
      }));
  },
};

/** Every check `tenantry check` runs beside the pack, listed explicitly as the pack's rules are. */
export const OFFLINE_CHECKS: readonly OfflineCheck[] = [passwordIsSecret, dataRetainedOnDelete];

export function offlineOnlyChecks(resources: readonly RegisteredResource[]): Violation[] {
  return OFFLINE_CHECKS.flatMap((check) => check.findings(resources).map(({ urn, message }) => ({
    policy: check.name,
    description: check.description,
    urn,
    message,
    enforcementLevel: check.enforcementLevel,
  })));
}
