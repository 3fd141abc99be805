import * as aws from "@pulumi/aws";
import { validateResourceOfType, type ResourceValidationPolicy } from "@pulumi/policy";
import { iamWildcards } from "./iam-document";

/* Secrets by reference: values under a rotated customer-managed key, read by named ARNs only. */

/** AWS's own minimum; a secret deleted with a 0-day window is gone at once. */
const MIN_RECOVERY_DAYS = 7;

export const awsKmsKeyRotates: ResourceValidationPolicy = {
  name: "aws-kms-key-rotates",
  description: "Every KMS key has automatic rotation on and a deletion window of at least 7 days.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.kms.Key, (key, args, reportViolation) => {
    if (key.enableKeyRotation !== true) reportViolation(`KMS key ${args.name} must set enableKeyRotation: true.`);
    if (key.deletionWindowInDays !== undefined && key.deletionWindowInDays < MIN_RECOVERY_DAYS) {
      reportViolation(`KMS key ${args.name} needs deletionWindowInDays of at least ${MIN_RECOVERY_DAYS}.`);
    }
  }),
};

export const awsSecretCustomerKeyAndRecovery: ResourceValidationPolicy = {
  name: "aws-secret-customer-key-and-recovery",
  description: "Every Secrets Manager secret is encrypted with a customer-managed KMS key and keeps a recovery window.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(aws.secretsmanager.Secret, (secret, args, reportViolation) => {
    const key = secret.kmsKeyId;
    // Without kmsKeyId, or with the alias of the AWS-managed key, nobody controls rotation or grants.
    if (key === undefined || key === "" || key.endsWith("alias/aws/secretsmanager")) {
      reportViolation(`Secret ${args.name} must set kmsKeyId to the org's customer-managed KMS key.`);
    }
    if (secret.recoveryWindowInDays !== undefined && secret.recoveryWindowInDays < MIN_RECOVERY_DAYS) {
      reportViolation(`Secret ${args.name} needs recoveryWindowInDays of at least ${MIN_RECOVERY_DAYS} (0 deletes it at once).`);
    }
  }),
};


export const awsIamNoWildcards: ResourceValidationPolicy = {
  name: "aws-iam-no-wildcards",
  description: "No IAM identity policy allows a wildcard action, a wildcard resource, NotAction or NotResource.",
  enforcementLevel: "mandatory",
  validateResource: (args, reportViolation) => {
    // Identity policies: a standalone policy and the inline ones of a role, user or group.
    const identityPolicy = args.isType(aws.iam.Policy) || args.isType(aws.iam.RolePolicy) || args.isType(aws.iam.UserPolicy) || args.isType(aws.iam.GroupPolicy);
    if (!identityPolicy) return;
    const document = args.props["policy"];
    if (document === undefined) return;
    let findings: string[];
    try {
      findings = iamWildcards(document);
    } catch {
      findings = ["its policy is not valid JSON"];
    }
    for (const finding of findings) reportViolation(`IAM policy ${args.name}: ${finding}: name the actions and the secret ARNs it needs.`);
  },
};
