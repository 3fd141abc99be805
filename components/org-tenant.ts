import { COMPONENT_TYPES } from "./type-tokens";
// Each provider SDK by the module that declares what is used, never its root: the roots load
// every service of the cloud (docs/check.md, "Start-up").
import { Provider as AwsProvider } from "@pulumi/aws/provider";
import { Provider as CloudflareProvider } from "@pulumi/cloudflare/provider";
import * as postgresql from "@pulumi/postgresql";
import * as pulumi from "@pulumi/pulumi";
import { AclChain } from "./acl-chain";
import { ApiKeyStore } from "./api-key-store";
import { AuditLedger } from "./audit-ledger";
import { DispatchNamespace } from "./dispatch-namespace";
import { planApiKeyStore } from "./edge-plan";
import { EnvironmentSchemas } from "./environment-schemas";
import { planLifecycle } from "./lifecycle-plan";
import { planMigrations } from "./migration-plan";
import { orgFactsOf } from "./org-facts";
import { childName } from "../spec/naming";
import { OrgDatabase, type ProviderConnection } from "./org-database";
import { awsProviderArgs, orgProviderName, postgresProviderArgs } from "./provider-plan";
import { SecretBindings } from "./secret-bindings";
import type { OrgSpec } from "../spec/spec";

export interface OrgTenantArgs {
  /** The validated org spec (parse the stack config with `tenantStackFromConfig` first). */
  readonly spec: OrgSpec;
  /** The validated `postgresql:*` settings and the provider's password (a secret, if set in config). */
  readonly provider: ProviderConnection;
}

export interface EnvironmentRoleNames {
  readonly runtime: pulumi.Output<string>;
  readonly ddl: pulumi.Output<string>;
}

/**
 * Marks a resource `retainOnDelete`. A `transformations` entry (applied by the SDK, inherited by
 * every descendant) rather than `transforms`, which the engine applies: Pulumi's mock monitor
 * never runs those, so `tenantry check` would not see what a real deploy does.
 */
const retainOnDelete: pulumi.ResourceTransformation = ({ props, opts }) => ({ props, opts: { ...opts, retainOnDelete: true } });

/**
 * One tenant org: its database, roles and per-environment schemas, and its edge. Every
 * Postgres, AWS and Cloudflare resource under it uses one of the org's own explicit providers,
 * handed down through `providers` the way pulumi-awsx components pass theirs: nothing the org
 * declares depends on a default provider, so nothing depends on ambient `aws:*`,
 * `cloudflare:*` or `postgresql:*` config.
 */
export class OrgTenant extends pulumi.ComponentResource {
  public readonly databaseName: pulumi.Output<string>;
  /** Login role names by environment. */
  public readonly roles: Readonly<Record<string, EnvironmentRoleNames>>;
  /** Schema names by environment. */
  public readonly schemas: Readonly<Record<string, pulumi.Output<string[]>>>;
  /** Login role passwords by role name; a Pulumi secret. */
  public readonly credentials: pulumi.Output<Record<string, string>>;
  /** The API key store's D1 id, for `tenantry keys --remote`; undefined for an org without API key slots. */
  public readonly apiKeysDatabaseId: pulumi.Output<string> | undefined;
  /**
   * Each webhook environment's current signing secret, environment -> whsec_..., a Pulumi secret:
   * what that environment's receivers verify with, and nothing else's
   * (`pulumi stack output webhookSigningSecrets --show-secrets`). Undefined without webhooks or an edge.
   */
  public readonly webhookSigningSecrets: pulumi.Output<Record<string, string>> | undefined;

  constructor(name: string, args: OrgTenantArgs, opts?: pulumi.ComponentResourceOptions) {
    const lifecycle = planLifecycle(args.spec);
    // Registered as props and again among the outputs (org-facts.ts says why).
    const facts = orgFactsOf(args.spec, args.provider);
    super(COMPONENT_TYPES.orgTenant, name, facts, opts);
    const { spec, provider } = args;
    const acl = new AclChain();
    const children = { parent: this, providers: this.orgProviders(name, args) };
    // Everything that holds the org's data; while offboarding a destroy forgets it, drops nothing.
    const dataSide = { ...children, ...(lifecycle.retainDatabaseSide ? { transformations: [retainOnDelete] } : {}) };

    const migrations = planMigrations(facts);
    const database = new OrgDatabase(childName(name, "db"), {
      spec, acl, provider, lockTimeouts: migrations.lockTimeouts, guardrails: migrations.guardrails, largeObjects: migrations.largeObjects,
    }, dataSide);
    const roles: Record<string, EnvironmentRoleNames> = {};
    const schemas: Record<string, pulumi.Output<string[]>> = {};
    const schemaResources: pulumi.Resource[] = [];
    for (const env of spec.environments) {
      const loginRoles = database.loginRoles[env];
      if (loginRoles === undefined) throw new Error(`internal: no login roles for environment ${env}`);
      roles[env] = { runtime: loginRoles.runtime.name, ddl: loginRoles.ddl.name };
      const environment = new EnvironmentSchemas(childName(name, env), {
        spec, env, database: database.database, ownerMembership: database.ownerMembership, roles: loginRoles, acl,
      }, dataSide);
      schemas[env] = environment.schemaNames;
      schemaResources.push(...environment.schemas);
    }

    const ledger = new AuditLedger(childName(name, "audit"), {
      spec, database: database.database, ownerMembership: database.ownerMembership, loginRoles: database.loginRoles, schemas: schemaResources, acl, provider, ledger: migrations.auditLedger,
    }, dataSide);

    // Break-glass reaches its environment's schemas, so its grants wait for them (and the chain),
    // and for the ledger's migration, which records the grant: the login reaches nothing before
    // the ledger names its grantee.
    if (database.breakGlass !== undefined) {
      const references = [database.database, database.ownerMembership, database.breakGlass.role, ledger.migration, ...schemaResources];
      for (const grant of database.breakGlass.plan.grants) acl.add(grant, { parent: database, name: childName(name, "db") }, references);
    }

    // The edge: where the org's apps run, and the secrets they reach by reference. While the
    // org offboards only the secrets stay; the Workers and the identity that reads them go.
    const { edge } = spec;
    // The key hashes outlive the edge: while the org offboards the router goes, the store stays (retained).
    const keyStorePlan = planApiKeyStore(spec);
    const keyStore = edge === undefined || keyStorePlan === undefined ? undefined
      : new ApiKeyStore(childName(name, "api-keys"), { accountId: edge.accountId, plan: keyStorePlan }, children);
    let dispatch: DispatchNamespace | undefined;
    if (edge !== undefined) {
      const secrets = new SecretBindings(childName(name, "secrets"), {
        spec, host: provider.host, port: provider.port, sslmode: provider.sslmode,
        logins: Object.fromEntries(Object.entries(roles).map(([env, r]) => [env, { runtimeRole: r.runtime, ddlRole: r.ddl }])),
        passwords: database.passwords,
        reader: lifecycle.edge,
      }, children);
      if (secrets.reader !== undefined) {
        dispatch = new DispatchNamespace(childName(name, "edge"), {
          spec: { ...spec, edge }, awsAccessKeyId: secrets.reader.accessKeyId, awsSecretAccessKey: secrets.reader.secretAccessKey,
          ...(keyStore === undefined ? {} : { apiKeysDatabaseId: keyStore.databaseId }),
        }, children);
      }
    }

    this.databaseName = database.databaseName;
    this.roles = roles;
    this.schemas = schemas;
    this.credentials = database.passwords;
    this.apiKeysDatabaseId = keyStore?.databaseId;
    this.webhookSigningSecrets = dispatch?.webhookSigningSecrets;
    this.registerOutputs({
      ...facts, databaseName: this.databaseName, roles, schemas, credentials: this.credentials,
      ...(keyStore === undefined ? {} : { apiKeysDatabaseId: keyStore.databaseId }),
      webhookSigningSecrets: this.webhookSigningSecrets,
    });
  }

  /**
   * The org's providers. AWS and Cloudflare exist only with an edge: without `edge.awsRegion`
   * an AWS provider would take its region from the deploy job's environment. Cloudflare's
   * account is set per resource; its API token comes from CLOUDFLARE_API_TOKEN in the deploy
   * environment, never from the stack file.
   */
  private orgProviders(name: string, { spec, provider }: OrgTenantArgs): pulumi.ProviderResource[] {
    const parent = { parent: this };
    const { password } = provider;
    const postgres = new postgresql.Provider(orgProviderName(name, "postgresql"), {
      ...postgresProviderArgs(provider),
      ...(password === undefined ? {} : { password: pulumi.secret(password) }),
    }, parent);
    if (spec.edge === undefined) return [postgres];
    return [
      postgres,
      new AwsProvider(orgProviderName(name, "aws"), awsProviderArgs(spec, spec.edge.awsRegion), parent),
      new CloudflareProvider(orgProviderName(name, "cloudflare"), {}, parent),
    ];
  }
}
