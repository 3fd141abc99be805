import type { ClusterConfig } from "../components/cluster-config";
import { readPlatformClusters } from "../harness/platform-reference";
import type { ProviderLogin } from "../spec/provider-settings";
import { ORG_CONFIG_KEY, SpecError } from "../spec/spec-errors";
import type { OrgSpec } from "../spec/spec";
import { isPlaced, tenantStackOrPlacement } from "../spec/stack-config";
import { RecordingMonitor } from "../harness/recording-monitor";
import { runProgram } from "../harness/run-program";
import { readStackFile, resolveStackFile, type StackFile } from "../harness/stack-file";
import { applyChanges, type Interruption } from "./apply";
import type { Connection } from "./sql-runner";
import { desiredResources, type Change, type DesiredResource } from "./changes";
import { statePasswords } from "./passwords";
import { localPaths, type LocalPaths } from "./paths";
import { repairDrift, type RepairedDrift } from "./drift";
import { repairLogins } from "./logins";
import { dropProofObjects, type Leftover } from "./proof-objects";
import { ensureProviderAdmin, localLoginProblems } from "./provider-admin";
import { ensureServer, type ServerInfo } from "./server";
import { clusterPaths, ensureClusterServers, type ClusterServer } from "./cluster-servers";
import { readState, stackState, type AppliedResource } from "./state";

/*
 * `tenantry up --local`: the real program under the mock monitor, then the provider's SQL for
 * what it registered, applied to the embedded Postgres as the provider's non-superuser login.
 */

/** What the local engine needs of a stack's config: the org, and the provider's login (where it connects is the engine's own server). */
export interface LocalTenant {
  readonly spec: OrgSpec;
  readonly provider: ProviderLogin;
}

/** A placed org, locally: its cluster's server, and the platform's clusters (every one gets a server). */
export interface LocalPlacement {
  readonly cluster: string;
  readonly clusters: readonly ClusterConfig[];
  readonly projectDir: string;
}

export interface LocalStack {
  readonly paths: LocalPaths;
  readonly stackFile: StackFile;
  readonly tenant: LocalTenant;
  /** Set for a placed org (tenantry:org.placement): `paths` are its cluster server's (local/cluster-servers.ts). */
  readonly placement?: LocalPlacement;
}

export interface LoadOptions {
  /**
   * A placed org applied to this declared cluster's server instead of the one its stack file
   * names: a move's target before the switch (fleet/move-local.ts). The stack file is not
   * rewritten; the placement it names stays the commit point of the move.
   */
  readonly cluster?: string;
}

/**
 * Reads and validates a stack for the local engine: the spec's rules, then what only this engine
 * cannot take. An org without placement runs on the project's one embedded server, as it names
 * one server; a placed org runs on the embedded server of its cluster, which must be declared in
 * the project's platform stack file (platform/Pulumi.platform.yaml).
 */
export function loadLocalStack(projectDir: string, stackOrPath: string, { cluster: onCluster }: LoadOptions = {}): LocalStack {
  const stackFile = readStackFile(resolveStackFile(stackOrPath, projectDir));
  const stack = tenantStackOrPlacement({ ...stackFile, now: new Date() });
  const tenant: LocalTenant = isPlaced(stack) ? { spec: stack.spec, provider: stack.login } : stack;
  const problems = localLoginProblems(tenant.provider.adminRole);
  if (problems.length > 0) throw new SpecError(problems);
  if (!isPlaced(stack)) return { paths: localPaths(projectDir), stackFile, tenant };
  const clusters = readPlatformClusters(projectDir);
  const cluster = onCluster ?? stack.placement.cluster;
  if (!clusters.some((c) => c.name === cluster)) {
    const field = `${ORG_CONFIG_KEY}.placement.cluster`;
    const names = clusters.map((c) => c.name).join(", ") || "none";
    throw new SpecError([{ field, message: `${onCluster === undefined ? field : "--to"} ${cluster} is not a cluster of tenantry:platform.clusters in platform/Pulumi.platform.yaml (declared: ${names}): the local engine runs one server per declared cluster` }]);
  }
  return { paths: clusterPaths(projectDir, cluster), stackFile, tenant, placement: { cluster, clusters, projectDir } };
}

/** The database the provider connects to (`postgresql:database`, the provider's default `postgres`). */
export function providerDatabase(stackFile: StackFile): string {
  return stackFile.values["postgresql:database"] ?? "postgres";
}

export interface UpResult {
  readonly server: ServerInfo;
  readonly serverStarted: boolean;
  readonly admin: Connection;
  readonly superuser: Connection;
  readonly changes: readonly Change[];
  /** Login roles that no longer logged in with their stored password, and were repaired. */
  readonly repaired: readonly string[];
  /** Migrations whose database had drifted from them (the ledger's coverage), and were re-applied. */
  readonly drift: readonly RepairedDrift[];
  /** Login roles whose settings (timeouts, temp_file_limit, connection limit) had drifted, and were put back. */
  readonly restored: readonly string[];
  /** For a placed org: every declared cluster's server, its own among them. */
  readonly clusterServers?: readonly ClusterServer[];
}

export interface UpOptions {
  /** Test hook: stop as a crash would (see apply.ts). */
  readonly interrupt?: Interruption;
  /** Aborted on SIGINT/SIGTERM: the run stops at the next safe point. */
  readonly signal?: AbortSignal;
  /** Told what a clean-up could not drop; the run goes on. */
  readonly onLeftovers?: (leftovers: readonly Leftover[]) => void;
  /**
   * Another server's state of the same stack, whose generated passwords this apply takes where
   * its own state has none: one Pulumi stack keeps one random_password result wherever its
   * provider points, so a moved org's logins keep their passwords on the target.
   */
  readonly passwordsFrom?: readonly AppliedResource[];
}

/** What the program declares for the stack, with generated passwords taken from (or new to) the local state. */
export async function declareLocal(stack: LocalStack, passwordsFrom: readonly AppliedResource[] = []): Promise<{ desired: DesiredResource[]; generatedPasswords: Map<string, string> }> {
  const applied = stackState(readState(stack.paths), stack.stackFile.stack).resources;
  const passwords = statePasswords(applied, passwordsFrom);
  const run = await runProgram(stack.stackFile, {
    monitor: new RecordingMonitor(passwords.source), withoutDebugAids: true, platformClusters: stack.placement?.clusters ?? [],
  });
  return { desired: desiredResources(run.resources), generatedPasswords: passwords.generated };
}

export async function upLocal(stack: LocalStack, { interrupt, signal, onLeftovers, passwordsFrom }: UpOptions = {}): Promise<UpResult> {
  const { paths, stackFile, tenant, placement } = stack;
  // A placed org brings up every declared cluster's server, as the platform stack stands up every cluster.
  const clusterServers = placement === undefined ? undefined : await ensureClusterServers(placement.projectDir, placement.clusters, { signal });
  const own = clusterServers?.find((c) => c.cluster === placement?.cluster);
  const { server, started } = own ?? (await ensureServer(paths, { signal }));
  const admin = await ensureProviderAdmin(paths, server, tenant.provider.adminRole, providerDatabase(stackFile));
  const superuser: Connection = { ...server, database: admin.database };
  // A table a killed proof left in a schema would make that schema's removal fail: gone first.
  // What cannot be dropped is reported, not fatal: it may be in no schema this run touches.
  onLeftovers?.((await dropProofObjects(server, paths.proofFile)).leftovers);
  const declared = await declareLocal(stack, passwordsFrom);
  signal?.throwIfAborted();
  const changes = await applyChanges({
    paths,
    admin,
    superuser,
    stack: stackFile.stack,
    ...declared,
    ...(interrupt === undefined ? {} : { interrupt }),
    signal,
  });
  signal?.throwIfAborted();
  const resources = stackState(readState(paths), stackFile.stack).resources;
  // Role settings first: their migrations carry drift queries too, and this repair names the
  // roles that had changed them; the drift check after it then finds nothing of theirs to redo.
  const { passwords, settings } = await repairLogins({ server, admin, superuser, resources });
  const drift = await repairDrift(admin, superuser, resources);
  return { server, serverStarted: started, admin, superuser, changes, repaired: passwords, restored: settings, drift, ...(clusterServers === undefined ? {} : { clusterServers }) };
}
