import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "../../components/cluster-config";
import { clustersSchema } from "../../components/cluster-config";
import { committed, defaultReserve, fits, fleetProblems, loadsOf, proposeCluster, proposeClusters, reserveOf, type OrgDemand } from "../../fleet/placement";

/*
 * The capacity planner (DESIGN property 20), tested as the stack-file author who would
 * over-commit a cluster: with generated fleets, the planner never proposes a placement the
 * check then refuses, and every sum it reports is exact.
 */

const cluster = (name: string, overrides: Partial<ClusterConfig> = {}): ClusterConfig => ({
  name, region: "eu-west-1", engineVersion: "17", instanceClass: "db.r7g.large", instances: 2, maxConnections: 1000, maxDatabases: 200, ...overrides,
});

/** Clusters as the platform schema accepts them: the generator goes through the real contract. */
const clustersArb = fc.uniqueArray(fc.record({
  name: fc.constantFrom("pg-eu-1", "pg-eu-2", "pg-us-1", "pg-us-2", "pg-ap-1"),
  region: fc.constantFrom("eu-west-1", "us-east-1"),
  maxConnections: fc.integer({ min: 50, max: 2000 }),
  maxDatabases: fc.integer({ min: 1, max: 40 }),
  reserve: fc.option(fc.integer({ min: 3, max: 49 }), { nil: undefined }),
}), { selector: (c) => c.name, minLength: 1, maxLength: 5 }).map((entries) => clustersSchema.parse(entries.map(({ reserve, ...c }) => ({
  ...c, engineVersion: "17", instanceClass: "db.r7g.large", instances: 2, ...(reserve === undefined ? {} : { reserveConnections: reserve }),
}))));

const quotaArb = fc.integer({ min: 7, max: 500 });

const fleetArb = clustersArb.chain((clusters) => fc.tuple(
  fc.constant(clusters),
  fc.array(fc.record({ cluster: fc.option(fc.constantFrom(...clusters.map((c) => c.name)), { nil: undefined }), maxConnections: quotaArb }), { maxLength: 60 })
    .map((orgs) => orgs.map((o, i): OrgDemand => ({ stack: `org-o${i}`, maxConnections: o.maxConnections, ...(o.cluster === undefined ? {} : { cluster: o.cluster }) }))),
  fc.array(fc.record({ maxConnections: quotaArb, region: fc.option(fc.constantFrom("eu-west-1", "us-east-1"), { nil: undefined }) }), { maxLength: 40 }),
));

describe("cluster loads", () => {
  it("sums every placed org's quota exactly, and counts each once on its own cluster", () => {
    fc.assert(fc.property(fleetArb, ([clusters, orgs]) => {
      const { loads, unplaced } = loadsOf(clusters, orgs);
      for (const load of loads) {
        const placed = orgs.filter((o) => o.cluster === load.cluster);
        expect(load.quotas).toBe(placed.reduce((sum, o) => sum + o.maxConnections, 0));
        expect(load.stacks).toEqual(placed.map((o) => o.stack).sort());
      }
      expect(loads.reduce((n, l) => n + l.stacks.length, 0) + unplaced.length).toBe(orgs.length);
    }));
  });

  it("takes the entry's reserve, or 5% of max_connections and at least 3 when it declares none", () => {
    expect(reserveOf(cluster("pg-eu-1", { reserveConnections: 50 }))).toBe(50);
    expect(reserveOf(cluster("pg-eu-1", { maxConnections: 1000 }))).toBe(50);
    expect(reserveOf(cluster("pg-eu-1", { maxConnections: 1001 }))).toBe(51);
    expect(defaultReserve(50)).toBe(3);
  });
});

describe("the fleet check", () => {
  it("refuses an over-committed cluster with its name and the numbers", () => {
    const clusters = [cluster("pg-eu-1", { reserveConnections: 50 })];
    const orgs = [{ stack: "org-a", cluster: "pg-eu-1", maxConnections: 500 }, { stack: "org-b", cluster: "pg-eu-1", maxConnections: 490 }];
    expect(fleetProblems(clusters, loadsOf(clusters, orgs))).toEqual(["cluster pg-eu-1: 1,040 of 1,000 connections (quotas 990 + reserve 50)"]);
  });

  it("accepts a cluster filled exactly to max_connections: the limit is inclusive", () => {
    const clusters = [cluster("pg-eu-1", { reserveConnections: 50 })];
    const orgs = [{ stack: "org-a", cluster: "pg-eu-1", maxConnections: 950 }];
    expect(fleetProblems(clusters, loadsOf(clusters, orgs))).toEqual([]);
  });

  it("refuses more databases than the cluster may hold", () => {
    const clusters = [cluster("pg-eu-1", { maxDatabases: 1 })];
    const orgs = [{ stack: "org-a", cluster: "pg-eu-1", maxConnections: 20 }, { stack: "org-b", cluster: "pg-eu-1", maxConnections: 20 }];
    expect(fleetProblems(clusters, loadsOf(clusters, orgs))).toEqual(["cluster pg-eu-1: 2 of 1 databases"]);
  });

  it("refuses an org placed on a cluster the platform does not declare, naming the ones it does", () => {
    const clusters = [cluster("pg-eu-1"), cluster("pg-us-1")];
    expect(fleetProblems(clusters, loadsOf(clusters, [{ stack: "org-a", cluster: "pg-eu-9", maxConnections: 20 }])))
      .toEqual(["org-a: placement.cluster pg-eu-9 is not a cluster of tenantry:platform.clusters (pg-eu-1, pg-us-1)"]);
  });

  it("refuses exactly the fleets whose committed connections or databases exceed a cluster's limits", () => {
    fc.assert(fc.property(fleetArb, ([clusters, orgs]) => {
      const fleet = loadsOf(clusters, orgs);
      const over = fleet.loads.filter((l) => l.quotas + l.reserve > l.maxConnections || l.stacks.length > l.maxDatabases);
      const problems = fleetProblems(clusters, fleet);
      expect(problems.length > 0).toBe(over.length > 0);
      for (const load of over) expect(problems.some((p) => p.startsWith(`cluster ${load.cluster}: `))).toBe(true);
    }));
  });
});

describe("proposals", () => {
  it("never proposes a placement the fleet check then refuses", () => {
    fc.assert(fc.property(fleetArb, ([clusters, orgs, newOrgs]) => {
      // Start from a fleet that fits: only what the planner adds is on trial.
      const fitting: OrgDemand[] = [];
      let loads = loadsOf(clusters, []).loads;
      for (const org of orgs) {
        const at = loads.find((l) => l.cluster === org.cluster);
        if (org.cluster === undefined || (at !== undefined && fits(at, org.maxConnections))) {
          fitting.push(org);
          loads = loadsOf(clusters, fitting).loads;
        }
      }
      const requests = newOrgs.map((o, i) => ({ stack: `org-n${i}`, maxConnections: o.maxConnections, ...(o.region === undefined ? {} : { region: o.region }) }));
      const { proposals } = proposeClusters(loadsOf(clusters, fitting).loads, requests);
      const placed = proposals.flatMap((p, i) => (p.cluster === undefined ? [] : [{ stack: p.stack, cluster: p.cluster, maxConnections: requests[i]?.maxConnections ?? NaN }]));
      expect(fleetProblems(clusters, loadsOf(clusters, [...fitting, ...placed]))).toEqual([]);
      proposals.forEach((p, i) => {
        const region = requests[i]?.region;
        if (p.cluster !== undefined && region !== undefined) expect(clusters.find((c) => c.name === p.cluster)?.region).toBe(region);
      });
    }));
  });

  it("proposes a cluster whenever one in the region can take the org (a refusal is never a false no)", () => {
    fc.assert(fc.property(fleetArb, quotaArb, ([clusters, orgs], quota) => {
      const { loads } = loadsOf(clusters, orgs);
      const proposal = proposeCluster(loads, { stack: "org-new", maxConnections: quota });
      expect(proposal.cluster !== undefined).toBe(loads.some((l) => fits(l, quota)));
    }));
  });

  it("picks the cluster with the most headroom, then fewer databases, then the first name", () => {
    const loads = loadsOf([cluster("pg-b"), cluster("pg-a"), cluster("pg-c", { maxConnections: 2000 })], [
      { stack: "org-x", cluster: "pg-a", maxConnections: 100 },
      { stack: "org-y", cluster: "pg-c", maxConnections: 1400 },
    ]).loads;
    expect(proposeCluster(loads, { stack: "org-new", maxConnections: 20 })).toEqual({ stack: "org-new", cluster: "pg-b" });
    const tied = loadsOf([cluster("pg-b"), cluster("pg-a")], []).loads;
    expect(proposeCluster(tied, { stack: "org-new", maxConnections: 20 })).toEqual({ stack: "org-new", cluster: "pg-a" });
  });

  it("says why when no cluster in the region has room, with each cluster's headroom", () => {
    const loads = loadsOf([cluster("pg-eu-1", { reserveConnections: 50 }), cluster("pg-us-1", { region: "us-east-1" })], [{ stack: "org-a", cluster: "pg-eu-1", maxConnections: 940 }]).loads;
    expect(proposeCluster(loads, { stack: "org-new", maxConnections: 20, region: "eu-west-1" })).toEqual({
      stack: "org-new", reason: "no cluster in eu-west-1 has room for 20 more connections and one more database (pg-eu-1: 10 connections, 199 databases free)",
    });
    expect(proposeCluster(loads, { stack: "org-new", maxConnections: 20, region: "ap-south-1" })).toEqual({ stack: "org-new", reason: "no cluster in ap-south-1 is declared in tenantry:platform.clusters" });
  });

  it("counts each proposal before the next, so a batch cannot over-commit a cluster together", () => {
    const loads = loadsOf([cluster("pg-eu-1", { maxConnections: 100, reserveConnections: 10 })], []).loads;
    const { proposals, loads: after } = proposeClusters(loads, [{ stack: "org-a", maxConnections: 50 }, { stack: "org-b", maxConnections: 50 }]);
    expect(proposals.map((p) => p.cluster)).toEqual(["pg-eu-1", undefined]);
    expect(after.map(committed)).toEqual([60]);
  });
});
