import { committed, headroom, type ClusterLoad, type Proposal } from "../fleet/placement";
import type { FleetPlacement } from "./fleet-placement";

/* What `tenantry placement plan` prints, as text or as JSON. Pure. */

const count = (n: number) => n.toLocaleString("en-US");

export interface PlacementPlan {
  readonly placement: FleetPlacement;
  /** The fleet check's refusals: over-commitment and unknown clusters. */
  readonly problems: readonly string[];
  readonly proposals: readonly Proposal[];
}

function clusterLine(load: ClusterLoad, quotaOf: (stack: string) => number): string[] {
  const head = `cluster ${load.cluster} (${load.region}): ${count(load.stacks.length)} of ${count(load.maxDatabases)} databases, ` +
    `${count(committed(load))} of ${count(load.maxConnections)} connections (quotas ${count(load.quotas)} + reserve ${count(load.reserve)}), ${count(headroom(load))} free`;
  return [head, ...load.stacks.map((stack) => `  ${stack}  ${count(quotaOf(stack))} connections`)];
}

export function renderPlacementPlan(plan: PlacementPlan): string {
  const { placement, problems, proposals } = plan;
  const quotas = new Map(placement.orgs.map((o) => [o.stack, o.maxConnections]));
  const lines: string[] = [];
  if (placement.clusters.length === 0) lines.push("no clusters in tenantry:platform.clusters (platform/Pulumi.platform.yaml): every org names its own server (the small-team path)");
  for (const load of placement.fleet.loads) lines.push(...clusterLine(load, (stack) => quotas.get(stack) ?? 0));
  if (placement.fleet.unplaced.length > 0) lines.push(`on their own server (no placement): ${placement.fleet.unplaced.join(", ")}`);
  if (placement.unreadable.length > 0) lines.push(`not counted (their spec does not validate; tenantry validate <stack> says why): ${placement.unreadable.join(", ")}`);
  if (proposals.length > 0) {
    lines.push("", "proposed placements (most connection headroom left, then fewest databases, then name):");
    for (const p of proposals) lines.push(p.cluster === undefined ? `  ${p.stack}: none: ${p.reason}` : `  ${p.stack} -> ${p.cluster}`);
  }
  lines.push("", ...(problems.length === 0 ? ["the fleet fits: no cluster is over-committed"] : problems.map((p) => `error: ${p}`)));
  return lines.join("\n");
}

export function placementPlanJson(plan: PlacementPlan) {
  const clusters = plan.placement.fleet.loads.map((l) => ({
    name: l.cluster, region: l.region, databases: l.stacks, maxDatabases: l.maxDatabases,
    quotas: l.quotas, reserve: l.reserve, committed: committed(l), maxConnections: l.maxConnections, headroom: headroom(l),
  }));
  return { clusters, unplaced: plan.placement.fleet.unplaced, unreadable: plan.placement.unreadable, proposals: plan.proposals, problems: plan.problems };
}
