import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "../../components/cluster-config";
import { runProgram } from "../../harness/run-program";
import { runPolicies } from "../../harness/run-policies";
import { SpecError } from "../../spec/spec-errors";
import { providerSettings, providersOfPackage } from "../helpers/providers";
import { PROVIDER_CONFIG, validOrgInput } from "../helpers/spec-builder";
import { NOW } from "../helpers/spec-builder";

/*
 * A placed org (tenantry:org.placement) through the real program under the mock monitor: its
 * provider connects to the cluster the platform stack exports, with IAM auth, and the stack
 * file cannot point it anywhere else, as the stack-file author who would try.
 */

const CLUSTERS: ClusterConfig[] = [
  { name: "pg-eu-1", region: "eu-west-1", engineVersion: "17", instanceClass: "db.r7g.large", instances: 2, maxConnections: 1000, maxDatabases: 200 },
  { name: "pg-us-1", region: "us-east-1", engineVersion: "17", instanceClass: "db.r7g.large", instances: 2, maxConnections: 1000, maxDatabases: 200 },
];

const { "postgresql:host": _host, ...LOGIN_CONFIG } = PROVIDER_CONFIG;

function placedStack(cluster: string, extra: Record<string, string> = {}, secretKeys: string[] = []) {
  return {
    stack: "org-acme",
    values: { ...LOGIN_CONFIG, "tenantry:org": JSON.stringify({ ...validOrgInput(), placement: { cluster } }), ...extra },
    secretKeys: new Set(secretKeys), now: NOW,
  };
}

async function problemsOf(run: Promise<unknown>): Promise<string[]> {
  try {
    await run;
  } catch (error) {
    if (error instanceof SpecError) return error.problems.map((p) => p.message);
    throw error;
  }
  return [];
}

describe("a placed org's Postgres provider", () => {
  it("connects to its cluster's endpoint from the platform stack, with IAM auth in the cluster's region and no password", async () => {
    const run = await runProgram(placedStack("pg-us-1"), { platformClusters: CLUSTERS });
    const [provider, ...others] = providersOfPackage(run, "postgresql");
    expect(others).toEqual([]);
    const settings = providerSettings(provider!);
    expect(settings).toMatchObject({ host: "pg-us-1.cluster-mock.us-east-1.rds.amazonaws.com", port: "5432", username: "tenantry", awsRdsIamAuth: "true", awsRdsIamRegion: "us-east-1" });
    expect(settings["password"]).toBeUndefined();
  });

  it("passes the policy pack: the provider rule allows IAM auth exactly for the placed org's region", async () => {
    const run = await runProgram(placedStack("pg-eu-1"), { platformClusters: CLUSTERS });
    expect((await runPolicies(run.resources)).filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });

  it("stops before registering anything when it names a cluster the platform stack does not export, naming the field", async () => {
    expect(await problemsOf(runProgram(placedStack("pg-ap-1"), { platformClusters: CLUSTERS })))
      .toEqual(["tenantry:org.placement.cluster pg-ap-1 is not a cluster of platform stack tenantry-platform/platform (its clusters output has: pg-eu-1, pg-us-1)"]);
    expect(await problemsOf(runProgram(placedStack("pg-eu-1"))))
      .toEqual(["tenantry:org.placement.cluster pg-eu-1 is not a cluster of platform stack tenantry-platform/platform (its clusters output has: none)"]);
  });

  it("is refused when the stack file also names a host, a port or a password, whatever their values", async () => {
    const keys = fc.subarray(["postgresql:host", "postgresql:port", "postgresql:password"] as const, { minLength: 1 });
    await fc.assert(fc.asyncProperty(keys, fc.stringMatching(/^[a-z0-9.]{1,20}$/), async (set, value) => {
      const extra = Object.fromEntries(set.map((key) => [key, value]));
      const problems = await problemsOf(runProgram(placedStack("pg-eu-1", extra, ["postgresql:password"]), { platformClusters: CLUSTERS }));
      expect(problems.map((p) => p.split(" ")[0])).toEqual(set);
      for (const p of problems) expect(p).toMatch(/must not be set with tenantry:org\.placement/);
    }), { numRuns: 10 });
  });
});
