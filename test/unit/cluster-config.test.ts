import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CLUSTER_NAME, clusterSchema, clustersSchema } from "../../components/cluster-config";

const cluster = { name: "pg-eu-1", region: "eu-west-1", engineVersion: "17", instanceClass: "db.r7g.large", instances: 2, maxConnections: 1000, maxDatabases: 200 };

/** Each refusal as "path: message", the way the platform program reports it. */
const problems = (input: unknown) => {
  const parsed = clustersSchema.safeParse(input);
  return parsed.success ? [] : parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("tenantry:platform.clusters", () => {
  it("accepts DESIGN.md's example cluster, and none at all (the small-team path)", () => {
    expect(clustersSchema.parse([cluster])).toEqual([cluster]);
    expect(clustersSchema.parse(undefined)).toEqual([]);
  });

  it("refuses a cluster declared twice, naming the second", () => {
    expect(problems([cluster, { ...cluster, region: "eu-central-1" }])).toEqual(["1.name: names cluster pg-eu-1 again: each cluster is declared once"]);
  });

  it("refuses a single instance, an engine before 14, a version given as a number, and an unknown key, naming each field", () => {
    expect(problems([{ ...cluster, instances: 1 }])).toEqual(["0.instances: must be the number of instances (2 or more, across availability zones): at least 2"]);
    expect(problems([{ ...cluster, engineVersion: "13.9" }])[0]).toMatch(/^0\.engineVersion: must be an Aurora PostgreSQL version, 14 or later/);
    expect(problems([{ ...cluster, engineVersion: 17 }])[0]).toMatch(/^0\.engineVersion: /);
    expect(problems([{ ...cluster, publiclyAccessible: true }])[0]).toMatch(/publiclyAccessible/);
  });

  it("refuses a reserve that takes every connection", () => {
    expect(problems([{ ...cluster, reserveConnections: 1000 }])).toEqual(["0.reserveConnections: must be less than maxConnections (1000): a cluster whose reserve takes every connection holds no org"]);
    expect(problems([{ ...cluster, reserveConnections: 999 }])).toEqual([]);
  });

  it("accepts exactly the names of the documented shape, whatever is generated", () => {
    fc.assert(fc.property(fc.string({ maxLength: 45 }), (name) => {
      const accepted = clusterSchema.safeParse({ ...cluster, name }).success;
      expect(accepted).toBe(name.length <= 40 && CLUSTER_NAME.test(name) && !name.includes("--"));
    }), { numRuns: 2000 });
  });
});
