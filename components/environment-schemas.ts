import { COMPONENT_TYPES } from "./type-tokens";
import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import type { AclChain } from "./acl-chain";
import { planEnvironmentSchemas, planSchemaAcl } from "./database-plan";
import { childName } from "../spec/naming";
import type { OrgSpec } from "../spec/spec";
import type { EnvironmentLoginRoles } from "./org-database";

export interface EnvironmentSchemasArgs {
  /** The validated org spec; one schema is created per workspace. */
  readonly spec: OrgSpec;
  /** The environment these schemas belong to; must be one of `spec.environments`. */
  readonly env: string;
  /** The org database the schemas live in. */
  readonly database: postgresql.Database;
  /**
   * The provider login's membership in the database's owner: a schema is created as that owner,
   * and the provider's Schema create borrows the same membership for its statement, so one made
   * alongside the GrantRole could revoke it (issue 14, finding 3). Schemas wait for it.
   */
  readonly ownerMembership: pulumi.Resource;
  /**
   * This environment's login roles. The DDL role owns the schemas; the runtime role gets DML
   * only. Roles of other environments get nothing here: that is the environment boundary.
   */
  readonly roles: EnvironmentLoginRoles;
  /** Serializes these grants with every other grant of the org (see AclChain). */
  readonly acl: AclChain;
}

/** One schema `<workspace>_<env>` per workspace, owned by the environment's DDL role. */
export class EnvironmentSchemas extends pulumi.ComponentResource {
  public readonly schemaNames: pulumi.Output<string[]>;
  /** The schema resources, for what must come after them (the audit ledger). */
  public readonly schemas: readonly postgresql.Schema[];

  constructor(name: string, args: EnvironmentSchemasArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.environmentSchemas, name, {}, opts);
    const { spec, env, database, roles, acl, ownerMembership } = args;

    const plans = planEnvironmentSchemas(spec, env);
    const schemas = plans.map((plan) =>
      new postgresql.Schema(childName(name, plan.workspace), {
        name: plan.name,
        database: database.name,
        owner: roles.ddl.name,
        // Deleting the schema resource must fail while it holds tables, never take them along.
        dropCascade: false,
      }, { parent: this, dependsOn: [ownerMembership] }),
    );

    // Each grant waits for the one schema it names, not all of them: with every schema, an org
    // of W workspaces registered 5W grants of W dependencies each per environment (quadratic).
    const schemaByName = new Map(plans.map((plan, i) => [plan.name, schemas[i]]));
    for (const grant of planSchemaAcl(spec, env)) {
      const schema = grant.schema === undefined ? undefined : schemaByName.get(grant.schema);
      if (schema === undefined) throw new Error(`internal: grant ${grant.key} names no schema of ${env}`);
      acl.add(grant, { parent: this, name }, [schema, roles.runtime, roles.ddl]);
    }

    this.schemas = schemas;
    this.schemaNames = pulumi.all(schemas.map((schema) => schema.name));
    this.registerOutputs({ schemaNames: this.schemaNames });
  }
}
