import { isSecretValue, type RegisteredResource } from "./recording-monitor";
import type { Violation } from "./run-policies";

/*
 * Checks only `tenantry check` can make. A CrossGuard pack receives secret values unwrapped and
 * unmarked (pulumi-policy #163, #241), so "passwords only as secrets" cannot be a pack rule;
 * the recording monitor still sees Pulumi's secret envelope, so the offline check can.
 */

export const PASSWORD_IS_SECRET = "password-is-secret (offline only)";

/** Credential inputs of the org providers' packages (the SDKs wrap them as secrets; a hand-made provider might not). */
const PROVIDER_CREDENTIALS = ["password", "accessKey", "secretKey", "token", "apiToken", "apiKey", "apiUserServiceKey"];

function credentialsOf(resource: RegisteredResource): unknown[] {
  if (resource.type === "postgresql:index/role:Role") return [resource.inputs["password"]];
  if (resource.inputs["kind"] === "tenantry:SqlMigration") return [(resource.inputs["connection"] as Record<string, unknown> | undefined)?.["password"]];
  if (resource.type.startsWith("pulumi:providers:")) return PROVIDER_CREDENTIALS.map((key) => resource.inputs[key]);
  return [];
}

export function offlineOnlyChecks(resources: readonly RegisteredResource[]): Violation[] {
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
