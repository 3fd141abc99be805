import { D1Database } from "@pulumi/cloudflare/d1database";
import * as pulumi from "@pulumi/pulumi";
import { childName } from "../spec/naming";
import type { ApiKeyStorePlan } from "./edge-plan";
import { COMPONENT_TYPES } from "./type-tokens";

export interface ApiKeyStoreArgs {
  /** The org's `edge.accountId`: the store is in the account its router runs in, which binds it. */
  readonly accountId: string;
  /** Its name and protection, from `planApiKeyStore` (edge-plan.ts). */
  readonly plan: ApiKeyStorePlan;
}

/**
 * The org's API key store (DESIGN property 18): one D1 database of key hashes, which the router
 * reads on every keyed request and `tenantry keys --remote` writes. Read replicas are off, so a
 * revocation is what the router's next lookup sees; the database is retained on delete, so no
 * edit of the program drops the hashes (keys would stop working, and their history with them).
 * The table is made by `tenantry keys --remote` (the migration is idempotent), not here: no
 * Cloudflare resource runs SQL.
 */
export class ApiKeyStore extends pulumi.ComponentResource {
  /** The D1 database id: `pulumi stack output apiKeysDatabaseId`, which `tenantry keys --remote --database-id` takes. */
  public readonly databaseId: pulumi.Output<string>;

  constructor(name: string, args: ApiKeyStoreArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.apiKeyStore, name, {}, opts);
    const database = new D1Database(childName(name, "database"), {
      accountId: args.accountId,
      name: args.plan.name,
      // A replica can lag the primary and serve a key after its revocation.
      readReplication: { mode: "disabled" },
    }, { parent: this, protect: args.plan.protect, retainOnDelete: true });
    this.databaseId = database.id;
    this.registerOutputs({ databaseId: this.databaseId });
  }
}
