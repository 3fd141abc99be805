import { dirname, join, relative } from "node:path";
import type { Change } from "../../local/changes";
import type { Leftover } from "../../local/proof-objects";
import type { LocalStack, UpResult } from "../../local/up";
import type { StackProof } from "../render-proof";
import type { FleetPlacement } from "../fleet-placement";
import { EXIT_INVALID, EXIT_OK, EXIT_VIOLATIONS } from "../exit-codes";
import { withLocalSession } from "../local-session";
import { specWarnings } from "../../spec/spec";
import { refuseWhileMoving } from "../../fleet/move-record";

/*
 * The embedded default: `up --local`, `prove --local` and `down --local`. They never touch a
 * remote server: without --local they refuse and point at `pulumi up` (`prove --server-url`,
 * which only reads a deployed server, is cli/commands/prove.ts). Each runs as a local
 * session (cli/local-session.ts): one command at a time per local state, and a clean stop on
 * SIGINT or SIGTERM. The engine is imported once the lock is held, so a refusal is immediate.
 */

function requireLocal(local: boolean | undefined, command: string): boolean {
  if (local === true) return true;
  console.error(`error: tenantry ${command} only works with --local (the embedded Postgres); deploy for real with \`pulumi up\``);
  return false;
}

export function summarize(changes: readonly Change[]): string {
  const counts = new Map<string, number>();
  for (const change of changes) counts.set(change.kind, (counts.get(change.kind) ?? 0) + 1);
  const words: Record<string, string> = { create: "created", update: "updated", options: "options changed", delete: "deleted", retain: "retained (not dropped)" };
  return [...counts].map(([kind, n]) => `${n} ${words[kind] ?? kind}`).join(", ");
}

/**
 * One line per applied stack, saying exactly what was checked: the change plan compares the
 * stack with the recorded local state (not with the server: a role setting or schema changed on
 * the server is not seen), then the ledger's coverage is read from the server and restored where
 * it drifted, and every login role is made to log in with its stored password and gets its
 * declared settings back (named only when they had drifted).
 */
export function describeUp(stack: string, result: Pick<UpResult, "changes" | "repaired" | "restored" | "admin" | "drift">, seconds: string): string {
  const applied = result.changes.length === 0
    ? "nothing to apply against the recorded local state"
    : `${summarize(result.changes)} as ${result.admin.user}, a non-superuser login`;
  const logins = result.repaired.length === 0
    ? "every login role authenticates with its stored password"
    : `repaired ${result.repaired.length} login role(s) whose stored password the server refused (28P01): ${result.repaired.join(", ")}`;
  const drifted = result.drift.flatMap((d) => d.drift);
  const coverage = drifted.length === 0
    ? "audit coverage as declared"
    : `restored audit coverage (${drifted.length} drifted: ${drifted.slice(0, 3).join("; ")}${drifted.length > 3 ? "; ..." : ""})`;
  const settings = result.restored.length === 0
    ? ""
    : `; restored the declared settings of ${result.restored.length} login role(s) that had changed them: ${result.restored.join(", ")}`;
  return `${stack}: ${applied}; ${coverage}; ${logins}${settings} (${seconds} s)`;
}

export interface UpOptions {
  readonly local?: boolean;
  /** false with --no-prove: apply only. */
  readonly prove?: boolean;
  readonly verbose?: boolean;
}

export async function up(stacks: string[], options: UpOptions, projectDir: string): Promise<number> {
  if (!requireLocal(options.local, "up")) return EXIT_INVALID;
  return withLocalSession(projectDir, async ({ signal }) => {
    const [{ loadLocalStack, upLocal }, onLeftovers] = await Promise.all([import("../../local/up.js"), leftoverReporter()]);
    // Validate every stack before touching the server: nothing half-applied on bad input.
    const loaded = stacks.map((stack) => loadLocalStack(projectDir, stack));
    refuseWhileMoving(projectDir, "up --local", loaded.map((s) => s.tenant.spec.slug));
    const announced = new Set<string>();
    for (const stack of loaded) {
      const started = Date.now();
      for (const warning of specWarnings(stack.tenant.spec)) console.warn(`${stack.stackFile.stack}: ${warning}`);
      const result = await upLocal(stack, { signal, onLeftovers });
      for (const line of serverLines(stack, result, projectDir, announced)) console.log(line);
      console.log(describeUp(stack.stackFile.stack, result, ((Date.now() - started) / 1000).toFixed(1)));
    }
    if (options.prove === false) {
      console.log(`\nproof skipped (--no-prove): nothing was attempted; prove the posture with ${proveCommand(loaded)}`);
      return EXIT_OK;
    }
    return proveAll(loaded, signal, onLeftovers, { verbose: options.verbose === true });
  });
}

/**
 * One line per embedded server, the first time a run reaches it: the project's one server for
 * orgs without placement, and for placed orgs every declared cluster's (a placed org's `up`
 * brings them all up), each named by its cluster.
 */
function serverLines(stack: LocalStack, result: UpResult, projectDir: string, announced: Set<string>): string[] {
  const servers = result.clusterServers?.map((c) => ({ label: `cluster ${c.cluster}: `, server: c.server, started: c.started, dataDir: c.paths.dataDir }))
    ?? [{ label: "", server: result.server, started: result.serverStarted, dataDir: stack.paths.dataDir }];
  return servers.filter((s) => !announced.has(s.dataDir)).map((s) => {
    announced.add(s.dataDir);
    return `${s.label}embedded Postgres ${s.server.host}:${s.server.port} (${s.started ? "started" : "reused"}), data in ${relative(projectDir, s.dataDir)}`;
  });
}

/** `tenantry prove --local` (cli/commands/prove.ts chooses between it and --server-url). */
export async function proveLocalCommand(stacks: string[], options: { json?: boolean; verbose?: boolean }, projectDir: string): Promise<number> {
  return withLocalSession(projectDir, async ({ signal }) => {
    const { loadLocalStack } = await import("../../local/up.js");
    const loaded = stacks.map((stack) => loadLocalStack(projectDir, stack));
    refuseWhileMoving(projectDir, "prove --local", loaded.map((s) => s.tenant.spec.slug));
    return proveAll(loaded, signal, await leftoverReporter(), options);
  });
}

/** What a clean-up could not drop: one warning line on stderr per object and command, and the run goes on. */
export async function leftoverReporter(): Promise<(leftovers: readonly Leftover[]) => void> {
  const { reportEachLeftoverOnce } = await import("../../local/proof-objects.js");
  return reportEachLeftoverOnce((line) => console.error(`warning: ${line}`));
}

async function proveAll(
  stacks: readonly LocalStack[], signal: AbortSignal, onLeftovers: (leftovers: readonly Leftover[]) => void, { json = false, verbose = false }: { json?: boolean; verbose?: boolean } = {},
): Promise<number> {
  const [{ proofJson, renderProof }, { outputWidth }] = await Promise.all([import("../render-proof.js"), import("../terminal.js")]);
  const proofs = await proveStacks(stacks, signal, onLeftovers, json ? undefined : (proof, stack) => {
    console.log(`\nproof for ${proof.stack}: each claim is attempted on the server as the role it is about\n`);
    console.log(renderProof(proof.results, { verbose, width: outputWidth(), seeAll: `every claim with its attempt: ${proveCommand([stack])} --verbose` }));
  });
  if (json) {
    const { versionInfo } = await import("../version.js");
    console.log(JSON.stringify(proofJson(proofs, { provedAt: new Date().toISOString(), tenantry: versionInfo() }), null, 2));
  }
  return proofs.some((p) => p.results.some((r) => r.status === "fail")) ? EXIT_VIOLATIONS : EXIT_OK;
}

/**
 * Proves each applied stack in turn, as `prove --local` does (`tenantry report` runs it too),
 * telling `onProved` as each one is done. The caller holds the local session.
 */
export async function proveStacks(
  stacks: readonly LocalStack[], signal: AbortSignal, onLeftovers: (leftovers: readonly Leftover[]) => void,
  onProved?: (proof: StackProof, stack: LocalStack) => void,
): Promise<StackProof[]> {
  const { proveLocal } = await import("../../local/prove-local.js");
  const proofs: StackProof[] = [];
  // A placed org's capacity claim runs the planner over every org stack of the project (docs/placement.md).
  const placedIn = stacks.find((s) => s.placement !== undefined)?.placement?.projectDir;
  const fleet = placedIn === undefined ? undefined : withProvenStacks((await import("../fleet-placement.js")).readFleet(placedIn), stacks);
  for (const stack of stacks) {
    const results = await proveLocal(stack, { signal, onLeftovers, ...(fleet === undefined ? {} : { fleet }) });
    const proof = { stack: stack.stackFile.stack, target: "embedded", results };
    proofs.push(proof);
    onProved?.(proof, stack);
  }
  return proofs;
}

/**
 * The project's fleet plus each placed stack being proven that is not among its stacks/ (a stack
 * file given by path, such as examples/placed/): the org being proven always counts on its cluster.
 */
function withProvenStacks(placement: FleetPlacement, stacks: readonly LocalStack[]): Pick<FleetPlacement, "clusters" | "orgs"> {
  const known = new Set(placement.orgs.map((o) => o.stack));
  const proven = stacks.flatMap((s) => (s.placement === undefined || known.has(s.stackFile.stack) ? []
    : [{ stack: s.stackFile.stack, maxConnections: s.tenant.spec.quotas.maxConnections, cluster: s.placement.cluster }]));
  return { clusters: placement.clusters, orgs: [...placement.orgs, ...proven] };
}

/** The command that proves these stacks again, as the user would type it in the project root (where npx runs this project's own bin, not a registry package). */
function proveCommand(stacks: readonly LocalStack[]): string {
  // A stack file outside stacks/ (examples/placed/) is found again only by its path.
  const argument = (s: LocalStack) => (s.stackFile.path === join(s.placement?.projectDir ?? dirname(dirname(s.stackFile.path)), "stacks", `Pulumi.${s.stackFile.stack}.yaml`)
    ? s.stackFile.stack : relative(s.placement?.projectDir ?? process.cwd(), s.stackFile.path));
  return `npx tenantry prove --local ${stacks.map(argument).join(" ")}`;
}

export async function down(options: { local?: boolean; reset?: boolean }, projectDir: string): Promise<number> {
  if (!requireLocal(options.local, "down")) return EXIT_INVALID;
  return withLocalSession(projectDir, async ({ paths, lock }) => {
    const [{ resetLocal }, { stopServer }, { localClusters, stopClusterServers }] = await Promise.all([
      import("../../local/reset.js"), import("../../local/server.js"), import("../../local/cluster-servers.js"),
    ]);
    if (options.reset === true) {
      const clusters = localClusters(projectDir);
      await resetLocal(paths, lock);
      console.log(`stopped the embedded Postgres and deleted ${relative(projectDir, paths.root)} (data, state, credentials)`);
      if (clusters.length > 0) console.log(`and the embedded Postgres of cluster${clusters.length === 1 ? "" : "s"} ${clusters.join(", ")}: stopped if running, data deleted`);
    } else {
      const stopped = await stopServer(paths);
      const clusters = await stopClusterServers(projectDir);
      console.log(stopped ? "stopped the embedded Postgres; data kept (add --reset to delete it)" : "the embedded Postgres was not running");
      if (clusters.length > 0) console.log(`stopped the embedded Postgres of cluster${clusters.length === 1 ? "" : "s"} ${clusters.join(", ")}; data kept`);
    }
    return EXIT_OK;
  });
}

/** `tenantry sql <stack>`: the script `up --local` amounts to on an empty server (passwords as psql variables). */
export async function sql(stack: string, projectDir: string): Promise<number> {
  return withLocalSession(projectDir, async () => {
    const [{ loadLocalStack, providerDatabase }, { runProgram }, { desiredResources }, { renderSqlScript }] = await Promise.all([
      import("../../local/up.js"), import("../../harness/run-program.js"), import("../../local/changes.js"), import("../../local/sql-script.js"),
    ]);
    const { stackFile, tenant, placement } = loadLocalStack(projectDir, stack);
    const run = await runProgram(stackFile, { platformClusters: placement?.clusters ?? [] });
    process.stdout.write(await renderSqlScript(desiredResources(run.resources), { adminUser: tenant.provider.adminRole }, providerDatabase(stackFile)));
    return EXIT_OK;
  });
}
