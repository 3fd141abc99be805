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
}).superRefine((cluster, ctx) => {
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
