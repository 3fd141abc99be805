import { z } from "zod";

/*
 * The Postgres clusters the platform declares (`tenantry:platform.clusters`, DESIGN property 20):
 * the servers org databases live on and how much each may hold. The contract both the platform
 * stack (which builds the clusters) and placement (which fills them) read. Pure: no Pulumi import.
 */

/** A cluster's name: what an org's `placement.cluster` names; lower-case words joined by single hyphens. */
export const CLUSTER_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;

const int = (what: string, min: number, max: number) =>
  z.number({ error: `must be ${what}: a whole number from ${min} to ${max}` }).int({ error: `must be ${what}: a whole number from ${min} to ${max}` })
    .min(min, { error: `must be ${what}: at least ${min}` }).max(max, { error: `must be ${what}: at most ${max}` });

const awsId = (prefix: string, what: string) =>
  z.string({ error: `must be ${what} (${prefix}-0123456789abcdef0)` }).regex(new RegExp(`^${prefix}-[0-9a-f]{8}(?:[0-9a-f]{9})?$`), { error: `must be ${what} (${prefix}- and 8 or 17 hex digits)` });

const distinctIds = (prefix: string, what: string, min: number, max: number) =>
  z.array(awsId(prefix, `a ${what}`), { error: `must list ${what}s` }).min(min, { error: `must list at least ${min} ${what}${min === 1 ? "" : "s"}` })
    .max(max, { error: `must list at most ${max} ${what}s` }).refine((ids) => new Set(ids).size === ids.length, { error: `must list each ${what} once` });

/**
 * Where a cluster lives and who may reach it: the VPC and its private subnets, the availability
 * zones its instances spread over, and the two security groups admitted to port 5432. Only
 * security groups can be named, never an address range, so no configuration can open the
 * cluster to 0.0.0.0/0 or to anything outside the VPC's own groups (docs/platform.md).
 */
export const clusterNetworkSchema = z.strictObject({
  /** The VPC the cluster's subnets and security group are in. */
  vpcId: awsId("vpc", "a VPC id"),
  /** Private subnets (no route to an internet gateway), in at least two availability zones: RDS requires two. */
  subnetIds: distinctIds("subnet", "private subnet id", 2, 16),
  /** The zones the instances are spread over, in order (instance i in zone i mod n): two or more, in the cluster's region. */
  availabilityZones: z.array(z.string({ error: "must be an availability zone (eu-west-1a)" }).regex(/^[a-z]{2}(?:-gov)?-[a-z]+-\d[a-z]$/, { error: "must be an availability zone (eu-west-1a)" }), { error: "must list availability zones" })
    .min(2, { error: "must list at least 2 availability zones: instances in one zone fail together" }).max(6, { error: "must list at most 6 availability zones" })
    .refine((zones) => new Set(zones).size === zones.length, { error: "must list each availability zone once" }),
  /** The deploy path: the security group of the jobs that run `pulumi up` (the platform's and every org's). */
  deploySecurityGroupIds: distinctIds("sg", "security group id", 1, 5),
  /** The app path: the security group of what carries tenant apps' connections (the Hyperdrive tunnel's connector). */
  appSecurityGroupIds: distinctIds("sg", "security group id", 1, 5),
});

export const clusterSchema = z.strictObject({
  /** pg-eu-1: unique among the clusters. */
  name: z.string({ error: "must be the cluster's name" }).max(40, { error: "must be at most 40 characters" })
    .regex(CLUSTER_NAME, { error: "must be lower-case letters and digits in words joined by single hyphens, starting with a letter (pg-eu-1)" }),
  /** The AWS region the cluster runs in (eu-west-1). */
  region: z.string({ error: "must be an AWS region (eu-west-1)" }).regex(/^[a-z]{2}(?:-gov)?-[a-z]+-\d$/, { error: "must be an AWS region (eu-west-1)" }),
  /** Aurora PostgreSQL's engine version: a major ("17") or major.minor ("17.4"), 14 or later. */
  engineVersion: z.string({ error: "must be an Aurora PostgreSQL version (\"17\" or \"17.4\")" })
    .regex(/^(1[4-9]|[2-9]\d)(?:\.\d+)?$/, { error: "must be an Aurora PostgreSQL version, 14 or later, as a string (\"17\" or \"17.4\")" }),
  /** The instances' class (db.r7g.large). */
  instanceClass: z.string({ error: "must be an RDS instance class (db.r7g.large)" }).regex(/^db\.[a-z0-9-]+\.[a-z0-9]+$/, { error: "must be an RDS instance class (db.r7g.large)" }),
  /** Writer plus readers, spread across availability zones: one instance is a single point of failure. */
  instances: int("the number of instances (2 or more, across availability zones)", 2, 15),
  /** The server's max_connections: what every org's connection quota on it shares. */
  maxConnections: int("the cluster's max_connections", 50, 262_143),
  /** How many org databases the cluster may hold. */
  maxDatabases: int("the number of org databases the cluster may hold", 1, 10_000),
  /**
   * Connections kept out of every org's reach: the provider's deploy path, monitoring, RDS's own
   * reserved slots. Omitted: placement keeps its default reserve (docs/platform.md).
   */
  reserveConnections: int("the connections kept for the platform", 3, 262_143).optional(),
  /**
   * Whether production orgs live here: backups are then kept 14 days rather than 7. Omitted
   * means true, the safer retention; only a cluster for sandboxes says false.
   */
  production: z.boolean({ error: "must be true or false (omitted: true)" }).optional(),
  /** The VPC, subnets, zones and admitted security groups. The platform stack needs it to build the cluster (placement does not). */
  network: clusterNetworkSchema.optional(),
}).superRefine((cluster, ctx) => {
  cluster.network?.availabilityZones.forEach((zone, i) => {
    if (!zone.startsWith(cluster.region)) ctx.addIssue({ code: "custom", path: ["network", "availabilityZones", i], message: `must be a zone of the cluster's region ${cluster.region} (got ${zone})` });
  });
  if (cluster.reserveConnections !== undefined && cluster.reserveConnections >= cluster.maxConnections) {
    ctx.addIssue({ code: "custom", path: ["reserveConnections"], message: `must be less than maxConnections (${cluster.maxConnections}): a cluster whose reserve takes every connection holds no org` });
  }
});

/** The clusters, each name once: an org's placement must name exactly one. Default none: the small-team path. */
export const clustersSchema = z.array(clusterSchema, { error: "must list the Postgres clusters" }).default([]).superRefine((clusters, ctx) => {
  clusters.forEach((cluster, i) => {
    if (clusters.findIndex((c) => c.name === cluster.name) < i) ctx.addIssue({ code: "custom", path: [i, "name"], message: `names cluster ${cluster.name} again: each cluster is declared once` });
  });
});

export type ClusterConfig = z.output<typeof clusterSchema>;
export type ClusterNetwork = z.output<typeof clusterNetworkSchema>;
