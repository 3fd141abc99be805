import type { PolicyResource } from "@pulumi/policy";
import { COMPONENT_TYPES } from "../components/type-tokens";

/*
 * Which resources the platform's PostgresCluster component declared (components/postgres-cluster.ts).
 * The org rules leave them to the RDS rules (policies/rds.ts): the provisioning login is CREATEDB
 * CREATEROLE by design, and the cluster has no org to be judged against. Only the program
 * declares that component, and an org stack declaring it is refused (stack-resource-types-allowed),
 * so no stack file can move a resource under it.
 */

/** The component itself, or one of its direct children (as a stack rule sees resources). */
export const isPlatformClusterResource = (r: Pick<PolicyResource, "type" | "parent">) =>
  r.type === COMPONENT_TYPES.postgresCluster || r.parent?.type === COMPONENT_TYPES.postgresCluster;

/**
 * The same, by URN (as a resource rule sees one): a child's URN carries its parents' types,
 * `...::tenantry:index:PostgresCluster$postgresql:index/role:Role::name`.
 */
export const isPlatformClusterUrn = (urn: string) => urn.includes(`::${COMPONENT_TYPES.postgresCluster}$`);
