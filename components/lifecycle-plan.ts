import type { OrgSpec } from "../spec/spec";

/*
 * What an org's lifecycle changes in what the program declares. An active org is declared in
 * full. An org marked for offboarding (`spec.offboarding`) loses every way in and keeps
 * everything that holds data, so the marker's `pulumi up` revokes access and a later
 * `pulumi destroy` can finish without dropping anything. Pure: OrgTenant and OrgDatabase wire it.
 */

export interface LifecyclePlan {
  /** The org is marked for offboarding; the OrgTenant component carries this for the pack. */
  readonly offboarding: boolean;
  /**
   * The Cloudflare edge (dispatch namespace, router, outbound Worker, apps) and the IAM user
   * that reads the org's secrets for it. Off while offboarding: the next `pulumi up` removes
   * them, which is what revokes the org's public entry point. The KMS key and the Secrets
   * Manager secrets stay declared (they hold values operators may still need); the destroy
   * deletes them later, with AWS's recovery window.
   */
  readonly edge: boolean;
  /**
   * Whether the org's login roles may log in. Off while offboarding (`NOLOGIN`): the roles and
   * their passwords outlive the stack on the server, and a retained credential must not keep
   * opening retained data. Sessions already open are not ended by this.
   */
  readonly logins: boolean;
  /**
   * `protect` on the org database: production orgs only, and lifted while offboarding, because a
   * protected resource stops `pulumi destroy`. Lifting it is safe only together with
   * {@link retainDatabaseSide}: the database is never dropped, it is forgotten.
   */
  readonly protectDatabase: boolean;
  /**
   * Every resource of the org's Postgres side (database, roles, schemas, grants, ledger,
   * migrations) is `retainOnDelete`. The database always is; while offboarding the rest is too,
   * so a destroy neither drops a schema or role nor revokes a grant: the data stays on the
   * server exactly as it was, owners and ACL included, ready to be restored or re-adopted.
   */
  readonly retainDatabaseSide: boolean;
}

export function planLifecycle(spec: Pick<OrgSpec, "tier" | "offboarding">): LifecyclePlan {
  const offboarding = spec.offboarding !== undefined;
  return {
    offboarding,
    edge: !offboarding,
    logins: !offboarding,
    protectDatabase: spec.tier === "production" && !offboarding,
    retainDatabaseSide: offboarding,
  };
}
