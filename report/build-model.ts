import type { RouterConfig } from "../workers/dispatch/config";
import type { AppAccess } from "../workers/lib/access-policy";
import type { OrgSpec } from "../spec/spec";
import { environmentRoleName, schemaName } from "../spec/naming";
import { claimCounts } from "../local/proof/prove";
import { accessMatrix } from "./access-matrix";
import { notProvenHere } from "./not-proven";
import { POSTURE_PROPERTIES } from "./properties";
import { reportProperties } from "./property-verdict";
import type { PolicyOutcome, ReportClaim, ReportModel, SecretReference } from "./report-model";

/*
 * The trust page's model, from evidence only: the proof's claims (each under the properties it
 * was tagged with when it ran), the router's configuration (for the access matrix), the pack's
 * outcomes over the stack, and the validated spec. Pure: the CLI gathers the evidence
 * (report/gather-evidence.ts) and a test can hand in any. Nothing of a secret but its reference
 * is read, so no value can reach the page.
 */

/** One claim as the proof recorded it. */
export type ProvenClaim = ReportClaim & { readonly properties?: readonly number[] };

export interface ReportEvidence {
  readonly spec: OrgSpec;
  /** The configuration the program binds into the org's router (components/edge-config.ts routerConfig); absent when the org declares no edge. */
  readonly router?: RouterConfig;
  readonly proof: {
    readonly source: ReportModel["proof"]["source"];
    readonly target: string;
    readonly provedAt: string;
    readonly claims: readonly ProvenClaim[];
  };
  readonly policies: readonly PolicyOutcome[];
  readonly tenantry: ReportModel["tenantry"];
  readonly generatedAt: string;
}

export function describeAccess(access: AppAccess, workspace: string): string {
  if ("minRole" in access) return `role ${access.minRole} or above`;
  if ("users" in access) return `named users: ${access.users.join(", ")}`;
  if ("workspaceMembers" in access) return `members of workspace ${workspace}`;
  return "editors only (developer or above)";
}

/** Every secret the org refers to, by reference: the outbound Worker's (scoped, with its hosts) and each integration's signing secret (read by the router alone). */
export function secretInventory(spec: Pick<OrgSpec, "secrets" | "integrations">): SecretReference[] {
  return [
    ...spec.secrets.map((s) => ({ name: s.name, scope: s.scope, reference: s.ref, allowedHosts: [...s.allowedHosts] })),
    ...spec.integrations.map((i) => ({ name: `${i.name} (integration signing secret, read by the router only)`, scope: i.environment, reference: i.secret, allowedHosts: [] })),
  ];
}

export function buildReportModel(evidence: ReportEvidence): ReportModel {
  const { spec, proof } = evidence;
  const claims = proof.claims.map(({ claim, attempt, result, status, at, properties }) => ({
    claim, attempt, result, status, ...(at === undefined ? {} : { at }), ...(properties === undefined ? {} : { properties }),
  }));
  const tally = claimCounts(claims);
  return {
    org: {
      slug: spec.slug,
      tier: spec.tier,
      environments: [...spec.environments],
      workspaces: spec.workspaces.map((w) => w.slug),
      apps: spec.apps.map((a) => ({ name: a.slug, workspace: a.workspace, access: describeAccess(a.access, a.workspace) })),
      ...(spec.placement === undefined ? {} : { placement: spec.placement.cluster }),
      // The plan's own names, for the diagram (the spec is validated, so naming cannot throw here).
      roles: spec.environments.map((environment) => ({ environment, runtime: environmentRoleName(spec.slug, environment, "runtime"), ddl: environmentRoleName(spec.slug, environment, "ddl") })),
      schemas: spec.workspaces.flatMap((w) => spec.environments.map((environment) => ({ workspace: w.slug, environment, name: schemaName(w.slug, environment) }))),
    },
    proof: { source: proof.source, target: proof.target, provedAt: proof.provedAt, counts: tally },
    properties: reportProperties(POSTURE_PROPERTIES, claims, evidence.policies, proof.source.kind, { placed: spec.placement !== undefined }),
    access: evidence.router === undefined ? { principals: [], columns: [], cells: [] } : accessMatrix(evidence.router),
    policies: [...evidence.policies],
    secrets: secretInventory(spec),
    notProvenHere: notProvenHere({ noEdge: evidence.router === undefined, untaggedClaims: claims.filter((c) => c.properties === undefined).length, skippedClaims: tally.skipped, saved: proof.source.kind === "saved" }),
    tenantry: evidence.tenantry,
    generatedAt: evidence.generatedAt,
  };
}
