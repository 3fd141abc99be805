import * as rds from "@pulumi/aws/rds";
import { validateResourceOfType, type PolicyResource } from "@pulumi/policy";
import { BACKUP_RETENTION_DAYS, POSTGRES_PORT, PRODUCTION_TAG, PROVISIONING_LOGIN } from "../components/postgres-cluster-plan";
import { isPlatformClusterResource } from "./platform-clusters";
import { readKnown, UNKNOWN } from "./unknowns";
import type { TenantryResourcePolicy, TenantryStackPolicy } from "./policy-types";

/*
 * The platform's Postgres clusters (components/postgres-cluster.ts), held to the RDS / Aurora
 * posture the common rule sets check (awsguard, CIS, Prowler): one rule per concern. Values
 * unknown during preview (a key's ARN) are skipped, never guessed.
 */

const CLUSTER = "aws:rds/cluster:Cluster";
const INSTANCE = "aws:rds/clusterInstance:ClusterInstance";
const PARAMETER_GROUP = "aws:rds/clusterParameterGroup:ClusterParameterGroup";
const ROLE = "postgresql:index/role:Role";
const MAX_BACKUP_DAYS = 35;

/** A customer key: a key id or ARN, never the AWS-managed `alias/aws/rds`. */
const isCustomerKey = (key: unknown) => key === UNKNOWN || (typeof key === "string" && key !== "" && !key.includes("alias/aws/"));

export const rdsStorageEncryptedCustomerKey: TenantryResourcePolicy = {
  name: "rds-storage-encrypted-customer-key",
  description: "Every RDS cluster encrypts its storage with a customer-managed KMS key.",
  rationale: "Unencrypted storage leaves every org's rows readable from a snapshot or a disk; under the AWS-managed key nobody controls its grants or rotation, and a snapshot cannot be shared without exposing it.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(rds.Cluster, (cluster, args, reportViolation) => {
    if (cluster.storageEncrypted !== true) reportViolation(`RDS cluster ${args.name} must set storageEncrypted: true.`);
    if (!isCustomerKey(readKnown(cluster, "kmsKeyId"))) reportViolation(`RDS cluster ${args.name} must set kmsKeyId to the cluster's customer-managed KMS key.`);
  }),
};

export const rdsNotPubliclyAccessible: TenantryResourcePolicy = {
  name: "rds-not-publicly-accessible",
  description: "No RDS cluster instance is publicly accessible.",
  rationale: "A public instance gets an address reachable from the internet: every org database on it is then one leaked or guessed credential away from anyone.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(rds.ClusterInstance, (instance, args, reportViolation) => {
    // RDS's default depends on the subnet group: only an explicit false is private.
    if (instance.publiclyAccessible !== false) reportViolation(`RDS instance ${args.name} must set publiclyAccessible: false.`);
  }),
};

export const rdsDeletionProtection: TenantryResourcePolicy = {
  name: "rds-deletion-protection",
  description: "Every RDS cluster has deletion protection on.",
  rationale: "One delete call (or a replacement in a diff nobody read) would remove every org database on the cluster at once; deletion protection makes it take a deliberate change first.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(rds.Cluster, (cluster, args, reportViolation) => {
    if (cluster.deletionProtection !== true) reportViolation(`RDS cluster ${args.name} must set deletionProtection: true.`);
  }),
};

export const rdsBackupRetention: TenantryResourcePolicy = {
  name: "rds-backup-retention",
  description: `Every RDS cluster keeps backups ${BACKUP_RETENTION_DAYS.nonProduction}-${MAX_BACKUP_DAYS} days, and at least ${BACKUP_RETENTION_DAYS.production} unless tagged ${PRODUCTION_TAG}: "false".`,
  rationale: "Point-in-time recovery reaches back only as far as retention: a week is the least that lets a team notice a bad migration; production orgs get two. A cluster without the tag is judged as production.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(rds.Cluster, (cluster, args, reportViolation) => {
    const tags = readKnown(cluster, "tags");
    const tag = tags === UNKNOWN ? UNKNOWN : readKnown(tags, PRODUCTION_TAG);
    if (tag === UNKNOWN) return;
    const min = tag === "false" ? BACKUP_RETENTION_DAYS.nonProduction : BACKUP_RETENTION_DAYS.production;
    const days = cluster.backupRetentionPeriod;
    if (typeof days !== "number" || days < min || days > MAX_BACKUP_DAYS) {
      reportViolation(`RDS cluster ${args.name} must set backupRetentionPeriod ${min}..${MAX_BACKUP_DAYS} days${tag === "false" ? "" : " (a production cluster)"} (got ${String(days)}).`);
    }
  }),
};

export const rdsFinalSnapshot: TenantryResourcePolicy = {
  name: "rds-final-snapshot",
  description: "Every RDS cluster takes a final snapshot when deleted: skipFinalSnapshot false, with a finalSnapshotIdentifier.",
  rationale: "Automated backups go with a deleted cluster; the final snapshot is the only copy of every org's data that outlives it.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(rds.Cluster, (cluster, args, reportViolation) => {
    if (cluster.skipFinalSnapshot === true || typeof cluster.finalSnapshotIdentifier !== "string" || cluster.finalSnapshotIdentifier === "") {
      reportViolation(`RDS cluster ${args.name} must set skipFinalSnapshot: false and a finalSnapshotIdentifier.`);
    }
  }),
};

export const rdsIamAuthentication: TenantryResourcePolicy = {
  name: "rds-iam-authentication",
  description: "Every RDS cluster has IAM database authentication on.",
  rationale: "Without it the provisioning login needs a password that every deploy job holds; with it a deploy logs in with a 15-minute IAM token its role can mint, and revoking the role revokes the access.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(rds.Cluster, (cluster, args, reportViolation) => {
    if (cluster.iamDatabaseAuthenticationEnabled !== true) reportViolation(`RDS cluster ${args.name} must set iamDatabaseAuthenticationEnabled: true.`);
  }),
};

export const rdsLogExports: TenantryResourcePolicy = {
  name: "rds-log-exports",
  description: "Every RDS cluster exports its postgresql log to CloudWatch.",
  rationale: "Connection and error logs kept only on the instance are lost with it and read by no alarm; exported, they outlive it and can be searched.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(rds.Cluster, (cluster, args, reportViolation) => {
    if (!(cluster.enabledCloudwatchLogsExports ?? []).includes("postgresql")) reportViolation(`RDS cluster ${args.name} must set enabledCloudwatchLogsExports: ["postgresql"].`);
  }),
};

export const rdsMasterPasswordManaged: TenantryResourcePolicy = {
  name: "rds-master-password-managed",
  description: "Every RDS cluster's master password is managed by RDS in Secrets Manager: manageMasterUserPassword true, no masterPassword.",
  rationale: "A master password passed in lands in the program's inputs and the stack's state; managed by RDS it is generated and rotated in Secrets Manager and never leaves it, but for the deploy that reads it as a secret.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(rds.Cluster, (cluster, args, reportViolation) => {
    if (cluster.manageMasterUserPassword !== true) reportViolation(`RDS cluster ${args.name} must set manageMasterUserPassword: true.`);
    if (cluster.masterPassword !== undefined || cluster.masterPasswordWo !== undefined) reportViolation(`RDS cluster ${args.name} must not set masterPassword or masterPasswordWo: RDS manages the master password.`);
  }),
};

export const rdsPerformanceInsightsEncrypted: TenantryResourcePolicy = {
  name: "rds-performance-insights-encrypted",
  description: "Every RDS cluster instance has Performance Insights on, encrypted with a customer-managed KMS key.",
  rationale: "Performance Insights keeps the text of the statements orgs run, literals included: it must be on (to find a noisy org) and under a key the platform controls.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(rds.ClusterInstance, (instance, args, reportViolation) => {
    if (instance.performanceInsightsEnabled !== true || !isCustomerKey(readKnown(instance, "performanceInsightsKmsKeyId"))) {
      reportViolation(`RDS instance ${args.name} must set performanceInsightsEnabled: true with performanceInsightsKmsKeyId, the cluster's customer-managed key.`);
    }
  }),
};

export const rdsAutoMinorVersionUpgrade: TenantryResourcePolicy = {
  name: "rds-auto-minor-version-upgrade",
  description: "Every RDS cluster instance takes minor version upgrades automatically.",
  rationale: "Minor versions carry Postgres's security fixes; an instance that skips them keeps known holes open until someone remembers.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(rds.ClusterInstance, (instance, args, reportViolation) => {
    if (instance.autoMinorVersionUpgrade !== true) reportViolation(`RDS instance ${args.name} must set autoMinorVersionUpgrade: true.`);
  }),
};

/** The security group's ingress: Postgres's port from named security groups, nothing else. */
function ingressProblems(ingress: unknown): string[] {
  if (!Array.isArray(ingress) || ingress.length === 0) return ["admits nothing (declare the deploy and app paths)"];
  return ingress.flatMap((rule: Record<string, unknown>, i) => {
    const groups = rule["securityGroups"];
    const ports = rule["fromPort"] === POSTGRES_PORT && rule["toPort"] === POSTGRES_PORT && rule["protocol"] === "tcp";
    const sourceOnlyGroups = Array.isArray(groups) && groups.length > 0 && ["cidrBlocks", "ipv6CidrBlocks", "prefixListIds"].every((key) => !Array.isArray(rule[key]) || rule[key].length === 0) && rule["self"] !== true;
    return ports && sourceOnlyGroups ? [] : [`ingress[${i}] must admit tcp ${POSTGRES_PORT} from named security groups only (no CIDR, prefix list or self)`];
  });
}

const childrenOf = (resources: readonly PolicyResource[], component: string | undefined, type: string) =>
  resources.filter((r) => r.type === type && r.parent?.urn === component);

export const rdsClustersDeclaredByPlatform: TenantryStackPolicy = {
  name: "rds-clusters-declared-by-platform",
  description: `Every RDS cluster is declared by the platform's PostgresCluster component, with 2+ instances in 2+ availability zones, its parameter group forcing TLS (rds.force_ssl = 1), and a security group admitting tcp ${POSTGRES_PORT} from named security groups only.`,
  rationale: "Instances in one zone fail together; a server that accepts plain connections sends credentials and rows in clear; an ingress by CIDR (0.0.0.0/0 at worst) admits more than the deploy and app paths. Judged per component, so a cluster declared any other way is refused rather than judged on a guess.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const cluster of args.resources.filter((r) => r.type === CLUSTER)) {
      if (!isPlatformClusterResource(cluster)) {
        reportViolation(`RDS cluster ${cluster.name} must be declared by the platform's PostgresCluster component (tenantry:platform.clusters).`, cluster.urn);
        continue;
      }
      const component = cluster.parent?.urn;
      const zones = childrenOf(args.resources, component, INSTANCE).map((i) => readKnown(i.props, "availabilityZone"));
      const known = zones.filter((z): z is string => typeof z === "string");
      if (zones.length < 2 || (known.length === zones.length && new Set(known).size < 2)) {
        reportViolation(`RDS cluster ${cluster.name} needs at least 2 instances in at least 2 availability zones (has ${zones.length} in ${new Set(known).size}).`, cluster.urn);
      }
      const groups = childrenOf(args.resources, component, PARAMETER_GROUP);
      const named = readKnown(cluster.props, "dbClusterParameterGroupName");
      const group = groups.find((g) => readKnown(g.props, "name") === named);
      const parameters = group === undefined ? undefined : readKnown(group.props, "parameters");
      if (named !== UNKNOWN && parameters !== UNKNOWN && !(Array.isArray(parameters) && parameters.some((p: Record<string, unknown>) => p["name"] === "rds.force_ssl" && p["value"] === "1"))) {
        reportViolation(`RDS cluster ${cluster.name} must use its component's parameter group, with rds.force_ssl = 1.`, cluster.urn);
      }
    }
    for (const group of args.resources.filter((r) => r.type === "aws:ec2/securityGroup:SecurityGroup" && isPlatformClusterResource(r))) {
      const ingress = readKnown(group.props, "ingress");
      if (ingress === UNKNOWN) continue;
      for (const problem of ingressProblems(ingress)) reportViolation(`Security group ${group.name} ${problem}.`, group.urn);
    }
  },
};

/** What the provisioning login must hold, exactly: no password (IAM only), no more memberships. */
function provisioningLoginProblems(props: Record<string, unknown>): string[] {
  const problems: string[] = [];
  for (const [key, expected] of Object.entries(PROVISIONING_LOGIN)) {
    if (key === "roles") continue;
    if (props[key] !== expected) problems.push(`${key} must be ${JSON.stringify(expected)}`);
  }
  const roles = props["roles"];
  const expectedRoles = [...PROVISIONING_LOGIN.roles].sort();
  if (!Array.isArray(roles) || JSON.stringify([...roles].sort()) !== JSON.stringify(expectedRoles)) problems.push(`roles must be exactly ${expectedRoles.join(", ")}`);
  for (const key of ["password", "passwordWo", "validUntil", "assumeRole"]) if (props[key] !== undefined) problems.push(`${key} must not be set (the login authenticates with IAM only)`);
  return problems;
}

export const rdsProvisioningLoginShape: TenantryStackPolicy = {
  name: "rds-provisioning-login-shape",
  description: `The platform cluster's one Postgres role is the provisioning login: ${PROVISIONING_LOGIN.name}, LOGIN CREATEDB CREATEROLE, no superuser, replication or BYPASSRLS, a member of ${PROVISIONING_LOGIN.roles.join(" and ")} only, without a password.`,
  rationale: "Every org stack deploys as this login: more attributes (superuser, replication) would reach every org's data at once; a password would be a credential every deploy job holds, where rds_iam admits only a short-lived IAM token.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => {
    for (const role of args.resources.filter((r) => r.type === ROLE && isPlatformClusterResource(r))) {
      for (const problem of provisioningLoginProblems(role.props)) reportViolation(`Role ${role.name} ${problem}.`, role.urn);
    }
  },
};
