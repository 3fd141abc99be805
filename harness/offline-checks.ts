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
 */

export const PASSWORD_IS_SECRET = "password-is-secret (offline only)";
export const DATA_RETAINED = "data-retained-on-delete (offline only)";

/** Credential inputs of the org providers' packages (the SDKs wrap them as secrets; a hand-made provider might not). */
const PROVIDER_CREDENTIALS = ["password", "accessKey", "secretKey", "token", "apiToken", "apiKey", "apiUserServiceKey"];

function credentialsOf(resource: RegisteredResource): unknown[] {
  if (resource.type === "postgresql:index/role:Role") return [resource.inputs["password"]];
  if (resource.inputs["kind"] === "tenantry:SqlMigration") return [(resource.inputs["connection"] as Record<string, unknown> | undefined)?.["password"]];
  if (isProviderType(resource.type)) return PROVIDER_CREDENTIALS.map((key) => resource.inputs[key]);
  return [];
}

export function offlineOnlyChecks(resources: readonly RegisteredResource[]): Violation[] {
  return [...plaintextPasswords(resources), ...unretainedData(resources)];
}

function plaintextPasswords(resources: readonly RegisteredResource[]): Violation[] {
  return resources.flatMap((resource): Violation[] => {
    const plain = credentialsOf(resource).some((credential) => credential !== undefined && !isSecretValue(credential));
    if (!plain) return [];
    return [{
      policy: PASSWORD_IS_SECRET,
      description: "Every password reaches its resource as a Pulumi secret.",
      urn: resource.urn,
      message: `${resource.name} receives a password in plain text: pass it as a Pulumi secret.`,
      enforcementLevel: "mandatory",
    }];
  });
}

/**
 * Deleting a Database drops it WITH (FORCE); it must always be retained. While the org offboards
 * its protection is lifted so a destroy can run, and that destroy must then drop, revoke or
 * reassign nothing: every Postgres resource of the org is retained as well.
 */
function unretainedData(resources: readonly RegisteredResource[]): Violation[] {
  const offboarding = resources.some((r) => r.type === COMPONENT_TYPES.orgTenant && readOrgFacts(r.inputs)?.offboarding === true);
  return resources
    .filter((r) => !r.retainOnDelete && (r.type === "postgresql:index/database:Database" || (offboarding && r.type.startsWith("postgresql:"))))
    .map((resource) => ({
      policy: DATA_RETAINED,
      description: "The org database is retainOnDelete, and while the org is marked for offboarding so is every Postgres resource of it.",
      urn: resource.urn,
      message: resource.type === "postgresql:index/database:Database"
        ? `${resource.name} must be retainOnDelete: deleting a database drops it WITH (FORCE).`
        : `${resource.name} must be retainOnDelete while the org is marked for offboarding: a destroy must drop, revoke or reassign nothing.`,
      enforcementLevel: "mandatory",
    }));
}
