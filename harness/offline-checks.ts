import { isSecretValue, type RegisteredResource } from "./recording-monitor";
import type { Violation } from "./run-policies";

/*
 * Checks only `tenantry check` can make. A CrossGuard pack receives secret values unwrapped and
 * unmarked (pulumi-policy #163, #241), so "passwords only as secrets" cannot be a pack rule;
 * the recording monitor still sees Pulumi's secret envelope, so the offline check can.
 */

export const PASSWORD_IS_SECRET = "password-is-secret (offline only)";

function credentialOf(resource: RegisteredResource): unknown {
  if (resource.type === "postgresql:index/role:Role") return resource.inputs["password"];
  if (resource.inputs["kind"] === "tenantry:SqlMigration") return (resource.inputs["connection"] as Record<string, unknown> | undefined)?.["password"];
  return undefined;
}

export function offlineOnlyChecks(resources: readonly RegisteredResource[]): Violation[] {
  return resources.flatMap((resource): Violation[] => {
    const credential = credentialOf(resource);
    if (credential === undefined || isSecretValue(credential)) return [];
    return [{
      policy: PASSWORD_IS_SECRET,
      description: "Every password reaches its resource as a Pulumi secret.",
      urn: resource.urn,
      message: `${resource.name} receives a password in plain text: pass it as a Pulumi secret.`,
      enforcementLevel: "mandatory",
    }];
  });
}
