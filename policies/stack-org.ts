import type { PolicyResource, ReportViolation } from "@pulumi/policy";
import { databaseName, schemaName } from "../components/naming";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { orgRoles, type OrgFacts } from "./org-roles";
import { judgeEachKnown } from "./unknowns";

/*
 * The org a stack declares, as the OrgTenant component registers it (components/org-tenant.ts,
 * orgTenantFacts): the facts the allowed grants and roles are derived from. They come from the
 * validated spec, never from the resources being judged, so adding a role or a schema to the
 * stack cannot widen what is allowed.
 */

const list = (value: unknown): string[] | undefined =>
  Array.isArray(value) && value.every((x) => typeof x === "string") ? [...(value as string[])] : undefined;

function factsOf(props: Record<string, unknown>): OrgFacts | undefined {
  const slug = props["slug"];
  const providerLogin = props["providerLogin"];
  const environments = list(props["environments"]);
  const workspaces = list(props["workspaces"]);
  if (typeof slug !== "string" || typeof providerLogin !== "string" || environments === undefined || workspaces === undefined) return undefined;
  const facts = { slug, providerLogin, environments, workspaces, offboarding: props["offboarding"] === true };
  try {
    // The naming module refuses to build a name from facts no valid spec gives.
    orgRoles(facts);
    databaseName(slug);
    for (const env of environments) for (const workspace of workspaces) schemaName(workspace, env);
  } catch {
    return undefined;
  }
  return facts;
}

/**
 * The stack's one org, or undefined when it declares none, several, or one without usable
 * facts: then nothing is allowed (stack-one-org says why). Reads the component's props, so an
 * unknown value throws the pack's UnknownValueError, as any read does.
 */
export function orgOfStack(resources: readonly PolicyResource[]): OrgFacts | undefined {
  const orgs = new Map<string, OrgFacts | undefined>();
  for (const resource of resources.filter((r) => r.type === COMPONENT_TYPES.orgTenant)) {
    const facts = factsOf(resource.props);
    orgs.set(JSON.stringify(facts ?? null), facts);
  }
  return orgs.size === 1 ? [...orgs.values()][0] : undefined;
}

/**
 * For the allowlist rules: each resource of `types` is judged against the stack's one org by
 * `judge`, which returns its violations' messages. With no org, or several, nothing is allowed.
 */
export function judgeAgainstOrg(
  resources: readonly PolicyResource[], types: readonly string[], keys: readonly string[], reportViolation: ReportViolation,
  judge: (resource: PolicyResource, values: Readonly<Record<string, unknown>>, org: OrgFacts) => readonly string[],
): void {
  const judged = resources.filter((r) => types.includes(r.type));
  if (judged.length === 0) return;
  const org = orgOfStack(resources);
  judgeEachKnown(judged, keys, (resource, values) => {
    const messages = org === undefined ? [`${resource.name}: a stack without exactly one org allows no Postgres role or grant (see stack-one-org).`] : judge(resource, values, org);
    for (const message of messages) reportViolation(message, resource.urn);
  });
}
