import type { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { credentialShapeOf, looksLikeCredentialName } from "./credential-patterns";

/*
 * Workers for Platforms: configuration travels in plain bindings, credentials never do; user
 * Workers hold no secret at all (the outbound Worker resolves references server-side); the
 * dispatch namespace is only reachable with an outbound Worker in the path.
 */

interface Binding {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly text?: unknown;
  readonly json?: unknown;
  readonly outbound?: { readonly worker?: { readonly service?: unknown } };
}

/** Bindings of a WorkersScript, a WorkerVersion, or a TenantApp manifest: whatever carries `bindings`. */
const bindingsOf = (props: Record<string, unknown>): Binding[] => (Array.isArray(props["bindings"]) ? (props["bindings"] as Binding[]) : []);

/** Every (path, string value) in a JSON value, keys included as paths. */
function jsonLeaves(value: unknown, path: string): [string, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => jsonLeaves(v, `${path}[${i}]`));
  if (typeof value === "object" && value !== null) return Object.entries(value).flatMap(([k, v]) => jsonLeaves(v, `${path}.${k}`));
  return [[path, value]];
}

/** Why a plain binding looks like it carries a credential; names the place, never the value. */
function credentialFindings(binding: Binding): string[] {
  const name = String(binding.name ?? "");
  if (binding.type === "plain_text") {
    const shape = typeof binding.text === "string" ? credentialShapeOf(binding.text) : undefined;
    return [
      ...(looksLikeCredentialName(name) ? [`binding ${name} is named like a credential`] : []),
      ...(shape === undefined ? [] : [`binding ${name} holds ${shape}`]),
    ];
  }
  if (binding.type === "json" && typeof binding.json === "string") {
    let parsed: unknown;
    try {
      parsed = JSON.parse(binding.json);
    } catch {
      return [`binding ${name} is not valid JSON`];
    }
    return [
      ...(looksLikeCredentialName(name) ? [`binding ${name} is named like a credential`] : []),
      ...jsonLeaves(parsed, name).flatMap(([path, value]) => {
        const key = path.split(/[.[\]]/).filter(Boolean).at(-1) ?? "";
        const shape = typeof value === "string" ? credentialShapeOf(value) : undefined;
        return [
          ...(looksLikeCredentialName(key) && value !== null && value !== "" ? [`${path} is named like a credential`] : []),
          ...(shape === undefined ? [] : [`${path} holds ${shape}`]),
        ];
      }),
    ];
  }
  return [];
}

export const workersNoCredentialInPlainBinding: ResourceValidationPolicy = {
  name: "workers-no-credential-in-plain-binding",
  description: "No plain_text or json Worker binding carries anything that looks like a credential, by name or by value.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const finding of bindingsOf(args.props).flatMap(credentialFindings)) {
      reportViolation(`${args.name}: ${finding}: bind credentials as secrets_store_secret on the router or outbound Worker, never as plain_text/json.`);
    }
  },
};

/** Binding types that put a secret value inside the Worker that holds them. */
const SECRET_BINDINGS = new Set(["secret_text", "secrets_store_secret", "secret_key"]);

export const workersUserWorkerHoldsNoSecret: ResourceValidationPolicy = {
  name: "workers-user-worker-holds-no-secret",
  description: "No secret is bound into a user Worker of a dispatch namespace: apps hold secret references, resolved by the outbound Worker.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== COMPONENT_TYPES.tenantApp) return;
    for (const binding of bindingsOf(args.props).filter((b) => SECRET_BINDINGS.has(String(b.type)))) {
      reportViolation(`App ${args.name} binds ${String(binding.type)} ${String(binding.name)}: list it under the org's secrets as a reference for the outbound Worker instead.`);
    }
  },
};

const dispatchBindings = (resource: PolicyResource) => bindingsOf(resource.props).filter((b) => b.type === "dispatch_namespace");

export const workersDispatchHasOutbound: StackValidationPolicy = {
  name: "workers-dispatch-has-outbound",
  description: "Every dispatch_namespace binding names an outbound Worker that this stack declares, so user Workers never reach the network directly.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const declared = new Set(args.resources.filter((r) => r.type === "cloudflare:index/workersScript:WorkersScript").map((r) => r.props["scriptName"]));
    for (const resource of args.resources) {
      for (const binding of dispatchBindings(resource)) {
        const service = binding.outbound?.worker?.service;
        if (typeof service !== "string" || service === "") {
          reportViolation(`${resource.name}: dispatch_namespace binding ${String(binding.name)} has no outbound Worker: set outbound.worker.service.`, resource.urn);
        } else if (!declared.has(service)) {
          reportViolation(`${resource.name}: outbound Worker ${service} of binding ${String(binding.name)} is not declared in this stack: declare it here.`, resource.urn);
        }
      }
    }
  },
};
