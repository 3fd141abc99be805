/*
 * One Pulumi Kubernetes Operator (v2) `Stack` per org stack, so a cluster can run the fleet.
 * Pure: the command reads the stacks and prints these as YAML documents.
 */

export interface OperatorOptions {
  /** The git repository holding this project (https URL). */
  readonly repo: string;
  readonly branch: string;
  readonly namespace: string;
  /** The Kubernetes service account the operator's workspace runs as. */
  readonly serviceAccount: string;
  /** The Pulumi Cloud organization, when stacks are named `<org>/<stack>`. */
  readonly pulumiOrg?: string;
  /** Seconds between polls of the branch for new commits. */
  readonly resyncSeconds: number;
}

/** Credentials the deploy needs, each from a Kubernetes Secret, never a literal. */
const CREDENTIALS = {
  PULUMI_ACCESS_TOKEN: { secret: "pulumi-api-secret", key: "accessToken" },
  PGPASSWORD: { secret: "tenantry-deploy-credentials", key: "pgPassword" },
  CLOUDFLARE_API_TOKEN: { secret: "tenantry-deploy-credentials", key: "cloudflareApiToken" },
  AWS_ACCESS_KEY_ID: { secret: "tenantry-deploy-credentials", key: "awsAccessKeyId" },
  AWS_SECRET_ACCESS_KEY: { secret: "tenantry-deploy-credentials", key: "awsSecretAccessKey" },
} as const;

export function operatorStack(stack: { readonly name: string; readonly slug: string; readonly tier: string }, options: OperatorOptions): Record<string, unknown> {
  return {
    apiVersion: "pulumi.com/v1",
    kind: "Stack",
    metadata: {
      name: stack.name,
      namespace: options.namespace,
      labels: { "app.kubernetes.io/managed-by": "tenantry", "tenantry.dev/org": stack.slug, "tenantry.dev/tier": stack.tier },
      annotations: {
        // The operator has no policy-pack field: what it deploys passed `tenantry check` (a required
        // status check of main) before it merged.
        "tenantry.dev/policy-pack": "policies (tenantry check, required before merge)",
      },
    },
    spec: {
      stack: options.pulumiOrg === undefined ? stack.name : `${options.pulumiOrg}/${stack.name}`,
      serviceAccountName: options.serviceAccount,
      projectRepo: options.repo,
      branch: options.branch,
      repoDir: ".",
      refresh: true,
      resyncFrequencySeconds: options.resyncSeconds,
      // Update on new commits only: a drift re-run of a production org is an operator's decision.
      continueResyncOnCommitMatch: false,
      // Deleting the Stack object never destroys the org (its data is protected besides).
      destroyOnFinalize: false,
      retryOnUpdateConflict: true,
      envRefs: Object.fromEntries(Object.entries(CREDENTIALS).map(([name, { secret, key }]) => [name, { type: "Secret", secret: { name: secret, key } }])),
    },
  };
}
