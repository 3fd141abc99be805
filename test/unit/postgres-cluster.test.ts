import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { isSecretValue, type RegisteredResource } from "../../harness/recording-monitor";
import { runPolicies } from "../../harness/run-policies";
import { runProgram } from "../../harness/run-program";
import { readStackFile } from "../../harness/stack-file";
import platform from "../../platform/program";
import { SpecError } from "../../spec/spec-errors";
import { withPlatformConfig } from "../helpers/platform-config";

/* The platform's Postgres clusters (components/postgres-cluster.ts), as the mock monitor records them. */

const STACK_FILE = join(__dirname, "..", "..", "platform", "Pulumi.platform.yaml");
const T = {
  provider: "pulumi:providers:aws",
  key: "aws:kms/key:Key",
  subnets: "aws:rds/subnetGroup:SubnetGroup",
  securityGroup: "aws:ec2/securityGroup:SecurityGroup",
  parameters: "aws:rds/clusterParameterGroup:ClusterParameterGroup",
  cluster: "aws:rds/cluster:Cluster",
  instance: "aws:rds/clusterInstance:ClusterInstance",
  postgres: "pulumi:providers:postgresql",
  role: "postgresql:index/role:Role",
};

let resources: readonly RegisteredResource[];
let outputs: Readonly<Record<string, unknown>>;
beforeAll(async () => {
  ({ resources, outputs } = await runProgram(readStackFile(STACK_FILE), { program: platform }));
});

const ofCluster = (cluster: string, type: string, rs: readonly RegisteredResource[] = resources) =>
  rs.filter((r) => r.type === type && r.name.startsWith(`platform-cluster-${cluster}-`));
const one = (cluster: string, type: string, rs?: readonly RegisteredResource[]) => {
  const [found, ...more] = ofCluster(cluster, type, rs);
  if (found === undefined || more.length > 0) throw new Error(`expected one ${type} of ${cluster}`);
  return found;
};
const platformWith = (change: (p: Record<string, unknown>) => Record<string, unknown>) =>
  runProgram(withPlatformConfig(readStackFile(STACK_FILE), change), { program: platform });
const AWS_TYPE = /^aws:|^pulumi:providers:(aws|postgresql)$|^postgresql:/;

describe("the platform's Postgres clusters", () => {
  it("declare both example clusters, each on its own AWS provider holding only the cluster's region", () => {
    expect(resources.filter((r) => r.type === T.cluster).map((r) => r.inputs["clusterIdentifier"])).toEqual(["tenantry-pg-eu-1", "tenantry-pg-us-1"]);
    for (const [cluster, region] of [["pg-eu-1", "eu-west-1"], ["pg-us-1", "us-east-1"]] as const) {
      const provider = one(cluster, T.provider);
      // The SDK adds its two validation defaults; a bridged provider's inputs arrive as text.
      expect(provider.inputs).toEqual({ region, skipCredentialsValidation: "false", skipRegionValidation: "true", version: expect.any(String) });
      for (const r of resources.filter((x) => x.name.startsWith(`platform-cluster-${cluster}-`) && x.type.startsWith("aws:"))) {
        expect(r.provider?.startsWith(`${provider.urn}::`), r.name).toBe(true);
      }
    }
  });

  it("encrypt storage, Performance Insights and the master secret with the cluster's own rotating key, which is protected and retained", () => {
    const key = one("pg-eu-1", T.key);
    expect([key.inputs["enableKeyRotation"], key.inputs["deletionWindowInDays"], key.protect, key.retainOnDelete]).toEqual([true, 30, true, true]);
    const keyArn = `arn:aws:kms:mock-region:123456789012:key/${key.name}`;
    expect(one("pg-eu-1", T.cluster).inputs).toMatchObject({ storageEncrypted: true, kmsKeyId: keyArn, masterUserSecretKmsKeyId: keyArn });
    for (const instance of ofCluster("pg-eu-1", T.instance)) expect(instance.inputs).toMatchObject({ performanceInsightsEnabled: true, performanceInsightsKmsKeyId: keyArn });
  });

  it("put the cluster in its private subnets, behind a security group admitting tcp 5432 from the deploy and app groups only, with no egress", () => {
    expect(one("pg-eu-1", T.subnets).inputs).toMatchObject({ name: "tenantry-pg-eu-1", subnetIds: ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"] });
    const group = one("pg-eu-1", T.securityGroup);
    expect(group.inputs["vpcId"]).toBe("vpc-0a1b2c3d4e5f60718");
    expect(group.inputs["egress"]).toEqual([]);
    expect((group.inputs["ingress"] as Record<string, unknown>[]).map((rule) => [rule["protocol"], rule["fromPort"], rule["toPort"], rule["securityGroups"], rule["cidrBlocks"]])).toEqual([
      ["tcp", 5432, 5432, ["sg-0a1b2c3d4e5f60d01"], undefined],
      ["tcp", 5432, 5432, ["sg-0a1b2c3d4e5f60a01"], undefined],
    ]);
  });

  it("force TLS, log connections and disconnections and hold max_connections at the entry's value on the cluster and every instance, in the family of the engine's major version", () => {
    expect(one("pg-us-1", T.parameters).inputs).toMatchObject({
      name: "tenantry-pg-us-1-aurora-postgresql17", family: "aurora-postgresql17",
      parameters: [
        { name: "rds.force_ssl", value: "1", applyMethod: "immediate" },
        { name: "log_connections", value: "1", applyMethod: "immediate" },
        { name: "log_disconnections", value: "1", applyMethod: "immediate" },
        { name: "max_connections", value: "2000", applyMethod: "pending-reboot" },
      ],
    });
    expect(one("pg-us-1", T.cluster).inputs["dbClusterParameterGroupName"]).toBe("tenantry-pg-us-1-aurora-postgresql17");
    // Aurora takes an instance-level value over the cluster's: the instances' own group holds the same number.
    expect(one("pg-us-1", "aws:rds/parameterGroup:ParameterGroup").inputs).toMatchObject({
      name: "tenantry-pg-us-1-instances-aurora-postgresql17", family: "aurora-postgresql17", parameters: [{ name: "max_connections", value: "2000", applyMethod: "pending-reboot" }],
    });
    for (const instance of ofCluster("pg-us-1", T.instance)) expect(instance.inputs["dbParameterGroupName"]).toBe("tenantry-pg-us-1-instances-aurora-postgresql17");
  });

  it("declare the cluster with the RDS posture: protected, retained, deletion-protected, a final snapshot, IAM auth, log exports, the master password RDS's own", () => {
    const cluster = one("pg-eu-1", T.cluster);
    expect([cluster.protect, cluster.retainOnDelete]).toEqual([true, true]);
    expect(cluster.inputs).toMatchObject({
      engine: "aurora-postgresql", engineVersion: "17", deletionProtection: true, backupRetentionPeriod: 14, skipFinalSnapshot: false,
      finalSnapshotIdentifier: "tenantry-pg-eu-1-final", iamDatabaseAuthenticationEnabled: true, enabledCloudwatchLogsExports: ["postgresql"],
      manageMasterUserPassword: true, masterUsername: "tenantry_admin",
    });
    expect(cluster.inputs).not.toHaveProperty("masterPassword");
    expect(cluster.inputs).not.toHaveProperty("masterPasswordWo");
  });

  it("spread the instances over the declared zones in order, private, patched and protected", () => {
    expect(ofCluster("pg-us-1", T.instance).map((r) => [r.inputs["identifier"], r.inputs["availabilityZone"], r.inputs["publiclyAccessible"], r.inputs["autoMinorVersionUpgrade"], r.inputs["instanceClass"], r.protect])).toEqual([
      ["tenantry-pg-us-1-1", "us-east-1a", false, true, "db.r7g.large", true],
      ["tenantry-pg-us-1-2", "us-east-1b", false, true, "db.r7g.large", true],
      ["tenantry-pg-us-1-3", "us-east-1c", false, true, "db.r7g.large", true],
    ]);
  });

  it("keep the provisioning login on each cluster as the master user, whose password is read from RDS's secret as a Pulumi secret, and give the login no password", () => {
    const provider = one("pg-eu-1", T.postgres);
    expect(provider.inputs).toMatchObject({ host: "platform-cluster-pg-eu-1-cluster.cluster-mock.rds.internal", port: "5432", username: "tenantry_admin", superuser: "false", sslmode: "require" });
    // The password arrives only in Pulumi's secret envelope: the state encrypts it.
    expect(isSecretValue(provider.inputs["password"])).toBe(true);
    const login = one("pg-eu-1", T.role);
    expect(login.provider?.startsWith(`${provider.urn}::`)).toBe(true);
    expect(login.protect).toBe(true);
    expect(login.inputs).toEqual({
      name: "tenantry", login: true, createDatabase: true, createRole: true, superuser: false, replication: false, bypassRowLevelSecurity: false,
      roles: ["rds_iam", "rds_superuser"],
    });
  });

  it("export endpoint, port, region and capacity by cluster name, for placement", () => {
    expect(outputs["clusters"]).toEqual({
      "pg-eu-1": { endpoint: "platform-cluster-pg-eu-1-cluster.cluster-mock.rds.internal", port: 5432, region: "eu-west-1", maxConnections: 1000, maxDatabases: 200 },
      "pg-us-1": { endpoint: "platform-cluster-pg-us-1-cluster.cluster-mock.rds.internal", port: 5432, region: "us-east-1", maxConnections: 2000, maxDatabases: 400, reserveConnections: 20 },
    });
  });

  it("keep 7 days of backups on a cluster that says production: false, and 14 on one that says nothing or true", async () => {
    const run = await platformWith((p) => ({ ...p, clusters: (p["clusters"] as Record<string, unknown>[]).map((c, i) => ({ ...c, production: i === 0 ? false : true })) }));
    expect(run.resources.filter((r) => r.type === T.cluster).map((r) => [r.inputs["clusterIdentifier"], r.inputs["backupRetentionPeriod"], (r.inputs["tags"] as Record<string, string>)["tenantry:production"]])).toEqual([
      ["tenantry-pg-eu-1", 7, "false"],
      ["tenantry-pg-us-1", 14, "true"],
    ]);
    expect((await runPolicies(run.resources)).map((v) => v.policy)).toEqual([]);
  });

  it("register nothing of AWS or Postgres and export no clusters without clusters, or with clusters: []", async () => {
    for (const change of [(p: Record<string, unknown>) => { const { clusters: _, ...rest } = p; return rest; }, (p: Record<string, unknown>) => ({ ...p, clusters: [] })]) {
      const run = await platformWith(change);
      expect(run.resources.filter((r) => AWS_TYPE.test(r.type)).map((r) => r.name)).toEqual([]);
      expect(run.outputs).not.toHaveProperty("clusters");
    }
    // Control: the example config registers them.
    expect(resources.filter((r) => AWS_TYPE.test(r.type)).length).toBeGreaterThan(0);
  });

  it("refuse a cluster without its network, before registering anything", async () => {
    const outcome = await platformWith((p) => ({ ...p, clusters: (p["clusters"] as Record<string, unknown>[]).map((c) => { const { network: _, ...rest } = c; return rest; }) })).catch((error: unknown) => error);
    expect(outcome).toBeInstanceOf(SpecError);
    expect((outcome as SpecError).problems.map((p) => p.message)).toEqual([0, 1].map((i) =>
      `tenantry:platform.clusters[${i}].network must be set: the VPC, private subnets, availability zones and the deploy and app security groups the cluster is built in (docs/platform.md)`));
  });

  it("pass the policy pack as declared", async () => {
    expect((await runPolicies(resources)).map((v) => `${v.policy}: ${v.message}`)).toEqual([]);
  });
});
