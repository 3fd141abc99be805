import type { Region } from "@pulumi/aws";
import * as ec2 from "@pulumi/aws/ec2";
import * as kms from "@pulumi/aws/kms";
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import * as awsRds from "@pulumi/aws/rds";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { childName } from "../spec/naming";
import type { ClusterConfig, ClusterNetwork } from "./cluster-config";
import {
  CLUSTER_ENGINE, clusterCapacity, clusterTags, LOG_EXPORTS, MASTER_USERNAME, masterPasswordOf, planCluster, POSTGRES_PORT, PROVISIONING_LOGIN, type ClusterCapacity,
} from "./postgres-cluster-plan";
import { COMPONENT_TYPES } from "./type-tokens";

export interface PostgresClusterArgs {
  /** The validated `tenantry:platform.clusters` entry: name, region, engine, class, instances, capacity. */
  readonly cluster: ClusterConfig;
  /** Its network (required by the platform config for every cluster): VPC, private subnets, zones, the admitted security groups. */
  readonly network: ClusterNetwork;
}

/** What the platform stack exports per cluster, and placement reads by StackReference. */
export interface ClusterOutputs extends ClusterCapacity {
  readonly endpoint: pulumi.Output<string>;
  readonly port: number;
  readonly region: string;
}

/**
 * One Aurora PostgreSQL cluster the org databases are placed on (DESIGN property 20), and the
 * provisioning login the org stacks deploy as. Wiring only: every name and setting comes from
 * postgres-cluster-plan.ts.
 */
export class PostgresCluster extends pulumi.ComponentResource {
  public readonly outputs: ClusterOutputs;

  constructor(name: string, args: PostgresClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    const { cluster, network } = args;
    super(COMPONENT_TYPES.postgresCluster, name, { cluster: cluster.name, region: cluster.region }, opts);
    const plan = planCluster(cluster, network);
    // Its own provider, holding only the cluster's region: nothing comes from the deploy job's aws:* config.
    const provider = new AwsProvider(childName(name, "aws"), { region: cluster.region as Region }, { parent: this });
    const parent = { parent: this, provider };
    const tags = clusterTags(cluster);
    const key = new kms.Key(childName(name, "key"), {
      description: `tenantry cluster ${cluster.name}: storage, Performance Insights and the master secret`,
      enableKeyRotation: true, deletionWindowInDays: 30, tags,
    }, { ...parent, protect: true, retainOnDelete: true });
    const subnets = new awsRds.SubnetGroup(childName(name, "subnets"), {
      name: plan.subnetGroupName, description: `tenantry cluster ${cluster.name}: private subnets`, subnetIds: [...network.subnetIds], tags,
    }, parent);
    const securityGroup = new ec2.SecurityGroup(childName(name, "security-group"), {
      name: plan.securityGroupName, description: `tenantry cluster ${cluster.name}: Postgres from the deploy and app paths only`, vpcId: network.vpcId,
      ingress: plan.ingress.map((rule) => ({ description: rule.description, protocol: "tcp", fromPort: POSTGRES_PORT, toPort: POSTGRES_PORT, securityGroups: [rule.securityGroupId] })),
      // A database starts no connection of its own: no egress, not AWS's default allow-all.
      egress: [], tags,
    }, parent);
    const parameters = new awsRds.ClusterParameterGroup(childName(name, "parameters"), {
      name: plan.parameterGroupName, family: plan.parameterGroupFamily, description: `tenantry cluster ${cluster.name}`,
      parameters: plan.parameters.map((p) => ({ ...p })), tags,
    }, parent);
    // An instance-level max_connections wins over the cluster's: set it there too, so every instance holds the budgeted number.
    const instanceParameters = new awsRds.ParameterGroup(childName(name, "instance-parameters"), {
      name: plan.instanceParameterGroupName, family: plan.parameterGroupFamily, description: `tenantry cluster ${cluster.name}: instances`,
      parameters: plan.instanceParameters.map((p) => ({ ...p })), tags,
    }, parent);
    const rds = new awsRds.Cluster(childName(name, "cluster"), {
      clusterIdentifier: plan.identifier, engine: CLUSTER_ENGINE, engineVersion: cluster.engineVersion, port: POSTGRES_PORT,
      dbSubnetGroupName: subnets.name, vpcSecurityGroupIds: [securityGroup.id], dbClusterParameterGroupName: parameters.name,
      storageEncrypted: true, kmsKeyId: key.arn,
      // RDS generates the master password and keeps it in Secrets Manager under the cluster's key: it never passes through the program or state.
      masterUsername: MASTER_USERNAME, manageMasterUserPassword: true, masterUserSecretKmsKeyId: key.arn,
      iamDatabaseAuthenticationEnabled: true, enabledCloudwatchLogsExports: [...LOG_EXPORTS],
      deletionProtection: true, backupRetentionPeriod: plan.backupRetentionDays, copyTagsToSnapshot: true,
      skipFinalSnapshot: false, finalSnapshotIdentifier: plan.finalSnapshotIdentifier, tags,
    }, { ...parent, protect: true, retainOnDelete: true });
    const instances = plan.instances.map((instance) => new awsRds.ClusterInstance(childName(name, instance.identifier.slice(plan.identifier.length + 1)), {
      identifier: instance.identifier, clusterIdentifier: rds.id, instanceClass: cluster.instanceClass, engine: CLUSTER_ENGINE, engineVersion: cluster.engineVersion,
      availabilityZone: instance.availabilityZone, dbParameterGroupName: instanceParameters.name, publiclyAccessible: false, autoMinorVersionUpgrade: true,
      performanceInsightsEnabled: true, performanceInsightsKmsKeyId: key.arn, tags,
    }, { ...parent, protect: true, retainOnDelete: true }));
    // The master password, read at deploy time from RDS's own secret; a secret from here on.
    const secretArn = rds.masterUserSecrets.apply((secrets) => secrets[0]?.secretArn ?? "");
    const masterPassword = pulumi.secret(secretsmanager.getSecretVersionOutput({ secretId: secretArn }, { parent: this, provider })
      .apply((version) => masterPasswordOf(version.secretString)));
    const master = new postgresql.Provider(childName(name, "postgres"), {
      host: rds.endpoint, port: POSTGRES_PORT, database: "postgres", username: MASTER_USERNAME, password: masterPassword,
      // RDS has no superuser; the master is a member of rds_superuser.
      superuser: false, sslmode: "require",
    }, { parent: this, dependsOn: instances });
    // No password: as a member of rds_iam it can log in only with an IAM token (docs/platform.md).
    new postgresql.Role(childName(name, "provisioning-login"), { ...PROVISIONING_LOGIN, roles: [...PROVISIONING_LOGIN.roles] }, { parent: this, provider: master, protect: true });
    this.outputs = { endpoint: rds.endpoint, port: POSTGRES_PORT, region: cluster.region, ...clusterCapacity(cluster) };
    this.registerOutputs({ ...this.outputs });
  }
}
