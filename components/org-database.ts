import { COMPONENT_TYPES } from "./type-tokens";
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import * as random from "@pulumi/random";
import type { AclChain } from "./acl-chain";
import { DATABASE_SETTINGS, planDatabase, planDatabaseAcl, planLoginRoles, type LoginRolePlan } from "./database-plan";
import { breakGlassPasswordKeepers, planBreakGlass, type BreakGlassPlan } from "./break-glass-plan";
import type { MigrationPlan } from "./migration-plan";
import type { ProviderSettings } from "../spec/provider-settings";
import { SqlMigration, type MigrationConnection } from "./sql-migration";
import { childName } from "../spec/naming";
import type { OrgSpec } from "../spec/spec";

export interface OrgDatabaseArgs {
  /**
   * The validated org spec (spec/spec.ts). Its tier decides protection: production
   * databases are `protect`ed and retained on delete, sandbox databases are retained only.
   * While the org is marked for offboarding, `protect` is lifted (the database stays retained)
   * and the login roles are NOLOGIN (lifecycle-plan.ts).
   */
  readonly spec: OrgSpec;
  /** Serializes this database's grants with every other grant of the org (see AclChain). */
  readonly acl: AclChain;
  /**
   * The provider's connection (`postgresql:*`) and its password, a secret. Its login role,
   * never a superuser, becomes an inheriting member of the org's owner role: the provider
   * applies database-level grants as itself, and a non-owner's GRANT or REVOKE on a database is
   * a silent no-op in Postgres, which would leave CONNECT open to PUBLIC. The same connection
   * sets `lock_timeout`, which the provider's Role cannot.
   */
  readonly provider: ProviderConnection;
  /**
   * The lock-timeouts migration (migration-plan.ts: `lock_timeout` for every login role, which the
   * provider's Role cannot set), rendered from the org's facts so the pack can render it again.
   */
  readonly lockTimeouts: MigrationPlan;
  /**
   * The large-objects migration (migration-plan.ts: EXECUTE on every large-object function taken
   * from PUBLIC in the org database). A large object is stored outside every table, so the ledger
   * never sees one; tenant roles get none. Elevated: only the functions' owner can revoke.
   */
  readonly largeObjects: MigrationPlan;
  /**
   * The guardrails migration (enforcer-sql.ts, elevated): each login role's temp_file_limit,
   * which only a superuser can set or lift, and its limits in the enforcer's table.
   */
  readonly guardrails: MigrationPlan;
}

export type ProviderConnection = ProviderSettings & { readonly password?: pulumi.Input<string> };

/** A SqlMigration's connection: the provider's own login and TLS settings. */
export function migrationConnection(provider: ProviderConnection): MigrationConnection {
  const { host, port, adminRole, sslmode, sslrootcert, clientcert, password } = provider;
  return {
    host, port, user: adminRole, sslmode,
    ...(sslrootcert === undefined ? {} : { sslrootcert }),
    ...(clientcert === undefined ? {} : { clientcert }),
    ...(password === undefined ? {} : { password }),
  };
}

/** Every role tenantry creates spells these out, so no provider default can ever widen them. */
export const UNPRIVILEGED_ROLE_ATTRIBUTES = {
  superuser: false,
  createDatabase: false,
  createRole: false,
  replication: false,
  bypassRowLevelSecurity: false,
} as const;

export interface EnvironmentLoginRoles {
  readonly runtime: postgresql.Role;
  readonly ddl: postgresql.Role;
}

/**
 * The org's dedicated database, owned by a NOLOGIN role, with PUBLIC shut out and, per
 * environment, a runtime role and a DDL role that log in with generated secret passwords and
 * carry fail-closed timeouts and connection limits.
 *
 * `lock_timeout` has no field on the provider's Role: a SqlMigration sets it for every login role.
 * Another takes the large-object functions from PUBLIC in the database.
 * Another sets `temp_file_limit` and registers the roles' limits with the guardrail enforcer,
 * which ends their sessions past those limits whatever the session or the role has SET.
 */
export class OrgDatabase extends pulumi.ComponentResource {
  public readonly database: postgresql.Database;
  public readonly databaseName: pulumi.Output<string>;
  public readonly ownerRoleName: pulumi.Output<string>;
  /**
   * The provider login's inheriting membership in the owner role: everything the login does as
   * the database's owner (database grants, schemas, the ledger's and guard's ownership) waits for it.
   */
  public readonly ownerMembership: postgresql.GrantRole;
  /** Login roles by environment. */
  public readonly loginRoles: Readonly<Record<string, EnvironmentLoginRoles>>;
  /** The break-glass login while break-glass is on (break-glass-plan.ts); its grants wait for the schemas. */
  public readonly breakGlass?: { readonly role: postgresql.Role; readonly plan: BreakGlassPlan };
  /** `{ [roleName]: password }`, a Pulumi secret. */
  public readonly passwords: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: OrgDatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.orgDatabase, name, {}, opts);
    const { spec, acl, provider } = args;
    const plan = planDatabase(spec);

    const owner = new postgresql.Role(childName(name, "owner"), {
      name: plan.owner,
      login: false,
      ...UNPRIVILEGED_ROLE_ATTRIBUTES,
    }, { parent: this });

    this.database = new postgresql.Database(childName(name, "database"), {
      name: plan.name,
      owner: owner.name,
      ...DATABASE_SETTINGS,
      connectionLimit: plan.connectionLimit,
      allowConnections: true,
      isTemplate: false,
    }, { parent: this, protect: plan.protect, retainOnDelete: plan.retainOnDelete });

    const passwords: Record<string, pulumi.Output<string>> = {};
    const loginRoles: Record<string, EnvironmentLoginRoles> = {};
    for (const env of spec.environments) {
      const [runtime, ddl] = planLoginRoles(spec, env).map((role) => {
        const { resource, password } = this.loginRole(name, role);
        passwords[role.name] = password;
        return resource;
      });
      if (runtime === undefined || ddl === undefined) throw new Error("internal: planLoginRoles returns two roles");
      loginRoles[env] = { runtime, ddl };
    }
    this.loginRoles = loginRoles;

    const breakGlassPlan = planBreakGlass(spec);
    if (breakGlassPlan !== undefined) {
      const { resource, password } = this.breakGlassRole(name, breakGlassPlan);
      passwords[breakGlassPlan.name] = password;
      this.breakGlass = { role: resource, plan: breakGlassPlan };
    }

    // On PG 16+ the login holds a second, automatic membership in a role it created (ADMIN, no
    // INHERIT), and the provider's Read scans whichever row comes first: reading that one makes
    // `withAdminOption` look changed, a ForceNew field, and the replacement's delete would revoke
    // the membership its create just made (cyrilgdn/terraform-provider-postgresql#667). So the
    // field is not diffed after the create, and any replacement deletes first. The lock-timeouts
    // migration's drift query checks the membership itself on every apply (database-plan.ts).
    this.ownerMembership = new postgresql.GrantRole(childName(name, "admin-owns"), {
      role: provider.adminRole,
      grantRole: owner.name,
      withAdminOption: false,
    }, { parent: this, dependsOn: [this.database], ignoreChanges: ["withAdminOption"], deleteBeforeReplace: true });
    const ownerMembership = this.ownerMembership;

    const everyRole = [owner, ...Object.values(loginRoles).flatMap((r) => [r.runtime, r.ddl]), ...(this.breakGlass === undefined ? [] : [this.breakGlass.role])];
    new SqlMigration(childName(name, "lock-timeouts"), { ...args.lockTimeouts, connection: migrationConnection(provider) }, { parent: this, dependsOn: everyRole });
    new SqlMigration(childName(name, "large-objects"), { ...args.largeObjects, connection: migrationConnection(provider) }, { parent: this, dependsOn: [this.database, ownerMembership] });
    new SqlMigration(childName(name, "guardrails"), { ...args.guardrails, connection: migrationConnection(provider) }, { parent: this, dependsOn: everyRole });
    for (const grant of planDatabaseAcl(spec)) {
      acl.add(grant, { parent: this, name }, [this.database, ownerMembership, ...everyRole]);
    }

    this.databaseName = this.database.name;
    this.ownerRoleName = owner.name;
    this.passwords = pulumi.secret(pulumi.all(passwords));
    this.registerOutputs({ databaseName: this.databaseName, ownerRoleName: this.ownerRoleName, passwords: this.passwords });
  }

  private generatedPassword(resourceName: string, keepers?: Record<string, string>): pulumi.Output<string> {
    // No special characters: the password ends up in connection URLs, and 40 alphanumerics
    // already carry ~238 bits.
    const generated = new random.RandomPassword(childName(resourceName, "password"), {
      length: 40,
      special: false,
      ...(keepers === undefined ? {} : { keepers }),
    }, { parent: this });
    return pulumi.secret(generated.result);
  }

  /**
   * One connection, the org's timeouts, and VALID UNTIL the spec's expiry: Postgres itself
   * refuses the password from then on, whether or not anyone applies again.
   */
  private breakGlassRole(name: string, plan: BreakGlassPlan) {
    const password = this.generatedPassword(childName(name, "breakglass"), breakGlassPasswordKeepers(plan));
    const resource = new postgresql.Role(childName(name, "breakglass"), {
      name: plan.name,
      login: true,
      password,
      validUntil: plan.validUntil,
      connectionLimit: plan.connectionLimit,
      statementTimeout: plan.statementTimeoutMs,
      idleInTransactionSessionTimeout: plan.idleInTransactionSessionTimeoutMs,
      ...UNPRIVILEGED_ROLE_ATTRIBUTES,
    }, { parent: this });
    return { resource, password };
  }

  private loginRole(name: string, role: LoginRolePlan) {
    const resourceName = childName(name, role.env, role.kind);
    const password = this.generatedPassword(resourceName);
    const resource = new postgresql.Role(resourceName, {
      name: role.name,
      login: role.login,
      password,
      connectionLimit: role.connectionLimit,
      statementTimeout: role.statementTimeoutMs,
      idleInTransactionSessionTimeout: role.idleInTransactionSessionTimeoutMs,
      ...UNPRIVILEGED_ROLE_ATTRIBUTES,
    }, { parent: this });
    return { resource, password };
  }
}
