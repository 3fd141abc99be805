import { dirname, relative } from "node:path";
import { clusterPaths, localClusters } from "../local/cluster-servers";
import { acquireLock, type HeldLock } from "../local/lock";
import { localPaths, type LocalPaths } from "../local/paths";
import { recordedProofObjects } from "../local/proof-objects";
import { abandonInitdb } from "../local/server";
import { readState } from "../local/state";
import { EXIT_INTERRUPTED } from "./exit-codes";
import { movedOrgs, readMoveFile, unfinished } from "../fleet/move-record";

/*
 * Every local command (up, prove, down, sql) runs as one session: it holds the local state's
 * lock for its whole run, and it owns SIGINT and SIGTERM. The first signal aborts the work, which
 * stops at its next safe point and cleans up on the way out (connections closed, proof objects
 * dropped, initdb's files deleted). A second signal, or a clean-up still running after
 * FORCE_AFTER_MS, exits at once after the clean-up that cannot wait (the lock, initdb). Either
 * way the command exits 130 with one line on stderr that says what is left.
 */

/** A second Ctrl-C is the way to stop sooner; this bounds a clean-up stuck on the server. */
const FORCE_AFTER_MS = 10_000;

export class InterruptedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InterruptedError";
  }
}

export interface LocalSession {
  readonly paths: LocalPaths;
  /** Aborted by the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** Held for the whole session; only a reset, which deletes the state it guards, lets it go sooner. */
  readonly lock: Pick<HeldLock, "release">;
}

export async function withLocalSession(projectDir: string, work: (session: LocalSession) => Promise<number>): Promise<number> {
  const paths = localPaths(projectDir);
  const lock = acquireLock(paths.lockFile, `tenantry ${process.argv.slice(2).join(" ")}`);
  if (lock.tookOver !== undefined) console.error(takeoverNote(lock.tookOver, relative(projectDir, paths.root)));
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let watchdog: NodeJS.Timeout | undefined;

  const forceExit = (signal: NodeJS.Signals) => {
    abandonInitdb();
    lock.release();
    process.stderr.write(`${interruptedLine(signal, paths, "forced")}\n`);
    process.exit(EXIT_INTERRUPTED);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined) return forceExit(received);
    received = signal;
    watchdog = setTimeout(() => forceExit(signal), FORCE_AFTER_MS);
    controller.abort(new InterruptedError(`interrupted by ${signal}`));
  };
  const releaseAtExit = () => lock.release();
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  process.on("exit", releaseAtExit);
  try {
    const code = await work({ paths, signal: controller.signal, lock });
    // Finished before reaching a safe point: the user still asked to stop.
    controller.signal.throwIfAborted();
    return code;
  } catch (error) {
    // Whatever the abort made fail (initdb killed, a cancelled statement) is the interrupt.
    if (received !== undefined) throw new InterruptedError(interruptedLine(received, paths, "clean"));
    throw error;
  } finally {
    clearTimeout(watchdog);
    process.removeListener("SIGINT", onSignal);
    process.removeListener("SIGTERM", onSignal);
    process.removeListener("exit", releaseAtExit);
    lock.release();
  }
}

function takeoverNote(tookOver: NonNullable<HeldLock["tookOver"]>, root: string): string {
  const { holder, verdict } = tookOver;
  const why = verdict === "dead" ? "is no longer running" : "now belongs to another process";
  return `note: took over the lock on ${root}: pid ${holder.pid} (${holder.command}) ${why}`;
}

/** One line, true of what the interrupted command leaves: read from the state and the proof's journal. */
export function interruptedLine(signal: NodeJS.Signals, paths: LocalPaths, how: "clean" | "forced"): string {
  let pending = false;
  let leftovers = 0;
  let moves: string[] = [];
  try {
    // The default server's files and every cluster server's (local/cluster-servers.ts).
    const servers = [paths, ...localClusters(dirname(paths.root)).map((cluster) => clusterPaths(dirname(paths.root), cluster))];
    pending = servers.some((p) => Object.values(readState(p).stacks).some((stack) => (stack.pending ?? []).length > 0));
    leftovers = servers.reduce((sum, p) => sum + recordedProofObjects(p.proofFile).length, 0);
    moves = unfinishedMoves(dirname(paths.root));
  } catch {
    // Unreadable now: say nothing about them rather than something untrue.
  }
  return [
    `interrupted by ${signal}${how === "forced" ? ", stopped at once" : ", stopped at a safe point"}`,
    pending ? "the state marks a change pending: the next run resumes from here" : "no change is half-applied",
    ...(leftovers > 0 ? [`${leftovers} proof object(s) may remain: the next prove or up drops them first`] : []),
    ...moves.map((stack) => `the move of ${stack} is unfinished: \`tenantry move ${stack}\` resumes it, --rollback undoes it`),
    "lock released",
  ].join("; ");
}

/** The stacks whose move a record shows neither switched nor rolled back (fleet/move-record.ts). */
function unfinishedMoves(projectDir: string): string[] {
  return movedOrgs(projectDir).flatMap((org) => {
    const record = readMoveFile(projectDir, org)?.record;
    return record !== undefined && unfinished(record) ? [record.stack] : [];
  });
}
