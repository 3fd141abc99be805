import { readdirSync, rmdirSync, rmSync } from "node:fs";
import { dirname, join } from "node:path";
import { stopClusterServers } from "./cluster-servers";
import { belongsToLock, type HeldLock } from "./lock";
import type { LocalPaths } from "./paths";
import { stopServer } from "./server";

/*
 * `down --local --reset`: the way to start over, and the one command that deletes the state the
 * lock guards, the lock's own directory included.
 */

/**
 * Deletes every local file: data, state and credentials. Only ever called on an explicit --reset.
 * The lock is the last thing to go: everything else is deleted while it is held, so a command
 * started meanwhile is refused as locked rather than finding half a state; then the lock is
 * released and the directory removed if nothing new has appeared in it. A command that started
 * at that moment keeps its files, and the directory with them.
 */
export async function resetLocal(paths: LocalPaths, lock?: Pick<HeldLock, "release">): Promise<void> {
  await stopServer(paths);
  // Every cluster's server too (local/cluster-servers.ts): its data directory is deleted below.
  await stopClusterServers(dirname(paths.root));
  for (const entry of entriesOf(paths.root)) {
    const path = join(paths.root, entry);
    if (!belongsToLock(paths.lockFile, path)) rmSync(path, { recursive: true, force: true });
  }
  lock?.release();
  try {
    rmdirSync(paths.root);
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    // Not empty (POSIX lets rmdir say EEXIST for that too): a command started as the lock went owns it now.
    if (code !== "ENOENT" && code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
  }
}

function entriesOf(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}
