import { Provider as CloudflareProvider } from "@pulumi/cloudflare/provider";
import { SecretsStore } from "@pulumi/cloudflare/secretsStore";
import * as pulumi from "@pulumi/pulumi";
import { childName } from "../spec/naming";
import { ACCOUNT_SECRETS_STORE_NAME } from "./edge-plan";
import { COMPONENT_TYPES } from "./type-tokens";

export interface AccountSecretsStoresArgs {
  /**
   * The Cloudflare accounts org edges run in, each listed once (platform-config.ts refuses a
   * repeat). Each gets the one Secrets Store Cloudflare allows an account; the orgs on it name
   * the store's id in `edge.secretsStoreId` and keep their secrets in it under `tn-<org>-...`.
   */
  readonly accountIds: readonly string[];
}

/**
 * The platform stack's Secrets Store per Cloudflare account. Cloudflare allows one store per
 * account ("Manage account secrets", developers.cloudflare.com/secrets-store), so it cannot
 * belong to any one org: this component creates it once, and org stacks only name it.
 */
export class AccountSecretsStores extends pulumi.ComponentResource {
  /** Store id by account id: the `edge.secretsStoreId` of every org on that account. */
  public readonly storeIds: pulumi.Output<Record<string, string>>;

  constructor(name: string, args: AccountSecretsStoresArgs, opts?: pulumi.ComponentResourceOptions) {
    super(COMPONENT_TYPES.accountSecretsStores, name, { accountIds: [...args.accountIds] }, opts);
    // No input: the API token is CLOUDFLARE_API_TOKEN of the deploy job. A default provider
    // would also read cloudflare:* keys of the stack file, a base URL among them.
    const provider = new CloudflareProvider(childName(name, "cloudflare"), {}, { parent: this });
    const stores = args.accountIds.map((accountId) => new SecretsStore(childName(name, accountId), { accountId, name: ACCOUNT_SECRETS_STORE_NAME }, {
      parent: this,
      provider,
      // Every org's edge keys on the account are in it. The provider replaces a store whose name
      // changes (name is RequiresReplace in terraform-provider-cloudflare's secrets_store
      // schema), and deleting it deletes them all: protected, and retained if ever removed.
      protect: true,
      retainOnDelete: true,
    }));
    this.storeIds = pulumi.all(stores.map((store) => store.id)).apply((ids) => Object.fromEntries(args.accountIds.map((account, i) => [account, ids[i] ?? ""])));
    this.registerOutputs({ storeIds: this.storeIds });
  }
}
