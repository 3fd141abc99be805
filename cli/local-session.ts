import { relative } from "node:path";
import { acquireLock, type HeldLock } from "../local/lock";
import { localPaths, type LocalPaths } from "../local/paths";

/*
 * Every local command (up, prove, down, sql) runs as one session: it holds the local state's
 * lock for its whole run, so two commands never apply, prove or reset one embedded Postgres at
 * once. A second command is refused at once with the holder's pid (LockedError).
 */

export interface LocalSession {
  readonly paths: LocalPaths;
}

export async function withLocalSession(projectDir: string, work: (session: LocalSession) => Promise<number>): Promise<number> {
  const paths = localPaths(projectDir);
  const lock = acquireLock(paths.lockFile, `tenantry ${process.argv.slice(2).join(" ")}`);
  if (lock.tookOver !== undefined) console.error(takeoverNote(lock.tookOver, relative(projectDir, paths.root)));
  const releaseAtExit = () => lock.release();
  process.on("exit", releaseAtExit);
  try {
    return await work({ paths });
  } finally {
    process.removeListener("exit", releaseAtExit);
    lock.release();
  }
}

function takeoverNote(tookOver: NonNullable<HeldLock["tookOver"]>, root: string): string {
  const { holder, verdict } = tookOver;
  const why = verdict === "dead" ? "is no longer running" : "now belongs to another process";
  return `note: took over the lock on ${root}: pid ${holder.pid} (${holder.command}) ${why}`;
}
