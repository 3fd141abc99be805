import * as pulumi from "@pulumi/pulumi";
import { orgComponentName } from "./spec/naming";
import { OrgTenant } from "./components/org-tenant";
import { isPlaced, tenantStackOrPlacement, type PlacedTenantStack } from "./spec/stack-config";
import { CLUSTERS_OUTPUT, clusterEndpointOf, placedProviderSettings } from "./spec/placement-connection";
import { platformStackOf } from "./spec/placement-spec";
import type { ProviderSettings } from "./spec/provider-settings";
import { SpecError } from "./spec/spec-errors";

/**
 * The tenantry program: one org per stack. The whole stack configuration is validated before
 * the first resource is registered, so bad input stops the run with a message that names the
 * field and leaves nothing half-created.
 *
 * Pulumi calls an exported function and uses its result as the stack outputs; exporting a
 * function (not running at import) also lets the offline harness run this very program once
 * per stack file in one process.
 */
export = async function tenantry() {
  const stack = tenantStackOrPlacement({
    stack: pulumi.getStack(),
    values: pulumi.runtime.allConfig(),
    secretKeys: secretConfigKeys(),
    now: new Date(),
  });
  const { spec } = stack;
  const provider = isPlaced(stack) ? await clusterProvider(stack) : stack.provider;
  // The provider's password, if the stack sets it; otherwise PGPASSWORD, as the provider itself
  // reads. A placed org has none (its stack may not set one): it logs in with an IAM token.
  const password = isPlaced(stack) ? undefined : new pulumi.Config("postgresql").getSecret("password");
  const org = new OrgTenant(orgComponentName(spec.slug), { spec, provider: { ...provider, ...(password === undefined ? {} : { password }) } });
  return {
    databaseName: org.databaseName,
    roles: org.roles,
    schemas: org.schemas,
    credentials: org.credentials,
    // What `tenantry keys --remote --database-id` takes: the org's API key store, when it declares slots.
    ...(org.apiKeysDatabaseId === undefined ? {} : { apiKeysDatabaseId: org.apiKeysDatabaseId }),
    // A secret output, only for an org with webhooks: environment -> that environment's receivers' current signing secret.
    ...(org.webhookSigningSecrets === undefined ? {} : { webhookSigningSecrets: org.webhookSigningSecrets }),
  };
};

/**
 * A placed org's provider settings: its cluster's endpoint, port and region, read from the
 * platform stack's `clusters` output before anything is registered, so every resource, fact
 * and migration sees one plain host, as for an org on its own server. A cluster the platform
 * does not export stops the run with the field named.
 */
async function clusterProvider({ login, placement }: PlacedTenantStack): Promise<ProviderSettings> {
  // The platform stack of the org stack's own Pulumi organization, never one the stack file names.
  const platform = new pulumi.StackReference("platform", { name: platformStackOf(pulumi.getOrganization()) });
  const details = await platform.getOutputDetails(CLUSTERS_OUTPUT);
  const { endpoint, problems } = clusterEndpointOf(details.value ?? details.secretValue, placement);
  if (endpoint === undefined) throw new SpecError(problems);
  return placedProviderSettings(login, endpoint);
}

/** `isConfigSecret` is exported by the runtime but missing from its typings. */
function secretConfigKeys(): ReadonlySet<string> {
  const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };
  const isSecret = runtime.isConfigSecret;
  if (isSecret === undefined) throw new Error("@pulumi/pulumi no longer exports runtime.isConfigSecret");
  return new Set(Object.keys(pulumi.runtime.allConfig()).filter((key) => isSecret(key)));
}
