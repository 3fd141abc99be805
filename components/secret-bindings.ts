import * as iam from "@pulumi/aws/iam";
import * as kms from "@pulumi/aws/kms";
import * as secretsmanager from "@pulumi/aws/secretsmanager";
import * as pulumi from "@pulumi/pulumi";
import { childName, databaseName } from "../spec/naming";
import { outboundReadPolicy, planSecrets } from "./secret-plan";
import type { OrgSpec } from "../spec/spec";
import { COMPONENT_TYPES } from "./type-tokens";

/** An environment's database login, as the secret holding it describes it. */
export interface DatabaseLogin {
  readonly runtimeRole: pulumi.Input<string>;
  readonly ddlRole: pulumi.Input<string>;
}

export interface SecretBindingsArgs {
  readonly spec: OrgSpec;
  readonly host: string;
  readonly port: number;
  readonly sslmode: string;
  /** Login role names by environment. */
  readonly logins: Readonly<Record<string, DatabaseLogin>>;
  /** `{ [roleName]: password }`, a Pulumi secret. */
  readonly passwords: pulumi.Output<Record<string, string>>;
  /**
   * Whether to declare the outbound Worker's IAM identity. False while the org is offboarding:
   * there is no Worker left to read the secrets, and an identity that can read them is a way in.
   */
  readonly reader: boolean;
}

/** The outbound Worker's AWS credentials; the secret half is a Pulumi secret. */
export interface SecretsReader {
  readonly accessKeyId: pulumi.Output<string>;
  readonly secretAccessKey: pulumi.Output<string>;
}

/**
 * Secrets by reference (AWS): a per-org KMS key with rotation on; under it one Secrets Manager
 * secret per environment holding that environment's generated database credentials, and one
 * container for every other secret the spec references (operators put its value, so rotating
 * it changes no code); and an IAM identity for the org's outbound Worker that can read exactly
 * those secret ARNs and decrypt with exactly that key.
 */
export class SecretBindings extends pulumi.ComponentResource {
  public readonly keyArn: pulumi.Output<string>;
  /** Credentials of the outbound Worker's IAM identity; undefined when `reader` is false. */
  public readonly reader: SecretsReader | undefined;

  constructor(name: string, args: SecretBindingsArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.secretBindings, name, {}, opts);
    const { spec } = args;
    const parent = { parent: this };
    const key = new kms.Key(childName(name, "key"), {
      description: `tenantry org ${spec.slug}: secrets by reference`,
      enableKeyRotation: true,
      deletionWindowInDays: 30,
    }, parent);
    new kms.Alias(childName(name, "key-alias"), { name: `alias/tn-${spec.slug}-secrets`, targetKeyId: key.keyId }, parent);

    const secrets = planSecrets(spec).map((planned) => {
      // `acme/prod/db` -> `org-acme-secrets-prod-db`: the org prefix is already the parent's.
      const secretResource = childName(name, ...planned.secretName.split("/").slice(1));
      const secret = new secretsmanager.Secret(secretResource, {
        name: planned.secretName,
        kmsKeyId: key.arn,
        recoveryWindowInDays: 30,
        description: planned.kind === "database" ? `tenantry org ${spec.slug}: ${planned.environment} database logins` : `tenantry org ${spec.slug}: set by operators`,
      }, parent);
      const login = args.logins[planned.environment];
      if (planned.kind === "database" && login !== undefined) {
        new secretsmanager.SecretVersion(childName(secretResource, "value"), {
          secretId: secret.id,
          secretString: pulumi.secret(pulumi.all([args.passwords, login.runtimeRole, login.ddlRole]).apply(([passwords, runtime, ddl]) => {
            const database = databaseName(spec.slug);
            const url = (role: string) => `postgresql://${role}:${passwords[role] ?? ""}@${args.host}:${args.port}/${database}?sslmode=${args.sslmode}`;
            return JSON.stringify({ database, host: args.host, port: args.port, runtime_user: runtime, runtime_password: passwords[runtime], ddl_user: ddl, ddl_password: passwords[ddl], url: url(runtime) });
          })),
        }, parent);
      }
      return secret;
    });

    this.keyArn = key.arn;
    this.reader = args.reader ? this.declareReader(name, spec.slug, secrets, key) : undefined;
    this.registerOutputs({ keyArn: this.keyArn });
  }

  private declareReader(name: string, slug: string, secrets: readonly secretsmanager.Secret[], key: kms.Key): SecretsReader {
    const parent = { parent: this };
    const reader = new iam.User(childName(name, "reader"), { name: `tn-${slug}-outbound`, tags: { "tenantry:org": slug } }, parent);
    new iam.UserPolicy(childName(name, "reader-policy"), {
      user: reader.name,
      policy: pulumi.all([pulumi.all(secrets.map((s) => s.arn)), key.arn]).apply(([arns, keyArn]) => outboundReadPolicy(arns, keyArn)),
    }, parent);
    const accessKey = new iam.AccessKey(childName(name, "reader-key"), { user: reader.name }, { ...parent, additionalSecretOutputs: ["secret"] });
    return { accessKeyId: accessKey.id, secretAccessKey: pulumi.secret(accessKey.secret) };
  }
}
