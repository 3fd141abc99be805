import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { auditLedgerPresent, auditLedgerSelectInsertOnly, auditSchemaNeverCascades } from "./audit";
import { postgresDatabaseFixedSettings, postgresOrgDatabaseDeclared, postgresProductionDatabaseProtected } from "./data-safety";
import { postgresGrantsMatchAllowedShapes, postgresMembershipsMatchAllowedShapes, postgresOneGrantPerTarget, postgresPublicRevoked } from "./grants";
import { postgresDatabasesAndSchemasMatchOrg } from "./database-objects";
import { postgresMigrationsMatchPlatformSql } from "./migrations";
import { postgresNoPlatformNames } from "./platform-names";
import { stackResourceTypesAllowed } from "./resource-types";
import { postgresBreakGlassExpires, postgresLoginRoleGuardrails, postgresOrgProvider, postgresRoleNoPrivilegedAttributes, postgresRolesMatchAllowedKinds } from "./postgres";
import { awsIamNoWildcards, awsKmsKeyRotates, awsOrgProvider, awsResourcesStayInOrgRegion, awsSecretCustomerKeyAndRecovery, awsSecretNamesOfOrg } from "./aws";
import { cloudflareOrgProvider, cloudflareResourcesMatchOrg } from "./cloudflare";
import { cloudflarePlatformSecretsStores } from "./cloudflare-platform";
import { githubDeploymentBranchPolicyValid, githubMainNeedsTwoApprovals, githubPromotionGates, githubPromotionGatesComplete } from "./github";
import { stackNamesCarryOrgPrefix, stackNoBypassSwitches, stackOneOrg } from "./stack";
import { workersDispatchHasOutbound, workersNoCredentialInPlainBinding, workersUserWorkerHoldsNoSecret } from "./workers";

/**
 * Every rule of the pack, listed explicitly. index.ts hands this list to the PolicyPack;
 * `tenantry check` and the tests run the same list in-process (a PolicyPack starts a gRPC
 * server as soon as it is constructed, so they must never import index.ts).
 */
export const TENANTRY_POLICIES: readonly (ResourceValidationPolicy | StackValidationPolicy)[] = [
  postgresRoleNoPrivilegedAttributes,
  postgresLoginRoleGuardrails,
  postgresBreakGlassExpires,
  postgresRolesMatchAllowedKinds,
  postgresOrgProvider,
  postgresOneGrantPerTarget,
  postgresPublicRevoked,
  postgresNoPlatformNames,
  postgresGrantsMatchAllowedShapes,
  postgresMembershipsMatchAllowedShapes,
  postgresDatabasesAndSchemasMatchOrg,
  postgresMigrationsMatchPlatformSql,
  postgresDatabaseFixedSettings,
  postgresProductionDatabaseProtected,
  postgresOrgDatabaseDeclared,
  auditLedgerSelectInsertOnly,
  auditSchemaNeverCascades,
  auditLedgerPresent,
  workersNoCredentialInPlainBinding,
  workersUserWorkerHoldsNoSecret,
  workersDispatchHasOutbound,
  cloudflareOrgProvider,
  cloudflareResourcesMatchOrg,
  cloudflarePlatformSecretsStores,
  awsKmsKeyRotates,
  awsSecretCustomerKeyAndRecovery,
  awsIamNoWildcards,
  awsOrgProvider,
  awsResourcesStayInOrgRegion,
  awsSecretNamesOfOrg,
  githubPromotionGates,
  githubDeploymentBranchPolicyValid,
  githubMainNeedsTwoApprovals,
  githubPromotionGatesComplete,
  stackOneOrg,
  stackResourceTypesAllowed,
  stackNamesCarryOrgPrefix,
  stackNoBypassSwitches,
];
