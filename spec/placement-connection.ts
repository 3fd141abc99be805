import { HOST_NAME, type ProviderLogin, type ProviderSettings } from "./provider-settings";
import { ORG_CONFIG_KEY, type SpecProblem } from "./spec-errors";
import { PLATFORM_STACK_PROJECT_AND_NAME, type Placement } from "./placement-spec";

/*
 * Where a placed org's Postgres provider connects (DESIGN property 20): its cluster's endpoint,
 * port and region, read from the platform stack's `clusters` output (a StackReference in
 * index.ts), never from the org's stack file. Pure: the program hands in what it read.
 */

/** The settings a placed org may not carry: where it connects comes from the platform, and IAM auth replaces the password. */
export const PLACED_FORBIDDEN_KEYS = {
  "postgresql:host": "the cluster's endpoint comes from the platform stack's clusters output",
  "postgresql:port": "the cluster's port comes from the platform stack's clusters output",
  "postgresql:password": "the provider logs in with an RDS IAM token (awsRdsIamAuth), so no deploy job holds a database password",
} as const;

/** The refusals for a placed org's stack file: every key of PLACED_FORBIDDEN_KEYS it sets, named. */
export function placedStackProblems(values: Readonly<Record<string, string>>): SpecProblem[] {
  return Object.entries(PLACED_FORBIDDEN_KEYS)
    .filter(([key]) => values[key] !== undefined)
    .map(([key, why]) => ({ field: key, message: `${key} must not be set with ${ORG_CONFIG_KEY}.placement: ${why}; remove it from the stack file` }));
}

/** The platform stack output placement reads: one entry per cluster, by name (platform/program.ts). */
export const CLUSTERS_OUTPUT = "clusters";

export interface ClusterEndpoint {
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
}

/**
 * The placed org's cluster from the platform stack's `clusters` output, or the problem naming
 * the field: a cluster the platform does not export, or an entry that is not an endpoint.
 */
export function clusterEndpointOf(output: unknown, placement: Placement): { endpoint?: ClusterEndpoint; problems: SpecProblem[] } {
  const field = `${ORG_CONFIG_KEY}.placement.cluster`;
  const clusters = typeof output === "object" && output !== null && !Array.isArray(output) ? output as Record<string, unknown> : {};
  const entry = Object.hasOwn(clusters, placement.cluster) ? clusters[placement.cluster] : undefined;
  if (entry === undefined) {
    const names = Object.keys(clusters).sort().join(", ") || "none";
    return { problems: [{ field, message: `${field} ${placement.cluster} is not a cluster of platform stack ${PLATFORM_STACK_PROJECT_AND_NAME} (its ${CLUSTERS_OUTPUT} output has: ${names})` }] };
  }
  const { endpoint, port, region } = (typeof entry === "object" && entry !== null ? entry : {}) as Record<string, unknown>;
  const portNumber = Number(port);
  if (typeof endpoint !== "string" || !HOST_NAME.test(endpoint) || !Number.isInteger(portNumber) || portNumber < 1 || portNumber > 65535 || typeof region !== "string" || !/^[a-z]{2}(?:-gov)?-[a-z]+-\d$/.test(region)) {
    return { problems: [{ field, message: `${field}: platform stack ${PLATFORM_STACK_PROJECT_AND_NAME} exports cluster ${placement.cluster} without an endpoint, a port and a region` }] };
  }
  return { endpoint: { endpoint, port: portNumber, region }, problems: [] };
}

/** The provider settings of a placed org: the stack's login, at its cluster, with IAM auth in the cluster's region. */
export function placedProviderSettings(login: ProviderLogin, cluster: ClusterEndpoint): ProviderSettings {
  return { ...login, host: cluster.endpoint, port: cluster.port, awsRdsIamRegion: cluster.region };
}
