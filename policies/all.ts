import { auditLedgerPresent, auditLedgerSelectInsertOnly, auditSchemaNeverCascades } from "./audit";
import { postgresDatabaseFixedSettings, postgresOrgDatabaseDeclared, postgresProductionDatabaseProtected } from "./data-safety";
import { postgresGrantsMatchAllowedShapes, postgresMembershipsMatchAllowedShapes, postgresOneGrantPerTarget, postgresPublicRevoked } from "./grants";
import { postgresDatabasesAndSchemasMatchOrg } from "./database-objects";
import { postgresMigrationsMatchPlatformSql } from "./migrations";
import { postgresNoPlatformNames } from "./platform-names";
import { stackResourceTypesAllowed } from "./resource-types";
import { postgresBreakGlassBounded, postgresBreakGlassExpires, postgresLoginRoleGuardrails, postgresOrgProvider, postgresRoleNoPrivilegedAttributes, postgresRolesMatchAllowedKinds } from "./postgres";
import { awsIamNoWildcards, awsKmsKeyRotates, awsOrgProvider, awsResourcesStayInOrgRegion, awsSecretCustomerKeyAndRecovery, awsSecretNamesOfOrg } from "./aws";
import { cloudflareOrgProvider, cloudflareResourcesMatchOrg } from "./cloudflare";
import { cloudflarePlatformSecretsStores } from "./cloudflare-platform";
import { cloudflareOperatorAllowlistPrivate, cloudflareOperatorGatewayAudited } from "./operator-gateway";
import { cloudflareApiKeyStoreBound, cloudflareApiKeyStoreConsistent } from "./api-key-store";
import { githubDeploymentBranchPolicyValid, githubMainNeedsTwoApprovals, githubPromotionGates, githubPromotionGatesComplete } from "./github";
import { stackNamesCarryOrgPrefix, stackNoBypassSwitches, stackOneOrg } from "./stack";
import { workersDispatchHasOutbound, workersNoCredentialInPlainBinding, workersUserWorkerHoldsNoSecret } from "./workers";
import { workersWebhooksStayInOrg } from "./webhooks";
import {
  rdsAutoMinorVersionUpgrade, rdsBackupRetention, rdsClustersDeclaredByPlatform, rdsDeletionProtection, rdsFinalSnapshot, rdsIamAuthentication, rdsLogExports,
  rdsMasterPasswordManaged, rdsNotPubliclyAccessible, rdsPerformanceInsightsEncrypted, rdsProvisioningLoginShape, rdsStorageEncryptedCustomerKey,
} from "./rds";
import type { TenantryPolicy } from "./policy-types";

/** What `new PolicyPack(...)` is called; `pulumi preview` prints it with each violation. */
export const POLICY_PACK_NAME = "tenantry-security";

/** The rules of one area, with a line saying what the area guards (docs/policies.md groups the rules by it). */
export interface PolicyArea {
  readonly title: string;
  readonly summary: string;
  readonly policies: readonly TenantryPolicy[];
}

/** Every rule of the pack, listed explicitly, by area. */
export const POLICY_AREAS: readonly PolicyArea[] = [
  {
    title: "Postgres roles",
    summary: "Each role is one of the kinds the design declares, none with a privileged attribute, every login with fail-closed limits, all on the org's own provider.",
    policies: [postgresRoleNoPrivilegedAttributes, postgresLoginRoleGuardrails, postgresBreakGlassExpires, postgresBreakGlassBounded, postgresRolesMatchAllowedKinds, postgresOrgProvider],
  },
  {
    title: "Postgres grants and memberships",
    summary: "Every grant and membership is one of the shapes the design allows, PUBLIC loses what Postgres gives it, and no two grants fight.",
    policies: [postgresOneGrantPerTarget, postgresPublicRevoked, postgresGrantsMatchAllowedShapes, postgresMembershipsMatchAllowedShapes],
  },
  {
    title: "Postgres databases, schemas and migrations",
    summary: "The org's database and schemas under the org's names and designed owners, its migrations exactly the platform's SQL, and its data never dropped by an edit.",
    policies: [postgresNoPlatformNames, postgresDatabasesAndSchemasMatchOrg, postgresMigrationsMatchPlatformSql, postgresDatabaseFixedSettings, postgresProductionDatabaseProtected, postgresOrgDatabaseDeclared],
  },
  {
    title: "Audit ledger",
    summary: "The ledger is in every org database, append-only by privilege, and never dropped with its schema.",
    policies: [auditLedgerSelectInsertOnly, auditSchemaNeverCascades, auditLedgerPresent],
  },
  {
    title: "Workers",
    summary: "No credential in a Worker's plain configuration, no secret inside tenant code, and no user Worker without the outbound Worker between it and the network.",
    policies: [workersNoCredentialInPlainBinding, workersUserWorkerHoldsNoSecret, workersDispatchHasOutbound, workersWebhooksStayInOrg],
  },
  {
    title: "Cloudflare",
    summary: "The org's Cloudflare resources on its own provider, in its account, under its names; one protected Secrets Store per account, the platform stack's; the operator gateway alone binds its allowlist, and binds its audit sink; an org's router alone binds its API key store, which keeps no read replica.",
    policies: [cloudflareOrgProvider, cloudflareResourcesMatchOrg, cloudflarePlatformSecretsStores, cloudflareOperatorAllowlistPrivate, cloudflareOperatorGatewayAudited, cloudflareApiKeyStoreBound, cloudflareApiKeyStoreConsistent],
  },
  {
    title: "AWS",
    summary: "Secrets by reference: values under a rotated customer-managed key, read by named ARNs only, on the org's own provider, in the org's region, under the org's names.",
    policies: [awsKmsKeyRotates, awsSecretCustomerKeyAndRecovery, awsIamNoWildcards, awsOrgProvider, awsResourcesStayInOrgRegion, awsSecretNamesOfOrg],
  },
  {
    title: "AWS: the platform's Postgres clusters",
    summary: "Each cluster encrypted under its own key, private, protected from deletion, backed up and snapshotted, reached with IAM tokens and TLS only from the deploy and app paths, logged, spread over zones, patched, its master password RDS's own, and its provisioning login exactly CREATEDB CREATEROLE without a password.",
    policies: [rdsStorageEncryptedCustomerKey, rdsNotPubliclyAccessible, rdsDeletionProtection, rdsBackupRetention, rdsFinalSnapshot, rdsIamAuthentication, rdsLogExports, rdsMasterPasswordManaged, rdsPerformanceInsightsEncrypted, rdsAutoMinorVersionUpgrade, rdsClustersDeclaredByPlatform, rdsProvisioningLoginShape],
  },
  {
    title: "GitHub: promotion and main",
    summary: "The platform stack's gates: reviews before test and prod, never by the author, and a protected main.",
    policies: [githubPromotionGates, githubDeploymentBranchPolicyValid, githubMainNeedsTwoApprovals, githubPromotionGatesComplete],
  },
  {
    title: "The stack as a whole",
    summary: "One org per stack, only the resource types the program declares, every resource named after the org, and no bypass switch.",
    policies: [stackOneOrg, stackResourceTypesAllowed, stackNamesCarryOrgPrefix, stackNoBypassSwitches],
  },
];

/**
 * Every rule of the pack. index.ts hands this list to the PolicyPack; `tenantry check` and the
 * tests run the same list in-process (a PolicyPack starts a gRPC server as soon as it is
 * constructed, so they must never import index.ts).
 */
export const TENANTRY_POLICIES: readonly TenantryPolicy[] = POLICY_AREAS.flatMap((area) => area.policies);
