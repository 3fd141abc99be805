import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import type { RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { runProgram } from "../../harness/run-program";
import { readStackFile } from "../../harness/stack-file";
import platform from "../../platform/program";
import { COMPONENT_TYPES } from "../../components/type-tokens";
import { runOrg } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

/*
 * The pack's RDS rules (policies/rds.ts) over the platform stack as declared: the happy path
 * passes, and each test makes one change a platform engineer might, which exactly one rule refuses.
 */

const STACK_FILE = join(__dirname, "..", "..", "platform", "Pulumi.platform.yaml");
const CLUSTER = "platform-cluster-pg-eu-1-cluster";
const INSTANCE = "platform-cluster-pg-eu-1-1";
const GROUP = "platform-cluster-pg-eu-1-security-group";
const PARAMETERS = "platform-cluster-pg-eu-1-parameters";
const LOGIN = "platform-cluster-pg-eu-1-provisioning-login";

let resources: readonly RegisteredResource[];
beforeAll(async () => {
  ({ resources } = await runProgram(readStackFile(STACK_FILE), { program: platform }));
});

const messages = async (rs: readonly RegisteredResource[]) => (await runPolicies(rs)).map((v) => `${v.policy}: ${v.message}`);
const patched = (name: string, patch: Record<string, unknown>) => {
  expect(resources.some((r) => r.name === name), name).toBe(true);
  return resources.map((r) => (r.name === name ? { ...r, inputs: { ...r.inputs, ...patch } } : r));
};
const without = (name: string, key: string) => resources.map((r) => {
  if (r.name !== name) return r;
  const { [key]: _, ...inputs } = r.inputs;
  return { ...r, inputs };
});
const ingressOf = (sources: Record<string, unknown>[]) => sources.map((source) => ({ protocol: "tcp", fromPort: 5432, toPort: 5432, ...source }));

describe("the pack's RDS rules", () => {
  it("pass the platform stack as declared (the control for every refusal below)", async () => {
    expect(await messages(resources)).toEqual([]);
  });

  it.each([
    ["unencrypted storage", CLUSTER, { storageEncrypted: false }, `rds-storage-encrypted-customer-key: RDS cluster ${CLUSTER} must set storageEncrypted: true.`],
    ["the AWS-managed key", CLUSTER, { kmsKeyId: "arn:aws:kms:eu-west-1:123456789012:alias/aws/rds" }, `rds-storage-encrypted-customer-key: RDS cluster ${CLUSTER} must set kmsKeyId to the cluster's customer-managed KMS key.`],
    ["a public instance", INSTANCE, { publiclyAccessible: true }, `rds-not-publicly-accessible: RDS instance ${INSTANCE} must set publiclyAccessible: false.`],
    ["deletion protection off", CLUSTER, { deletionProtection: false }, `rds-deletion-protection: RDS cluster ${CLUSTER} must set deletionProtection: true.`],
    ["a skipped final snapshot", CLUSTER, { skipFinalSnapshot: true }, `rds-final-snapshot: RDS cluster ${CLUSTER} must set skipFinalSnapshot: false and a finalSnapshotIdentifier.`],
    ["IAM authentication off", CLUSTER, { iamDatabaseAuthenticationEnabled: false }, `rds-iam-authentication: RDS cluster ${CLUSTER} must set iamDatabaseAuthenticationEnabled: true.`],
    ["no log exports", CLUSTER, { enabledCloudwatchLogsExports: [] }, `rds-log-exports: RDS cluster ${CLUSTER} must set enabledCloudwatchLogsExports: ["postgresql"].`],
    ["a master password in the program", CLUSTER, { masterPassword: "hunter2-hunter2", manageMasterUserPassword: false }, `rds-master-password-managed: RDS cluster ${CLUSTER} must set manageMasterUserPassword: true.`, `rds-master-password-managed: RDS cluster ${CLUSTER} must not set masterPassword or masterPasswordWo: RDS manages the master password.`],
    ["Performance Insights without the key", INSTANCE, { performanceInsightsKmsKeyId: undefined }, `rds-performance-insights-encrypted: RDS instance ${INSTANCE} must set performanceInsightsEnabled: true with performanceInsightsKmsKeyId, the cluster's customer-managed key.`],
    ["minor upgrades off", INSTANCE, { autoMinorVersionUpgrade: false }, `rds-auto-minor-version-upgrade: RDS instance ${INSTANCE} must set autoMinorVersionUpgrade: true.`],
    ["both instances in one zone", "platform-cluster-pg-eu-1-2", { availabilityZone: "eu-west-1a" }, `rds-clusters-declared-by-platform: RDS cluster ${CLUSTER} needs at least 2 instances in at least 2 availability zones (has 2 in 1).`],
    ["TLS not forced", PARAMETERS, { parameters: [{ name: "rds.force_ssl", value: "0", applyMethod: "immediate" }] }, `rds-clusters-declared-by-platform: RDS cluster ${CLUSTER} must use its component's parameter group, with rds.force_ssl = 1.`],
    ["another parameter group", CLUSTER, { dbClusterParameterGroupName: "default.aurora-postgresql17" }, `rds-clusters-declared-by-platform: RDS cluster ${CLUSTER} must use its component's parameter group, with rds.force_ssl = 1.`],
    ["a login with a password", LOGIN, { password: "hunter2-hunter2" }, `rds-provisioning-login-shape: Role ${LOGIN} password must not be set (the login authenticates with IAM only).`],
    ["a login outside rds_iam", LOGIN, { roles: ["rds_superuser"] }, `rds-provisioning-login-shape: Role ${LOGIN} roles must be exactly rds_iam, rds_superuser.`],
  ] as const)("refuse %s", async (_what, name, patch, ...expected) => {
    expect(await messages(patched(name, patch))).toEqual(expected);
  });

  it("refuse a provisioning login with superuser or replication, by both the role rule and the login's own", async () => {
    expect(await messages(patched(LOGIN, { superuser: true, replication: true }))).toEqual([
      `postgres-role-no-privileged-attributes: Role ${LOGIN} must not hold superuser, replication: set them to false.`,
      `rds-provisioning-login-shape: Role ${LOGIN} superuser must be false.`,
      `rds-provisioning-login-shape: Role ${LOGIN} replication must be false.`,
    ]);
  });

  it("refuse a public instance whose publiclyAccessible is left to RDS's default", async () => {
    expect(await messages(without(INSTANCE, "publiclyAccessible"))).toEqual([`rds-not-publicly-accessible: RDS instance ${INSTANCE} must set publiclyAccessible: false.`]);
  });

  it("hold production clusters to 14..35 days of backups and others to 7..35, whatever the days and the tag", async () => {
    const tags = resources.find((r) => r.name === CLUSTER)?.inputs["tags"] as Record<string, string>;
    await fc.assert(fc.asyncProperty(fc.integer({ min: 0, max: 40 }), fc.constantFrom("true", "false", undefined), async (days, production) => {
      const { "tenantry:production": _, ...rest } = tags;
      const refused = await messages(patched(CLUSTER, { backupRetentionPeriod: days, tags: production === undefined ? rest : { ...rest, "tenantry:production": production } }));
      const min = production === "false" ? 7 : 14;
      expect(refused).toEqual(days >= min && days <= 35 ? [] : [
        `rds-backup-retention: RDS cluster ${CLUSTER} must set backupRetentionPeriod ${min}..35 days${production === "false" ? "" : " (a production cluster)"} (got ${days}).`,
      ]);
    }), { numRuns: 60 });
  });

  it("refuse every ingress that is not tcp 5432 from named security groups: any CIDR (0.0.0.0/0 included), prefix list, self or other port", async () => {
    const cidr = fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 32 })).map(([ip, bits]) => `${ip}/${bits}`);
    const bad = fc.oneof(
      cidr.map((block) => ({ cidrBlocks: [block] })),
      fc.constant({ cidrBlocks: ["0.0.0.0/0"] }),
      fc.ipV6().map((ip) => ({ ipv6CidrBlocks: [`${ip}/64`] })),
      fc.constant({ prefixListIds: ["pl-0123456789abcdef0"] }),
      fc.constant({ self: true, securityGroups: ["sg-0a1b2c3d4e5f60d01"] }),
      fc.integer({ min: 1, max: 65535 }).filter((port) => port !== 5432).map((port) => ({ securityGroups: ["sg-0a1b2c3d4e5f60d01"], fromPort: port, toPort: port })),
      cidr.map((block) => ({ securityGroups: ["sg-0a1b2c3d4e5f60d01"], cidrBlocks: [block] })),
    );
    await fc.assert(fc.asyncProperty(bad, fc.boolean(), async (source, first) => {
      const good = { securityGroups: ["sg-0a1b2c3d4e5f60a01"] };
      const ingress = ingressOf(first ? [source, good] : [good, source]);
      expect(await messages(patched(GROUP, { ingress }))).toEqual([
        `rds-clusters-declared-by-platform: Security group ${GROUP} ingress[${first ? 0 : 1}] must admit tcp 5432 from named security groups only (no CIDR, prefix list or self).`,
      ]);
    }), { numRuns: 80 });
    // Control: the same group with only named groups passes.
    expect(await messages(patched(GROUP, { ingress: ingressOf([{ securityGroups: ["sg-0a1b2c3d4e5f60a01"] }]) }))).toEqual([]);
  });

  it("refuse an RDS cluster the platform's component did not declare (and the org rules refuse it too: it has no org)", async () => {
    const cluster = resources.find((r) => r.name === CLUSTER);
    if (cluster === undefined) throw new Error("no cluster declared");
    const stray = { ...cluster, name: "stray-cluster", parent: undefined, urn: cluster.urn.replace(/::[^:]+::[^:]+$/, "::aws:rds/cluster:Cluster::stray-cluster") };
    expect(await messages([...resources, stray])).toEqual([
      "aws-resources-stay-in-org-region: 1 resource refused: a stack without exactly one org has no org to judge them against, so allows none (see stack-one-org).",
      "rds-clusters-declared-by-platform: RDS cluster stray-cluster must be declared by the platform's PostgresCluster component (tenantry:platform.clusters).",
      "stack-one-org: A stack must declare exactly one org (found 0).",
    ]);
  });

  it("give an org stack no way into the provisioning login's exemption: its DDL role with CREATEDB CREATEROLE under a PostgresCluster is refused, and so is the component", async () => {
    const { resources: org } = await runOrg(validOrgInput());
    const ddl = org.find((r) => r.name === "org-acme-db-dev-ddl");
    if (ddl === undefined) throw new Error("the example org declares no dev DDL role");
    const prefix = ddl.urn.slice(0, ddl.urn.indexOf("::tenantry:index:") + 2);
    const component: RegisteredResource = { urn: `${prefix}${COMPONENT_TYPES.postgresCluster}::org-acme-cluster`, type: COMPONENT_TYPES.postgresCluster, name: "org-acme-cluster", custom: false, parent: undefined, inputs: {}, protect: false, retainOnDelete: false, dependsOn: [] };
    const moved = { ...ddl, parent: component.urn, urn: `${prefix}${COMPONENT_TYPES.postgresCluster}$postgresql:index/role:Role::org-acme-db-dev-ddl`, inputs: { ...ddl.inputs, createDatabase: true, createRole: true } };
    const refused = await messages([...org.filter((r) => r !== ddl), component, moved]);
    expect(refused).toContain("stack-resource-types-allowed: org-acme-cluster is a tenantry:index:PostgresCluster, which no org declares: an org stack holds only the resource types the program declares (docs/policy-pack.md#resource-types).");
    expect(refused.some((m) => m.startsWith("rds-provisioning-login-shape: Role org-acme-db-dev-ddl"))).toBe(true);
    // Control: the example org as declared passes.
    expect(await messages(org)).toEqual([]);
  });
});
