import { join } from "node:path";
import type { ClusterConfig } from "../components/cluster-config";
import { readPlatformClusters } from "../harness/platform-reference";
import { orgStackFiles, readStackFile } from "../harness/stack-file";
import { fleetProblems, loadsOf, type FleetLoads, type OrgDemand } from "../fleet/placement";
import { SpecError } from "../spec/spec-errors";
import { orgSpecFromStackConfig } from "../spec/stack-config";

/*
 * The fleet as placement sees it, read from the project: the clusters the platform declares
 * (platform/Pulumi.platform.yaml, tenantry:platform.clusters) and each org stack's placement
 * and connection quota (stacks/). What `placement plan`, `onboard` and `check --all` share.
 */

export interface FleetPlacement {
  readonly clusters: readonly ClusterConfig[];
  readonly orgs: readonly OrgDemand[];
  readonly fleet: FleetLoads;
  /** Stacks whose org spec does not validate: not counted; their own check reports why. */
  readonly unreadable: readonly string[];
}

/** Every org stack's demand, validated by the program's own spec check, and the clusters' loads. */
export function readFleet(projectDir: string, now = new Date()): FleetPlacement {
  const clusters = readPlatformClusters(projectDir);
  const orgs: OrgDemand[] = [];
  const unreadable: string[] = [];
  for (const { stack, path } of orgStackFiles(join(projectDir, "stacks"))) {
    try {
      const { values, secretKeys } = readStackFile(path);
      const spec = orgSpecFromStackConfig({ stack, values, secretKeys, now });
      orgs.push({ stack, maxConnections: spec.quotas.maxConnections, ...(spec.placement === undefined ? {} : { cluster: spec.placement.cluster }) });
    } catch (error) {
      if (!(error instanceof SpecError)) throw error;
      unreadable.push(stack);
    }
  }
  return { clusters, orgs, fleet: loadsOf(clusters, orgs), unreadable };
}

/** The fleet check: every over-commitment and unknown cluster, with the numbers. Empty: it fits. */
export function fleetCheck(placement: FleetPlacement): string[] {
  return fleetProblems(placement.clusters, placement.fleet);
}
