import { COMPONENT_TYPES } from "./type-tokens";
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import type { AclChain } from "./acl-chain";
import { auditOwnerName, planAuditAcl } from "./audit-plan";
import { AUDIT_SCHEMA } from "./audit-sql";
import type { MigrationPlan } from "./migration-plan";
import { childName } from "../spec/naming";
import { migrationConnection, UNPRIVILEGED_ROLE_ATTRIBUTES, type EnvironmentLoginRoles, type ProviderConnection } from "./org-database";
import type { OrgSpec } from "../spec/spec";
import { SqlMigration } from "./sql-migration";

export interface AuditLedgerArgs {
  /** The validated org spec: every workspace schema of every environment is covered. */
  readonly spec: OrgSpec;
  /** The org database the ledger lives in. */
  readonly database: postgresql.Database;
  /** The provider login's membership in the owner role: the ledger's schema and migration act as that owner (see EnvironmentSchemasArgs). */
  readonly ownerMembership: pulumi.Resource;
  /**
   * Login roles by environment: each gets SELECT and INSERT on the ledger, nothing more, and
   * row-level security narrows both to its own environment's events.
   */
  readonly loginRoles: Readonly<Record<string, EnvironmentLoginRoles>>;
  /**
   * Every schema resource of the org: the ledger's event triggers are installed after them, and
   * tables that already exist in them are covered on install.
   */
  readonly schemas: readonly pulumi.Resource[];
  /** Serializes the ledger's grants with every other grant of the org (see AclChain). */
  readonly acl: AclChain;
  /**
   * The provider's connection. The ledger's migration creates event triggers, which need a
   * superuser: on RDS the provider login must hold `rds_superuser`.
   */
  readonly provider: ProviderConnection;
  /** The ledger's migration (migration-plan.ts), rendered from the org's facts so the pack can render it again. */
  readonly ledger: MigrationPlan;
}

/**
 * The append-only audit ledger (DESIGN property 5): an `audit` schema owned by a NOLOGIN audit
 * owner, the events table, its trigger functions and event triggers (audit-sql.ts), and grants
 * of SELECT and INSERT only. The schema never drops with CASCADE.
 */
export class AuditLedger extends pulumi.ComponentResource {
  public readonly ownerRoleName: pulumi.Output<string>;
  /** The ledger's migration, which also records the break-glass grant: the login's grants wait for it. */
  public readonly migration: SqlMigration;

  constructor(name: string, args: AuditLedgerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.auditLedger, name, {}, opts);
    const { spec, database, loginRoles, schemas, acl, provider, ownerMembership } = args;

    const owner = new postgresql.Role(childName(name, "owner"), {
      name: auditOwnerName(spec),
      login: false,
      ...UNPRIVILEGED_ROLE_ATTRIBUTES,
    }, { parent: this });

    const schema = new postgresql.Schema(childName(name, "schema"), {
      name: AUDIT_SCHEMA,
      database: database.name,
      owner: owner.name,
      dropCascade: false,
    }, { parent: this, dependsOn: [ownerMembership] });

    // The ledger's row-level security policies name every login role: they must exist first.
    const roles = Object.values(loginRoles).flatMap((r) => [r.runtime, r.ddl]);
    const ledger = new SqlMigration(childName(name, "ledger"), { ...args.ledger, connection: migrationConnection(provider) },
      { parent: this, dependsOn: [database, ownerMembership, schema, owner, ...schemas, ...roles] });

    for (const grant of planAuditAcl(spec)) acl.add(grant, { parent: this, name }, [ledger, schema, ...roles]);

    this.migration = ledger;
    this.ownerRoleName = owner.name;
    this.registerOutputs({ ownerRoleName: this.ownerRoleName });
  }
}
