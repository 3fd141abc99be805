import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import { validateResourceOfType } from "@pulumi/policy";
import { isOfPackage } from "../components/provider-plan";
import { iamWildcards, isAwsManagedPolicy } from "./iam-document";
import { orgProviderRule } from "./org-providers";
import { awsProviderFindings } from "./provider-inputs";
import { judgeAgainstOrg } from "./stack-org";
import { readKnown, UNKNOWN } from "./unknowns";
import type { TenantryResourcePolicy, TenantryStackPolicy } from "./policy-types";

/*
 * Secrets by reference: values under a rotated customer-managed key, read by named ARNs only,
 * all of it on the org's own provider in the org's region, under names the program gives the org.
 */

/** AWS's own minimum; a secret deleted with a 0-day window is gone at once. */
const MIN_RECOVERY_DAYS = 7;

export const awsKmsKeyRotates: TenantryResourcePolicy = {
  name: "aws-kms-key-rotates",
  description: "Every symmetric KMS key has automatic rotation on, and every key a deletion window of at least 7 days.",
  rationale: "Rotation limits what one leaked key version can decrypt; a deletion window of at least 7 days leaves time to notice and cancel a key's deletion, which would make every secret under it unreadable.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(kms.Key, (key, args, reportViolation) => {
    // AWS rotates symmetric encryption keys only; asymmetric and HMAC keys cannot be rotated.
    const symmetric = (key.customerMasterKeySpec ?? "SYMMETRIC_DEFAULT") === "SYMMETRIC_DEFAULT";
    if (symmetric && key.enableKeyRotation !== true) reportViolation(`KMS key ${args.name} must set enableKeyRotation: true.`);
    if (key.deletionWindowInDays !== undefined && key.deletionWindowInDays < MIN_RECOVERY_DAYS) {
      reportViolation(`KMS key ${args.name} needs deletionWindowInDays of at least ${MIN_RECOVERY_DAYS}.`);
    }
  }),
};

export const awsSecretCustomerKeyAndRecovery: TenantryResourcePolicy = {
  name: "aws-secret-customer-key-and-recovery",
  description: "Every Secrets Manager secret is encrypted with a customer-managed KMS key and keeps a recovery window.",
  rationale: "Under the AWS-managed key nobody controls the key's grants or rotation, so access cannot be scoped to the org; a recovery window of 0 deletes a secret at once, with no way back.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(secretsmanager.Secret, (secret, args, reportViolation) => {
    // Each field is read on its own: a key ARN unknown during preview must not hide the window.
    const window = readKnown(secret, "recoveryWindowInDays");
    if (typeof window === "number" && window < MIN_RECOVERY_DAYS) {
      reportViolation(`Secret ${args.name} needs recoveryWindowInDays of at least ${MIN_RECOVERY_DAYS} (0 deletes it at once).`);
    }
    const key = readKnown(secret, "kmsKeyId");
    // Without kmsKeyId, or with the alias of the AWS-managed key, nobody controls rotation or grants.
    if (key !== UNKNOWN && (typeof key !== "string" || key === "" || key.endsWith("alias/aws/secretsmanager"))) {
      reportViolation(`Secret ${args.name} must set kmsKeyId to the org's customer-managed KMS key.`);
    }
  }),
};


/**
 * The identity policy documents a resource carries: its own `policy`, or a Role's inline
 * policies. Read directly: a document wholly unknown during preview throws, and the analyzer
 * reports the rule as skipped (an advisory), as it does for any rule.
 */
function documentsOf(args: { isType: (cls: never) => boolean; props: Record<string, unknown> }): unknown[] {
  const is = (cls: unknown) => args.isType(cls as never);
  if (is(iam.Policy) || is(iam.RolePolicy) || is(iam.UserPolicy) || is(iam.GroupPolicy)) return [args.props["policy"]];
  if (is(iam.Role)) {
    const inline = args.props["inlinePolicies"];
    return Array.isArray(inline) ? inline.map((p: Record<string, unknown>) => p["policy"]) : [];
  }
  return [];
}

export const awsIamNoWildcards: TenantryResourcePolicy = {
  name: "aws-iam-no-wildcards",
  description: "No IAM identity policy allows a wildcard action or resource, NotAction or NotResource, and no AWS-managed policy is attached.",
  rationale: "A wildcard action or resource, NotAction, NotResource or an AWS-managed policy grants far more than the outbound Worker needs, other orgs' secrets included: an identity names the actions and the secret ARNs it uses.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    for (const document of documentsOf(args)) {
      if (document === undefined) continue;
      let findings: string[];
      try {
        findings = iamWildcards(document);
      } catch (error) {
        if (!(error instanceof SyntaxError)) throw error;
        findings = ["its policy is not valid JSON"];
      }
      for (const finding of findings) reportViolation(`IAM policy ${args.name}: ${finding}: name the actions and the secret ARNs it needs.`);
    }
    const attached = readKnown(args.props, "policyArn");
    if (typeof attached === "string" && isAwsManagedPolicy(attached)) {
      reportViolation(`${args.name} attaches the AWS-managed policy ${attached}: write a policy naming the org's own actions and ARNs.`);
    }
  },
};

/**
 * Every AWS resource on the org's own provider, in the org's region: a resource on the default
 * provider would take its region (and any `aws:*` setting) from the deploy job, not the spec. The
 * org's own provider holds only what tenantry sets, each with the org's value (provider-inputs.ts).
 */
export const awsOrgProvider: TenantryStackPolicy = orgProviderRule("aws", {
  name: "aws-org-provider",
  description: "Every AWS resource uses its org's explicit AWS provider, which holds only the org's region (edge.awsRegion), the org and tier as default tags, and validation on.",
  rationale: "The default provider takes its region and any aws:* setting from the deploy job, not from the spec: a resource on it could land in another region, or another account.",
  settings: awsProviderFindings,
});

const isAws = (type: string) => isOfPackage(type, "aws");
const isReplicaList = (value: unknown) => Array.isArray(value) && value.length > 0;

/**
 * pulumi-aws 7 gives most resources a `region` input that overrides the provider's: the org's
 * provider alone would not keep a resource in the org's region. Nor would it keep a secret's
 * replicas there.
 */
export const awsResourcesStayInOrgRegion: TenantryStackPolicy = {
  name: "aws-resources-stay-in-org-region",
  description: "No AWS resource sets a region other than its org's edge.awsRegion, and no secret replicates to another region.",
  rationale: "pulumi-aws 7 lets most resources set a region that overrides the provider's, and a secret can replicate: either would put the org's secrets outside the region the org declared.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => judgeAgainstOrg(args.resources, isAws, ["region", "replicas"], reportViolation, (resource, values, org) => [
    values["region"] === undefined || values["region"] === org.awsRegion ? undefined
      : `${resource.name} sets region ${String(values["region"])}: every AWS resource of org ${org.slug} is in its edge.awsRegion ${org.awsRegion ?? "(none declared)"} (leave region unset).`,
    isReplicaList(values["replicas"]) ? `${resource.name} replicates to other regions (replicas): a secret of org ${org.slug} stays in ${org.awsRegion ?? "its region"}.` : undefined,
  ].filter((message): message is string => message !== undefined)),
};

const SECRET = "aws:secretsmanager/secret:Secret";

/** Secret names are per account and region, shared by every org deployed there. */
export const awsSecretNamesOfOrg: TenantryStackPolicy = {
  name: "aws-secret-names-of-org",
  description: "Every Secrets Manager secret is named as the program names the org's: <org>/<env>/db per environment, and the secrets its references name.",
  rationale: "Secret names are per account and region, shared by every org deployed there: a stack naming another org's secret could overwrite its value or take it over.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => judgeAgainstOrg(args.resources, [SECRET], ["name"], reportViolation, (resource, values, org) => {
    const names = org.awsSecretNames ?? [];
    return typeof values["name"] === "string" && names.includes(values["name"]) ? []
      : [`Secret ${resource.name} is named ${String(values["name"])}, which the program does not give org ${org.slug} (${names.join(", ") || "no secrets without an edge"}).`];
  }),
};
