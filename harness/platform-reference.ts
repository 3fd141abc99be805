import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { MockMonitor, MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { parse } from "yaml";
import { clustersSchema, type ClusterConfig } from "../components/cluster-config";
import { CLUSTERS_OUTPUT } from "../spec/placement-connection";
import { platformStackOf } from "../spec/placement-spec";
import { formatPath, SpecError } from "../spec/spec-errors";

/*
 * The platform stack as a placed org's program reads it offline. A real deploy reads the
 * platform stack's `clusters` output by StackReference; under the mock monitor the platform
 * stack file at hand (platform/Pulumi.platform.yaml) stands in for it: each declared cluster
 * with a synthetic endpoint in its region, so a placement naming an undeclared cluster fails
 * the check as it fails the deploy.
 */

export const PLATFORM_STACK_FILE = join("platform", "Pulumi.platform.yaml");

const STACK_REFERENCE = "pulumi:pulumi:StackReference";

/**
 * The platform's clusters, validated by the platform's own contract (components/cluster-config.ts).
 * No platform file, or no clusters in it: none (the small-team path). Only `clusters` is read,
 * so a platform file whose other settings are being edited does not stop an org's check.
 */
export function readPlatformClusters(projectDir: string): ClusterConfig[] {
  const path = join(projectDir, PLATFORM_STACK_FILE);
  if (!existsSync(path)) return [];
  const file = parse(readFileSync(path, "utf8")) as { config?: Record<string, unknown> } | null;
  const platform = file?.config?.["tenantry:platform"] as { clusters?: unknown } | undefined;
  const parsed = clustersSchema.safeParse(platform?.clusters);
  if (!parsed.success) {
    throw new SpecError(parsed.error.issues.map((issue) => {
      const field = formatPath("tenantry:platform.clusters", issue.path);
      return { field, message: `${field} ${issue.message} (${PLATFORM_STACK_FILE})` };
    }));
  }
  return parsed.data;
}

/** The clusters of the project a stack file is in (`<project>/stacks/Pulumi.<stack>.yaml`); none for a file elsewhere. */
export function platformClustersBeside(stackFilePath: string): ClusterConfig[] {
  const stacksDir = dirname(stackFilePath);
  return basename(stacksDir) === "stacks" ? readPlatformClusters(dirname(stacksDir)) : [];
}

/** The `clusters` output the platform stack would export for these clusters, with synthetic endpoints. */
export function mockClustersOutput(clusters: readonly ClusterConfig[]): Record<string, unknown> {
  return Object.fromEntries(clusters.map((c) => [c.name, {
    endpoint: `${c.name}.cluster-mock.${c.region}.rds.amazonaws.com`, port: 5432, region: c.region,
    maxConnections: c.maxConnections, maxDatabases: c.maxDatabases, ...(c.reserveConnections === undefined ? {} : { reserveConnections: c.reserveConnections }),
  }]));
}

/** The Pulumi organization a run under mocks belongs to (the SDK has none without the CLI). */
export const OFFLINE_ORGANIZATION = "organization";

/**
 * Makes `monitor` answer the platform stack's reference with the platform's `clusters` output
 * (none: an empty one), and no other reference: offline, as in a deploy, an org reads only its
 * own organization's platform stack.
 */
export function answerPlatformReferences(monitor: MockMonitor, clusters: readonly ClusterConfig[]): void {
  const mocks = monitor.mocks;
  const newResource = (args: MockResourceArgs): MockResourceResult | Promise<MockResourceResult> => {
    if (args.type !== STACK_REFERENCE) return mocks.newResource(args);
    const name = String((args.inputs as Record<string, unknown>)["name"]);
    if (name !== platformStackOf(OFFLINE_ORGANIZATION)) throw new Error(`no stack ${name}: an org reads only the platform stack ${platformStackOf(OFFLINE_ORGANIZATION)}`);
    const outputs = clusters.length === 0 ? {} : { [CLUSTERS_OUTPUT]: mockClustersOutput(clusters) };
    return { id: name, state: { name, outputs, secretOutputNames: [] } };
  };
  // The SDK's MockMonitor reads resources through its mocks, which it keeps as a readonly field.
  (monitor as { mocks: MockMonitor["mocks"] }).mocks = { call: (args) => mocks.call(args), newResource };
}
