import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLUSTER_NAME, clusterSchema, type ClusterConfig, type ClusterNetwork } from "../../components/cluster-config";
import { clusterCapacity, masterPasswordOf, parameterGroupFamily, planCluster, spreadInstances } from "../../components/postgres-cluster-plan";

/* The pure decisions behind each platform cluster (components/postgres-cluster-plan.ts), and the network entry they read. */

const network: ClusterNetwork = {
  vpcId: "vpc-0a1b2c3d4e5f60718",
  subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"],
  availabilityZones: ["eu-west-1a", "eu-west-1b"],
  deploySecurityGroupIds: ["sg-0a1b2c3d4e5f60d01"],
  appSecurityGroupIds: ["sg-0a1b2c3d4e5f60a01", "sg-0a1b2c3d"],
};
const cluster: ClusterConfig = { name: "pg-eu-1", region: "eu-west-1", engineVersion: "17", instanceClass: "db.r7g.large", instances: 2, maxConnections: 1000, maxDatabases: 200, network };

/** RDS's identifier rule: a letter first, letters, digits and single hyphens, no trailing hyphen (at most 63 for clusters and instances, 255 for the rest). */
const RDS_IDENTIFIER = /^[a-z](?:[a-z0-9]|-(?!-))*[a-z0-9]$/;
const problems = (input: unknown) => {
  const parsed = clusterSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("a cluster's plan", () => {
  it("gives every AWS name a valid RDS identifier, whatever valid cluster name is generated", () => {
    fc.assert(fc.property(fc.stringMatching(CLUSTER_NAME).filter((name) => name.length <= 40), (name) => {
      const plan = planCluster({ ...cluster, name, instances: 15 }, { ...network, availabilityZones: ["eu-west-1a", "eu-west-1b"] });
      for (const id of [plan.identifier, ...plan.instances.map((i) => i.identifier)]) expect(id.length, id).toBeLessThanOrEqual(63);
      for (const id of [plan.identifier, plan.subnetGroupName, plan.securityGroupName, plan.parameterGroupName, plan.instanceParameterGroupName, plan.finalSnapshotIdentifier, ...plan.instances.map((i) => i.identifier)]) {
        expect(id.length, id).toBeLessThanOrEqual(255);
        expect(id).toMatch(RDS_IDENTIFIER);
      }
    }), { numRuns: 500 });
  });

  it("spreads any number of instances over two zones or more so that no zone holds them all and no zone holds two more than another", () => {
    fc.assert(fc.property(fc.integer({ min: 2, max: 15 }), fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e", "f"), { minLength: 2, maxLength: 6 }), (count, letters) => {
      const zones = letters.map((l) => `eu-west-1${l}`);
      const placed = spreadInstances("tenantry-pg", count, zones).map((i) => i.availabilityZone);
      expect(placed).toHaveLength(count);
      expect(new Set(placed).size).toBe(Math.min(count, zones.length));
      const perZone = zones.map((z) => placed.filter((p) => p === z).length);
      expect(Math.max(...perZone) - Math.min(...perZone)).toBeLessThanOrEqual(1);
    }));
  });

  it("admits the deploy and app security groups, each once, and nothing else", () => {
    expect(planCluster(cluster, network).ingress.map((rule) => rule.securityGroupId)).toEqual(["sg-0a1b2c3d4e5f60d01", "sg-0a1b2c3d4e5f60a01", "sg-0a1b2c3d"]);
  });

  it("keeps 14 days of backups unless the entry says production: false, then 7", () => {
    expect([undefined, true, false].map((production) => planCluster({ ...cluster, ...(production === undefined ? {} : { production }) }, network).backupRetentionDays)).toEqual([14, 14, 7]);
  });

  it("takes the parameter family from the engine's major version", () => {
    expect(["17", "17.4", "16.8", "14"].map(parameterGroupFamily)).toEqual(["aurora-postgresql17", "aurora-postgresql17", "aurora-postgresql16", "aurora-postgresql14"]);
  });

  it("reports capacity with the reserve only when the entry declares one", () => {
    expect(clusterCapacity(cluster)).toEqual({ maxConnections: 1000, maxDatabases: 200 });
    expect(clusterCapacity({ ...cluster, reserveConnections: 30 })).toEqual({ maxConnections: 1000, maxDatabases: 200, reserveConnections: 30 });
  });

  it("reads the master password from RDS's secret, and refuses a secret without one", () => {
    expect(masterPasswordOf(JSON.stringify({ username: "tenantry_admin", password: "p4ss" }))).toBe("p4ss");
    expect(() => masterPasswordOf(JSON.stringify({ username: "tenantry_admin" }))).toThrowError("the cluster's master user secret holds no password");
  });
});

describe("a cluster's network entry", () => {
  it("accepts the documented shape", () => {
    expect(problems(cluster)).toEqual([]);
  });

  it("admits only security group ids: any address range, 0.0.0.0/0 included, is refused where a group is named", () => {
    fc.assert(fc.property(fc.oneof(fc.constant("0.0.0.0/0"), fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, bits]) => `${ip}/${bits}`), fc.string()), fc.constantFrom("deploySecurityGroupIds", "appSecurityGroupIds"), (source, key) => {
      expect(problems({ ...cluster, network: { ...network, [key]: [source] } })).toEqual([`network.${key}.0: must be a security group id (sg- and 8 or 17 hex digits)`]);
    }));
    expect(problems({ ...cluster, network: { ...network, cidrBlocks: ["10.0.0.0/8"] } })[0]).toMatch(/^network: .*cidrBlocks/);
  });

  it("refuses one subnet, one zone, a zone of another region, and an empty deploy or app path, naming each field", () => {
    expect(problems({ ...cluster, network: { ...network, subnetIds: ["subnet-0a1b2c3d4e5f60001"] } })).toEqual(["network.subnetIds: must list at least 2 private subnet ids"]);
    expect(problems({ ...cluster, network: { ...network, availabilityZones: ["eu-west-1a"] } })).toEqual(["network.availabilityZones: must list at least 2 availability zones: instances in one zone fail together"]);
    expect(problems({ ...cluster, network: { ...network, availabilityZones: ["eu-west-1a", "us-east-1b"] } })).toEqual(["network.availabilityZones.1: must be a zone of the cluster's region eu-west-1 (got us-east-1b)"]);
    expect(problems({ ...cluster, network: { ...network, appSecurityGroupIds: [] } })).toEqual(["network.appSecurityGroupIds: must list at least 1 security group id"]);
    expect(problems({ ...cluster, network: { ...network, subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60001"] } })).toEqual(["network.subnetIds: must list each private subnet id once"]);
  });
});
