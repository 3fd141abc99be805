import * as pulumi from "@pulumi/pulumi";
import * as postgresql from "@pulumi/postgresql";
import type { AclPlan } from "./database-plan";
import { childName } from "../spec/naming";

/**
 * Creates an org's `Grant` and `DefaultPrivileges` resources strictly one after another.
 *
 * Two ACL changes that touch the same catalog row at once (a database's `datacl`, a schema's
 * `nspacl`, a table's `relacl`, a `pg_default_acl` row) fail with "tuple concurrently updated"
 * (terraform-provider-postgresql #178, #223, #425; pulumi-postgresql #126). Serializing per role
 * is not enough: CONNECT grants of different roles all rewrite the one database ACL. One chain
 * per org covers every case; the price is a few seconds on a first deploy.
 */
export class AclChain {
  private last: pulumi.Resource | undefined;

  /**
   * @param owner the component the resource belongs to, and its name (child names derive from it).
   * @param references resources the plan names by value (roles, schemas, the database), so the
   *   change waits for them as it would for an output.
   */
  add(plan: AclPlan, owner: { parent: pulumi.Resource; name: string }, references: readonly pulumi.Resource[]): pulumi.CustomResource {
    const opts: pulumi.CustomResourceOptions = {
      parent: owner.parent,
      dependsOn: this.last === undefined ? [...references] : [...references, this.last],
    };
    const name = childName(owner.name, plan.key);
    const resource =
      plan.kind === "grant"
        ? new postgresql.Grant(name, {
            role: plan.role,
            database: plan.database,
            schema: plan.schema,
            objectType: plan.objectType,
            ...(plan.objects === undefined ? {} : { objects: [...plan.objects] }),
            ...(plan.columns === undefined ? {} : { columns: [...plan.columns] }),
            privileges: [...plan.privileges],
          }, opts)
        : new postgresql.DefaultPrivileges(name, {
            role: plan.role,
            owner: plan.owner,
            database: plan.database,
            schema: plan.schema,
            objectType: plan.objectType,
            privileges: [...plan.privileges],
          }, opts);
    this.last = resource;
    return resource;
  }
}
