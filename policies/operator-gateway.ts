import type { PolicyResource } from "@pulumi/policy";
import { GATEWAY_AUDIT_BINDING, OPERATOR_GATEWAY_NAMES } from "../components/operator-gateway-plan";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { readKnown, UNKNOWN } from "./unknowns";
import type { TenantryStackPolicy } from "./policy-types";

/*
 * The platform stack's operator gateway (components/operator-gateway.ts). Its allowlist decides
 * who may reach every org as an operator, so the only Worker that may bind it is the gateway, and
 * only the gateway's route reaches that Worker. An org stack declares none of it (its types are
 * refused there, and the component is the platform's); an org stack's one D1 database is its API key
 * store, which api-key-store.ts judges.
 */

const D1 = "cloudflare:index/d1Database:D1Database";
const SCRIPT = "cloudflare:index/workersScript:WorkersScript";
const ROUTE = "cloudflare:index/workersRoute:WorkersRoute";

/** A resource the platform's OperatorGateway component declared (itself or its direct children). */
export const isOperatorGatewayResource = (r: PolicyResource) => r.type === COMPONENT_TYPES.operatorGateway || r.parent?.type === COMPONENT_TYPES.operatorGateway;

const bindingsOf = (script: PolicyResource): Record<string, unknown>[] => {
  const bindings = readKnown(script.props, "bindings");
  return Array.isArray(bindings) ? (bindings as Record<string, unknown>[]) : [];
};

export const cloudflareOperatorAllowlistPrivate: TenantryStackPolicy = {
  name: "cloudflare-operator-allowlist-private",
  description: "Outside org stacks, the operator allowlist (D1) is declared only by the platform's OperatorGateway, protected, without read replicas, bound by no Worker but the gateway, and no route but the gateway's reaches a Worker that binds it.",
  rationale: "Whoever can read or write the allowlist decides who reaches every org as an operator: a second Worker bound to it (or a route to one) is a public way around the gateway, and a read replica can serve a revoked entry after the revocation.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    // An org stack's one D1 database is its API key store, judged by the cloudflare-api-key-store-* rules.
    if (args.resources.some((r) => r.type === COMPONENT_TYPES.orgTenant)) return;
    const stores = args.resources.filter((r) => r.type === D1);
    for (const store of stores) {
      const findings: string[] = [];
      if (!isOperatorGatewayResource(store)) findings.push(`${store.name} is a D1 database not declared by the platform's OperatorGateway: the only D1 database tenantry declares is the operator allowlist.`);
      if (!store.opts.protect) findings.push(`${store.name} must be protected (protect: true): it is the operator allowlist.`);
      const replication = readKnown(store.props, "readReplication") as { mode?: unknown } | typeof UNKNOWN | undefined;
      if (replication !== UNKNOWN && replication?.mode !== "disabled") findings.push(`${store.name} must set readReplication: { mode: "disabled" }: a replica can serve an entry after its revocation.`);
      for (const finding of findings) reportViolation(finding, store.urn);
    }
    for (const script of args.resources.filter((r) => r.type === SCRIPT)) {
      const d1 = bindingsOf(script).filter((b) => b["type"] === "d1");
      if (d1.length === 0) continue;
      const scriptName = readKnown(script.props, "scriptName");
      if (scriptName !== OPERATOR_GATEWAY_NAMES.script || !isOperatorGatewayResource(script)) {
        reportViolation(`${script.name} binds a D1 database (${d1.map((b) => String(b["name"])).join(", ")}): only the operator gateway (${OPERATOR_GATEWAY_NAMES.script}) may bind the operator allowlist.`, script.urn);
      }
    }
    for (const route of args.resources.filter((r) => r.type === ROUTE)) {
      const script = readKnown(route.props, "script");
      if (script === UNKNOWN) continue;
      if (!isOperatorGatewayResource(route) || script !== OPERATOR_GATEWAY_NAMES.script) {
        reportViolation(`${route.name} routes to ${String(script)}: the platform stack routes only to the operator gateway (${OPERATOR_GATEWAY_NAMES.script}).`, route.urn);
      }
    }
  },
};

export const cloudflareOperatorGatewayAudited: TenantryStackPolicy = {
  name: "cloudflare-operator-gateway-audited",
  description: `The operator gateway Worker binds its audit sink: a service binding named ${GATEWAY_AUDIT_BINDING} to another Worker than itself.`,
  rationale: "Every operator decision (allow or deny, with its reason) must reach the audit sink before the console is reached; a gateway without the binding answers 503 to everyone, and one bound to itself records nothing.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const script of args.resources.filter((r) => r.type === SCRIPT && readKnown(r.props, "scriptName") === OPERATOR_GATEWAY_NAMES.script)) {
      if (readKnown(script.props, "bindings") === UNKNOWN) continue;
      const audit = bindingsOf(script).filter((b) => b["name"] === GATEWAY_AUDIT_BINDING);
      const service = audit[0]?.["service"];
      if (audit.length !== 1 || audit[0]?.["type"] !== "service") {
        reportViolation(`${script.name} must bind its audit sink as a service binding named ${GATEWAY_AUDIT_BINDING} (tenantry:platform.operators.auditService).`, script.urn);
      } else if (service !== UNKNOWN && (typeof service !== "string" || service === "" || service === OPERATOR_GATEWAY_NAMES.script)) {
        reportViolation(`${script.name} binds ${GATEWAY_AUDIT_BINDING} to ${JSON.stringify(service)}: it must name another Worker, the platform's audit sink.`, script.urn);
      }
    }
  },
};
