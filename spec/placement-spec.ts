import { z } from "zod";
import { CLUSTER_NAME } from "../components/cluster-config";

/*
 * The org spec's `placement` (DESIGN property 20): which of the platform's Postgres clusters
 * holds the org database. Split from spec.ts, which keeps the fields of the org itself. Absent:
 * the small-team path, where the stack names its server in `postgresql:host` (docs/placement.md).
 */

/**
 * The platform stack every placed org reads its cluster from: project tenantry-platform (of
 * platform/Pulumi.yaml), stack platform, in the org stack's own Pulumi organization. Fixed here,
 * never taken from the stack file: whoever writes an org's stack must not choose which stack's
 * `clusters` output points its provider (and the deploy job's IAM token) at a host.
 */
export const PLATFORM_STACK_PROJECT_AND_NAME = "tenantry-platform/platform";

/** The platform stack's full reference for an org stack of `organization`. */
export const platformStackOf = (organization: string): string => `${organization}/${PLATFORM_STACK_PROJECT_AND_NAME}`;

export const placementSchema = z.strictObject({
  cluster: z.string({ error: "must name one of the platform's clusters (tenantry:platform.clusters[].name)" })
    .max(40, { error: "must be a cluster name of at most 40 characters" })
    .regex(CLUSTER_NAME, { error: "must be a cluster name: lower-case letters and digits in words joined by single hyphens, starting with a letter (pg-eu-1)" })
    .describe("The platform cluster that holds the org database: one of tenantry:platform.clusters[].name. The org's Postgres provider reads its endpoint, port and region from the platform stack and connects with IAM authentication, so the stack names no host and holds no database password."),
});

export type Placement = z.output<typeof placementSchema>;
