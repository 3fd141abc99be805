import type { PolicyResource } from "@pulumi/policy";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { credentialShapeOf, looksLikeCredentialName, nameWords } from "./credential-patterns";
import { readKnown, UNKNOWN } from "./unknowns";
import type { TenantryResourcePolicy, TenantryStackPolicy } from "./policy-types";

/*
 * Workers for Platforms: configuration travels in plain bindings, credentials never do; user
 * Workers hold no secret at all (the outbound Worker resolves references server-side); and the
 * dispatch namespace is only reachable with an outbound Worker in the path. Where Cloudflare
 * resources are, and under which names: cloudflare.ts.
 */

interface Binding {
  readonly name?: unknown;
  readonly type?: unknown;
  readonly text?: unknown;
  readonly json?: unknown;
  readonly outbound?: { readonly worker?: { readonly service?: unknown } };
}

/** Bindings of a WorkersScript, a WorkerVersion, or a TenantApp manifest: whatever carries `bindings`. */
function bindingsOf(props: Record<string, unknown>): Binding[] {
  const bindings = props["bindings"];
  return Array.isArray(bindings) ? (bindings as Binding[]) : [];
}

/** Members only a private JWK has. */
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];

/** A path segment fit to print: an identifier-like key, never a key that could itself be a secret. */
const printable = (key: string) => (/^[A-Za-z_][A-Za-z0-9_-]{0,40}$/.test(key) && credentialShapeOf(key) === undefined ? key : "[key]");

/** Every (path, value, keys on the way) in a JSON value; public JWKs are skipped, private ones reported. */
function jsonLeaves(value: unknown, path: string, keys: readonly string[]): { path: string; value: unknown; keys: readonly string[] }[] {
  if (Array.isArray(value)) return value.flatMap((v, i) => jsonLeaves(v, `${path}[${i}]`, keys));
  if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>;
    if (typeof record["kty"] === "string") {
      // A JSON Web Key: public members are public by definition; a private member is a key.
      const isPrivate = PRIVATE_JWK_MEMBERS.some((m) => m in record);
      return isPrivate ? [{ path, value: "-----BEGIN PRIVATE KEY-----", keys }] : [];
    }
    return Object.entries(record).flatMap(([k, v]) => jsonLeaves(v, `${path}.${printable(k)}`, [...keys, k]));
  }
  return [{ path, value, keys }];
}

/** Why a value bound under these names looks like a credential, or undefined. */
function valueFinding(value: unknown, names: readonly string[]): string | undefined {
  if (typeof value !== "string") return undefined;
  const shape = credentialShapeOf(value);
  // Public key material is long and random by nature; under a "public" name it is not a secret.
  if (shape === "a high-entropy string" && names.some((n) => nameWords(n).includes("public"))) return undefined;
  return shape;
}

/** Why a plain binding looks like it carries a credential; names the place, never the value. */
function credentialFindings(binding: Binding): string[] {
  const type = readKnown(binding, "type");
  if (type !== "plain_text" && type !== "json") return [];
  const name = readKnown(binding, "name");
  const label = typeof name === "string" ? printable(name) : "(unnamed)";
  // The name first: a credential-like name is refused even while its value is unknown.
  const named = typeof name === "string" && looksLikeCredentialName(name) ? [`binding ${label} is named like a credential`] : [];
  const content = readKnown(binding, type === "plain_text" ? "text" : "json");
  if (content === UNKNOWN || typeof content !== "string") return named;
  if (type === "plain_text") {
    const shape = valueFinding(content, [String(name)]);
    return [...named, ...(shape === undefined ? [] : [`binding ${label} holds ${shape}`])];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(content);
  } catch {
    return [...named, `binding ${label} is not valid JSON`];
  }
  return [...named, ...jsonLeaves(parsed, label, []).flatMap(({ path, value, keys }) => {
    // The nearest key names the value (`{"apiKeys": ["..."]}`: apiKeys); containers above it
    // may hold references or other data (`{"secrets": [{"name": ...}]}`).
    const nearest = keys.at(-1);
    const credentialKey = nearest !== undefined && looksLikeCredentialName(nearest) && value !== null && value !== "";
    const shape = valueFinding(value, keys);
    return [...(credentialKey ? [`${path} is named like a credential`] : []), ...(shape === undefined ? [] : [`${path} holds ${shape}`])];
  })];
}

export const workersNoCredentialInPlainBinding: TenantryResourcePolicy = {
  name: "workers-no-credential-in-plain-binding",
  description: "No plain_text or json Worker binding carries anything that looks like a credential, by name or by value.",
  rationale: "A plain_text or json binding is plain configuration, shown in the dashboard, the API and Pulumi state: a credential in one is a credential in the clear.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const finding of bindingsOf(args.props).flatMap(credentialFindings)) {
      reportViolation(`${args.name}: ${finding}: bind credentials as secrets_store_secret on the router or outbound Worker, never as plain_text/json.`);
    }
  },
};

/** Binding types that put a secret value inside the Worker that holds them. */
const SECRET_BINDINGS = new Set(["secret_text", "secrets_store_secret", "secret_key"]);

export const workersUserWorkerHoldsNoSecret: TenantryResourcePolicy = {
  name: "workers-user-worker-holds-no-secret",
  description: "No secret is bound into a user Worker of a dispatch namespace: apps hold secret references, resolved by the outbound Worker.",
  rationale: "User Workers run tenant code: a secret bound into one is readable by that code and by anyone who compromises it. Apps hold references instead, which the outbound Worker resolves server-side for the hosts and environment each is scoped to (posture property 10, README).",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    if (args.type !== COMPONENT_TYPES.tenantApp) return;
    for (const binding of bindingsOf(args.props)) {
      const type = readKnown(binding, "type");
      if (type !== UNKNOWN && !SECRET_BINDINGS.has(String(type))) continue;
      reportViolation(`App ${args.name} binds ${type === UNKNOWN ? "a binding of unknown type" : String(type)} ${printable(String(readKnown(binding, "name")))}: list it under the org's secrets as a reference for the outbound Worker instead.`);
    }
  },
};

const dispatchBindings = (resource: PolicyResource) => bindingsOf(resource.props).filter((b) => readKnown(b, "type") === "dispatch_namespace");
/** Every kind of resource that declares a Worker script by name. */
const WORKER_TYPES = new Set(["cloudflare:index/workersScript:WorkersScript", "cloudflare:index/workerScript:WorkerScript", "cloudflare:index/worker:Worker"]);

export const workersDispatchHasOutbound: TenantryStackPolicy = {
  name: "workers-dispatch-has-outbound",
  description: "Every dispatch_namespace binding names an outbound Worker that this stack declares, so user Workers never reach the network directly.",
  rationale: "Without an outbound Worker, user Workers reach the network directly: nothing logs their requests, limits the hosts they call or keeps secret values away from them.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    const declared = new Set(args.resources.filter((r) => WORKER_TYPES.has(r.type)).flatMap((r) => [readKnown(r.props, "scriptName"), readKnown(r.props, "name")]));
    for (const resource of args.resources) {
      for (const binding of dispatchBindings(resource)) {
        const service = readKnown(readKnown(readKnown(binding, "outbound"), "worker"), "service");
        // A name not known yet (an Output of the outbound script) is resolved at deploy: skip it.
        if (service === UNKNOWN || declared.has(UNKNOWN)) continue;
        if (typeof service !== "string" || service === "") {
          reportViolation(`${resource.name}: dispatch_namespace binding ${String(binding.name)} has no outbound Worker: set outbound.worker.service.`, resource.urn);
        } else if (!declared.has(service)) {
          reportViolation(`${resource.name}: outbound Worker ${service} of binding ${String(binding.name)} is not declared in this stack: declare it here.`, resource.urn);
        }
      }
    }
  },
};
