import type { ClusterConfig } from "../components/cluster-config";

/*
 * Placement (DESIGN property 20: capacity is declared, not hoped): which org database lives on
 * which platform cluster, and whether every cluster can hold what is placed on it. Pure: no
 * Pulumi import, no files; the CLI reads the stacks and the platform config and hands them in.
 *
 * A cluster's budget is the sum of its orgs' connection quotas (each org database's CONNECTION
 * LIMIT, the most its roles may ever hold at once) plus the cluster's reserve, against its
 * max_connections; its databases against maxDatabases. Checking and proposing share one
 * function (fits), so a proposal is never a placement the check would refuse.
 */

/** An org as placement sees it: its stack, its quota, and the cluster it names (undefined: the small-team path, its own server). */
export interface OrgDemand {
  readonly stack: string;
  /** `quotas.maxConnections`: the org database's CONNECTION LIMIT. */
  readonly maxConnections: number;
  readonly cluster?: string;
}

/** What one cluster holds and may hold. */
export interface ClusterLoad {
  readonly cluster: string;
  readonly region: string;
  /** The stacks placed on it, sorted. */
  readonly stacks: readonly string[];
  /** The sum of their connection quotas. */
  readonly quotas: number;
  /** Connections kept for the platform: the entry's reserveConnections, or defaultReserve. */
  readonly reserve: number;
  readonly maxConnections: number;
  readonly maxDatabases: number;
}

/**
 * The reserve of a cluster that declares none: 5% of max_connections, at least 3 (the least an
 * entry may declare). It covers what is not an org's quota: the deploy path's provider pools,
 * monitoring, RDS's own reserved superuser slots.
 */
export function defaultReserve(maxConnections: number): number {
  return Math.max(3, Math.ceil(maxConnections / 20));
}

export const reserveOf = (cluster: Pick<ClusterConfig, "maxConnections" | "reserveConnections">): number =>
  cluster.reserveConnections ?? defaultReserve(cluster.maxConnections);

/** Connections the cluster is committed to: every quota plus the reserve. */
export const committed = (load: Pick<ClusterLoad, "quotas" | "reserve">): number => load.quotas + load.reserve;

/** Connections still free for a new org's quota; negative when over-committed. */
export const headroom = (load: ClusterLoad): number => load.maxConnections - committed(load);

/** Can `load` take one more database of `maxConnections`? The one rule both the check and the proposal use. */
export function fits(load: ClusterLoad, maxConnections: number): boolean {
  return committed(load) + maxConnections <= load.maxConnections && load.stacks.length + 1 <= load.maxDatabases;
}

export interface FleetLoads {
  /** One per declared cluster, in the order the platform declares them. */
  readonly loads: readonly ClusterLoad[];
  /** Orgs that name a cluster the platform does not declare. */
  readonly unknown: readonly { readonly stack: string; readonly cluster: string }[];
  /** Orgs on no cluster (the small-team path: each names its own server). */
  readonly unplaced: readonly string[];
}

export function loadsOf(clusters: readonly ClusterConfig[], orgs: readonly OrgDemand[]): FleetLoads {
  const byCluster = new Map(clusters.map((c) => [c.name, [] as OrgDemand[]]));
  const unknown: { stack: string; cluster: string }[] = [];
  const unplaced: string[] = [];
  for (const org of orgs) {
    if (org.cluster === undefined) unplaced.push(org.stack);
    else if (byCluster.has(org.cluster)) byCluster.get(org.cluster)?.push(org);
    else unknown.push({ stack: org.stack, cluster: org.cluster });
  }
  const loads = clusters.map((c): ClusterLoad => {
    const placed = byCluster.get(c.name) ?? [];
    return {
      cluster: c.name, region: c.region,
      stacks: placed.map((o) => o.stack).sort(),
      quotas: placed.reduce((sum, o) => sum + o.maxConnections, 0),
      reserve: reserveOf(c), maxConnections: c.maxConnections, maxDatabases: c.maxDatabases,
    };
  });
  return { loads, unknown, unplaced: unplaced.sort() };
}

const count = (n: number) => n.toLocaleString("en-US");

/**
 * Every way the fleet is over-committed, one message per cluster and limit, with the numbers
 * (`cluster pg-eu-1: 1,040 of 1,000 connections (quotas 990 + reserve 50)`), and every org
 * placed on a cluster that is not declared. Empty: the fleet fits.
 */
export function fleetProblems(clusters: readonly ClusterConfig[], fleet: FleetLoads): string[] {
  const names = clusters.map((c) => c.name).join(", ") || "none declared";
  return [
    ...fleet.unknown.map((u) => `${u.stack}: placement.cluster ${u.cluster} is not a cluster of tenantry:platform.clusters (${names})`),
    ...fleet.loads.flatMap((load) => [
      ...(committed(load) > load.maxConnections
        ? [`cluster ${load.cluster}: ${count(committed(load))} of ${count(load.maxConnections)} connections (quotas ${count(load.quotas)} + reserve ${count(load.reserve)})`]
        : []),
      ...(load.stacks.length > load.maxDatabases ? [`cluster ${load.cluster}: ${count(load.stacks.length)} of ${count(load.maxDatabases)} databases`] : []),
    ]),
  ];
}

/** A new org asking for a cluster. */
export interface NewOrg {
  readonly stack: string;
  readonly maxConnections: number;
  /** Only clusters in this AWS region; undefined: any region. */
  readonly region?: string;
}

export type Proposal =
  | { readonly stack: string; readonly cluster: string }
  | { readonly stack: string; readonly cluster?: undefined; readonly reason: string };

/**
 * The cluster for one new org: among the clusters in its region that can take it (fits), the
 * one with the most connection headroom left after it; ties go to the one with fewer databases,
 * then to the name that sorts first. Deterministic, so two runs over the same stacks agree.
 */
export function proposeCluster(loads: readonly ClusterLoad[], org: NewOrg): Proposal {
  const inRegion = loads.filter((l) => org.region === undefined || l.region === org.region);
  const candidates = inRegion.filter((l) => fits(l, org.maxConnections));
  const best = candidates.sort((a, b) => headroom(b) - headroom(a) || a.stacks.length - b.stacks.length || (a.cluster < b.cluster ? -1 : 1))[0];
  if (best !== undefined) return { stack: org.stack, cluster: best.cluster };
  const where = org.region === undefined ? "" : ` in ${org.region}`;
  const reason = inRegion.length === 0
    ? `no cluster${where} is declared in tenantry:platform.clusters`
    : `no cluster${where} has room for ${count(org.maxConnections)} more connections and one more database (${inRegion.map((l) => `${l.cluster}: ${count(headroom(l))} connections, ${count(l.maxDatabases - l.stacks.length)} databases free`).join("; ")})`;
  return { stack: org.stack, reason };
}

/** Adds `org` to the load of the cluster it was placed on. */
export function withOrg(loads: readonly ClusterLoad[], cluster: string, org: Pick<OrgDemand, "stack" | "maxConnections">): ClusterLoad[] {
  return loads.map((l) => (l.cluster !== cluster ? l : { ...l, stacks: [...l.stacks, org.stack].sort(), quotas: l.quotas + org.maxConnections }));
}

/**
 * Proposals for several new orgs, one after the other, each placed before the next is
 * proposed: the loads returned are what the fleet would be with every proposal taken.
 */
export function proposeClusters(loads: readonly ClusterLoad[], orgs: readonly NewOrg[]): { readonly proposals: Proposal[]; readonly loads: ClusterLoad[] } {
  let current = [...loads];
  const proposals = orgs.map((org) => {
    const proposal = proposeCluster(current, org);
    if (proposal.cluster !== undefined) current = withOrg(current, proposal.cluster, org);
    return proposal;
  });
  return { proposals, loads: current };
}
