import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "../../components/cluster-config";
import { fleetProblems, loadsOf, type OrgDemand } from "../../fleet/placement";
import { capacityRefusesAThirdOrg, type ClusterProofContext } from "../../local/proof/cluster-claims";

/*
 * The capacity claim of a placed org's proof (local/proof/cluster-claims.ts), over generated
 * fleets: the stack-file author's attempt is a third org that asks for more than its cluster has
 * left. The claim must hold for every fleet that fits, and must fail when the check it is about
 * takes everything, or refuses everything.
 */

const cluster = (name: string, maxConnections: number, reserveConnections?: number): ClusterConfig => ({
  name, region: "eu-west-1", engineVersion: "17", instanceClass: "db.r7g.large", instances: 2, maxConnections, maxDatabases: 200,
  ...(reserveConnections === undefined ? {} : { reserveConnections }),
});

/** A fleet of one or two clusters whose placed orgs fit, the proven org on the first. */
const fittingFleet = fc.record({
  max: fc.integer({ min: 50, max: 5000 }),
  reserve: fc.option(fc.integer({ min: 3, max: 49 }), { nil: undefined }),
  quotas: fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
  other: fc.boolean(),
}).map(({ max, reserve, quotas, other }) => {
  const clusters = [cluster("pg-a", max, reserve), ...(other ? [cluster("pg-b", 1000)] : [])];
  const orgs: OrgDemand[] = quotas.map((q, i) => ({ stack: `org-o${i}`, maxConnections: q, cluster: "pg-a" }));
  return { clusters, orgs };
}).filter(({ clusters, orgs }) => fleetProblems(clusters, loadsOf(clusters, orgs)).length === 0);

const contextOf = ({ clusters, orgs }: { clusters: ClusterConfig[]; orgs: OrgDemand[] }): ClusterProofContext => ({
  stack: "org-o0", database: "tn_o0", logins: [], clusters, orgs, others: [],
  own: { cluster: "pg-a", server: { host: "127.0.0.1", port: 1, user: "postgres", password: "unused" } },
});

describe("the capacity claim of a placed org's proof", () => {
  it("holds on every fleet that fits: the third org one past the headroom is refused with the cluster's numbers, the exact fit taken", async () => {
    await fc.assert(fc.asyncProperty(fittingFleet, async (fleet) => {
      const rows = await capacityRefusesAThirdOrg(contextOf(fleet));
      expect(rows.map((r) => r.status)).toEqual(["pass", "pass", "pass"]);
      expect(rows[0]?.result).toMatch(/^refused: cluster pg-a: [\d,]+ of [\d,]+ connections \(quotas [\d,]+ \+ reserve \d+\)$/);
    }), { numRuns: 200 });
  });

  it("fails when the fleet check takes everything (the guard removed)", async () => {
    await fc.assert(fc.asyncProperty(fittingFleet, async (fleet) => {
      const rows = await capacityRefusesAThirdOrg(contextOf(fleet), () => []);
      expect(rows[0]).toMatchObject({ status: "fail", result: "ACCEPTED, expected refused" });
    }), { numRuns: 50 });
  });

  it("fails when the fleet check refuses everything: the exact fit must be taken", async () => {
    await fc.assert(fc.asyncProperty(fittingFleet, async (fleet) => {
      const rows = await capacityRefusesAThirdOrg(contextOf(fleet), () => ["cluster pg-a: always full"]);
      expect(rows[2]).toMatchObject({ status: "fail", result: "REFUSED: cluster pg-a: always full" });
    }), { numRuns: 50 });
  });
});
