import { orgProviderName, providerType } from "../components/provider-plan";
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

/** The Postgres resources not on the org's own Postgres provider: empty for the real program. */
export function offOrgPostgresProvider(registered: readonly RegisteredResource[]): RegisteredResource[] {
  const org = registered.find((r) => r.type === COMPONENT_TYPES.orgTenant);
  const own = org === undefined ? undefined
    : registered.find((r) => r.type === providerType("postgresql") && r.name === orgProviderName(org.name, "postgresql") && r.parent === org.urn);
  return registered.filter((r) => r.type.startsWith("postgresql:") && (own === undefined || r.provider === undefined || providerUrnOf(r.provider) !== own.urn));
}
