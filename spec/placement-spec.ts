import { z } from "zod";
import { CLUSTER_NAME } from "../components/cluster-config";

/*
 * The org spec's `placement` (DESIGN property 20): which of the platform's Postgres clusters
 * holds the org database. Split from spec.ts, which keeps the fields of the org itself. Absent:
 * the small-team path, where the stack names its server in `postgresql:host` (docs/placement.md).
 */

/** The platform stack an org reads its cluster from unless it names another: project tenantry-platform, stack platform, in the org stack's own Pulumi organization. */
export const DEFAULT_PLATFORM_STACK = "tenantry-platform/platform";

/**
 * A Pulumi stack reference: `<project>/<stack>` (the org stack's own Pulumi organization) or
 * `<organization>/<project>/<stack>`, each part a Pulumi name (letters, digits, `-`, `_`, `.`).
 */
export const PLATFORM_STACK = /^(?:[A-Za-z0-9][A-Za-z0-9_.-]{0,99}\/){1,2}[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$/;

export const placementSchema = z.strictObject({
  cluster: z.string({ error: "must name one of the platform's clusters (tenantry:platform.clusters[].name)" })
    .max(40, { error: "must be a cluster name of at most 40 characters" })
    .regex(CLUSTER_NAME, { error: "must be a cluster name: lower-case letters and digits in words joined by single hyphens, starting with a letter (pg-eu-1)" })
    .describe("The platform cluster that holds the org database: one of tenantry:platform.clusters[].name. The org's Postgres provider reads its endpoint, port and region from the platform stack and connects with IAM authentication, so the stack names no host and holds no database password."),
  platformStack: z.string({ error: "must be a Pulumi stack reference" })
    .regex(PLATFORM_STACK, { error: "must be a Pulumi stack reference: <project>/<stack> or <organization>/<project>/<stack> (tenantry-platform/platform)" })
    .default(DEFAULT_PLATFORM_STACK)
    .describe(`The platform stack whose clusters output the org reads (a StackReference): <project>/<stack> in the org stack's own Pulumi organization, or <organization>/<project>/<stack>. Default ${DEFAULT_PLATFORM_STACK}.`),
});

export type Placement = z.output<typeof placementSchema>;
