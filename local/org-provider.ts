import { isOrgProvider, resourcesOfPackage } from "../components/provider-plan";
import { COMPONENT_TYPES } from "../components/type-tokens";
import { providerUrnOf } from "../harness/provider-reference";
import type { RegisteredResource } from "../harness/recording-monitor";

/*
 * The local apply stands in for one Postgres provider: the org's own, whose settings are the
 * stack file's `postgresql:*` values (pointed at the embedded server). A Postgres resource the
 * program put on any other provider (the engine's default, another org's) would reach a server
 * the local apply does not model, so it is refused rather than applied here as if it were the
 * org's. Provider resources themselves have no object on the server and are not applied.
 */

/** The Postgres resources not on the org's own Postgres provider (as the pack decides it): empty for the real program. */
export function offOrgPostgresProvider(registered: readonly RegisteredResource[]): RegisteredResource[] {
  const org = registered.find((r) => r.type === COMPONENT_TYPES.orgTenant);
  const byUrn = new Map(registered.map((r) => [r.urn, r]));
  const onOrgProvider = (r: RegisteredResource) => {
    const provider = r.provider === undefined ? undefined : byUrn.get(providerUrnOf(r.provider));
    return org !== undefined && provider !== undefined && isOrgProvider(provider, org.name, "postgresql");
  };
  return resourcesOfPackage(registered, "postgresql").filter((r) => !onOrgProvider(r));
}
