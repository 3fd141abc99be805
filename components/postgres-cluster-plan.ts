import type { ClusterConfig, ClusterNetwork } from "./cluster-config";

/*
 * Every decision about one platform Postgres cluster (components/postgres-cluster.ts wires
 * them): AWS names, the parameter group, backup retention, where each instance runs, who is
 * admitted to port 5432, and the provisioning login the org stacks deploy as. Pure: no Pulumi import.
 */

export const CLUSTER_ENGINE = "aurora-postgresql";
export const POSTGRES_PORT = 5432;

/** RDS's master user: only the platform stack connects as it, once per deploy, to keep the provisioning login. */
export const MASTER_USERNAME = "tenantry_admin";

/**
 * The login every org stack deploys as (their `postgresql:username`): what the local engine
 * imitates (local/provider-admin.ts, docs/managed-server.md), LOGIN CREATEDB CREATEROLE and no
 * superuser, a member of `rds_superuser` for the elevated migrations' event triggers, and of
 * `rds_iam`, so it logs in only with a short-lived IAM token: it has no password at all.
 */
export const PROVISIONING_LOGIN = {
  name: "tenantry",
  login: true,
  createDatabase: true,
  createRole: true,
  superuser: false,
  replication: false,
  bypassRowLevelSecurity: false,
  roles: ["rds_iam", "rds_superuser"],
} as const;

/** Backups are kept this long; production clusters twice the AWS-guard minimum. */
export const BACKUP_RETENTION_DAYS = { production: 14, nonProduction: 7 } as const;

/** Logs shipped to CloudWatch: Postgres's own, where the connection logging below lands. */
export const LOG_EXPORTS = ["postgresql"] as const;

export interface ParameterPlan {
  readonly name: string;
  readonly value: string;
  /** Static parameters (max_connections) take effect at the next reboot; RDS refuses "immediate" for them. */
  readonly applyMethod: "immediate" | "pending-reboot";
}

export interface ClusterPlan {
  /** The cluster identifier, and the prefix of every AWS name below (identifiers are per account and region). */
  readonly identifier: string;
  readonly subnetGroupName: string;
  readonly securityGroupName: string;
  readonly parameterGroupName: string;
  /** aurora-postgresql<major>: a parameter group serves exactly one major version. */
  readonly parameterGroupFamily: string;
  readonly parameters: readonly ParameterPlan[];
  /** The instances' own parameter group: Aurora takes an instance-level value over the cluster's, so max_connections is set there too. */
  readonly instanceParameterGroupName: string;
  readonly instanceParameters: readonly ParameterPlan[];
  readonly finalSnapshotIdentifier: string;
  readonly backupRetentionDays: number;
  readonly instances: readonly { readonly identifier: string; readonly availabilityZone: string }[];
  /** The only ingress: Postgres's port from the deploy path's and the app path's security groups. */
  readonly ingress: readonly { readonly description: string; readonly securityGroupId: string }[];
}

/** Whether the cluster holds production orgs: omitted means yes, the longer retention. */
export const isProductionCluster = (cluster: Pick<ClusterConfig, "production">) => cluster.production !== false;

export const parameterGroupFamily = (engineVersion: string) => `${CLUSTER_ENGINE}${engineVersion.split(".")[0] ?? engineVersion}`;

/** The number placement budgets every org's quota against: each instance must hold exactly it. */
const maxConnectionsParameter = (cluster: Pick<ClusterConfig, "maxConnections">): ParameterPlan =>
  ({ name: "max_connections", value: String(cluster.maxConnections), applyMethod: "pending-reboot" });

export function clusterParameters(cluster: Pick<ClusterConfig, "maxConnections">): ParameterPlan[] {
  return [
    // A connection without TLS is refused by the server, whatever the client asks for.
    { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
    // Who connected and for how long: what an operator reads after an org's role misbehaves.
    { name: "log_connections", value: "1", applyMethod: "immediate" },
    { name: "log_disconnections", value: "1", applyMethod: "immediate" },
    maxConnectionsParameter(cluster),
  ];
}

/** Instance i runs in zone i mod n: with two zones or more and two instances or more, never all in one zone. */
export function spreadInstances(identifier: string, instances: number, zones: readonly string[]): ClusterPlan["instances"] {
  return Array.from({ length: instances }, (_, i) => ({ identifier: `${identifier}-${i + 1}`, availabilityZone: zones[i % zones.length] ?? "" }));
}

export function planCluster(cluster: ClusterConfig, network: ClusterNetwork): ClusterPlan {
  // Cluster names are lower-case words joined by single hyphens, at most 40 characters: every
  // name below is a valid RDS identifier (letter first, no double or trailing hyphen, <= 63).
  const identifier = `tenantry-${cluster.name}`;
  const family = parameterGroupFamily(cluster.engineVersion);
  return {
    identifier,
    subnetGroupName: identifier,
    securityGroupName: `${identifier}-postgres`,
    parameterGroupName: `${identifier}-${family}`,
    parameterGroupFamily: family,
    parameters: clusterParameters(cluster),
    instanceParameterGroupName: `${identifier}-instances-${family}`,
    instanceParameters: [maxConnectionsParameter(cluster)],
    finalSnapshotIdentifier: `${identifier}-final`,
    backupRetentionDays: isProductionCluster(cluster) ? BACKUP_RETENTION_DAYS.production : BACKUP_RETENTION_DAYS.nonProduction,
    instances: spreadInstances(identifier, cluster.instances, network.availabilityZones),
    ingress: [
      ...network.deploySecurityGroupIds.map((securityGroupId) => ({ description: "deploy path: pulumi up of the platform and org stacks", securityGroupId })),
      ...network.appSecurityGroupIds.map((securityGroupId) => ({ description: "app path: tenant apps' connections (Hyperdrive tunnel connector)", securityGroupId })),
    ],
  };
}

/**
 * Tags on each of the cluster's resources. `tenantry:production` is what the pack reads to hold a
 * production cluster to 14 days of backups; absent, it assumes production.
 */
export const clusterTags = (cluster: Pick<ClusterConfig, "name" | "production">): Record<string, string> =>
  ({ "tenantry:cluster": cluster.name, [PRODUCTION_TAG]: String(isProductionCluster(cluster)) });

export const PRODUCTION_TAG = "tenantry:production";

/** What placement reads of a cluster (by StackReference to the platform stack's `clusters` output). */
export interface ClusterCapacity {
  readonly maxConnections: number;
  readonly maxDatabases: number;
  /** Declared only when the entry sets it; placement applies its default otherwise. */
  readonly reserveConnections?: number;
}

export function clusterCapacity(cluster: ClusterConfig): ClusterCapacity {
  return {
    maxConnections: cluster.maxConnections,
    maxDatabases: cluster.maxDatabases,
    ...(cluster.reserveConnections === undefined ? {} : { reserveConnections: cluster.reserveConnections }),
  };
}

/** The master user's password, as RDS keeps it in its Secrets Manager secret (a JSON object with username and password). */
export function masterPasswordOf(secretString: string): string {
  const parsed: unknown = JSON.parse(secretString);
  const password = typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>)["password"] : undefined;
  if (typeof password !== "string" || password === "") throw new Error("the cluster's master user secret holds no password");
  return password;
}
