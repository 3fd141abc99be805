import { chmodSync, existsSync, mkdirSync, readdirSync } from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { CLUSTER_NAME, type ClusterConfig } from "../components/cluster-config";
import { localPaths, serverFilesUnder, type LocalPaths } from "./paths";
import { ensureServer, stopServer, type ServerInfo } from "./server";

/*
 * The local stand-ins for the platform's clusters (DESIGN property 20, docs/placement.md): one
 * embedded Postgres per cluster the platform stack declares, each with its own data directory,
 * credentials, provider logins, state and proof journal under `.tenantry/clusters/<name>/`. A
 * placed org is applied to its cluster's server only, so what one server holds is what that
 * cluster would hold. The lock, the local identity key and the edge's stores stay the project's:
 * one local command runs at a time, whichever servers it reaches.
 */

/** The folder under `.tenantry` that holds one folder per cluster server. */
const CLUSTERS_FOLDER = "clusters";

const clustersRoot = (projectDir: string) => join(localPaths(projectDir).root, CLUSTERS_FOLDER);

/**
 * The local files of one cluster's server. The name is checked against the platform's own rule
 * for cluster names (lower-case words joined by hyphens), so it can only ever be one folder name
 * below `.tenantry/clusters`: no name reaches another cluster's files or the default server's.
 */
export function clusterPaths(projectDir: string, cluster: string): LocalPaths {
  if (!CLUSTER_NAME.test(cluster)) throw new Error(`internal: ${JSON.stringify(cluster)} is not a cluster name`);
  const project = localPaths(projectDir);
  const root = join(clustersRoot(projectDir), cluster);
  return {
    ...project,
    root,
    // Per server: the state of an org records what was applied to the server that holds it, and
    // the cross-org claims of the proof compare it with the orgs on that same server.
    ...serverFilesUnder(root),
  };
}

export interface ClusterServer {
  readonly cluster: string;
  readonly paths: LocalPaths;
  readonly server: ServerInfo;
  readonly started: boolean;
}

/**
 * As root the servers run as the `postgres` OS user, which must traverse `.tenantry` and
 * `.tenantry/clusters` to reach its data directory (search only: it cannot list them).
 */
function prepareClustersRoot(projectDir: string): void {
  const root = clustersRoot(projectDir);
  mkdirSync(root, { recursive: true });
  const mode = userInfo().uid === 0 ? 0o711 : 0o700;
  chmodSync(localPaths(projectDir).root, mode);
  chmodSync(root, mode);
}

/** Starts (or reuses) one server per declared cluster, in the order the platform declares them. */
export async function ensureClusterServers(projectDir: string, clusters: readonly Pick<ClusterConfig, "name">[], { signal }: { signal?: AbortSignal } = {}): Promise<ClusterServer[]> {
  if (clusters.length > 0) prepareClustersRoot(projectDir);
  const servers: ClusterServer[] = [];
  for (const { name } of clusters) {
    signal?.throwIfAborted();
    const paths = clusterPaths(projectDir, name);
    const { server, started } = await ensureServer(paths, signal === undefined ? {} : { signal });
    servers.push({ cluster: name, paths, server, started });
  }
  return servers;
}

/** The cluster servers that have local files, declared or not (a cluster removed from the platform config still has a server to stop). */
export function localClusters(projectDir: string): string[] {
  const root = clustersRoot(projectDir);
  if (!existsSync(root)) return [];
  return readdirSync(root).filter((name) => CLUSTER_NAME.test(name)).sort();
}

/** Stops every cluster server of the project; the names of those that were running. */
export async function stopClusterServers(projectDir: string): Promise<string[]> {
  const stopped: string[] = [];
  for (const cluster of localClusters(projectDir)) {
    if (await stopServer(clusterPaths(projectDir, cluster))) stopped.push(cluster);
  }
  return stopped;
}
