import { mkdtempSync, rmSync } from "node:fs";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

/*
 * A temporary folder tenantry owns, for a library that makes its own under os.tmpdir() and does
 * not wait for it to be deleted. Miniflare names `<os.tmpdir()>/miniflare-<hex>` in its
 * constructor, and its dispose() deletes it in the background: a command that exits right after
 * leaves it behind. Built inside a folder of ours, it is deleted with that folder, which the
 * caller awaits; an exit that cannot wait (a forced one) still deletes it, synchronously.
 */

export interface OwnedTemporaryFolder {
  readonly path: string;
  /** Deletes the folder and all in it; resolves once it is gone. Safe to call more than once. */
  remove(): Promise<void>;
}

/**
 * Runs `construct` with os.tmpdir() answering a new folder of ours. os.tmpdir() reads TMPDIR on
 * each call, so TMPDIR points there while `construct` runs, synchronously, and is restored after:
 * nothing else runs in between.
 */
export function constructInOwnTemporaryFolder<T>(prefix: string, construct: () => T): { value: T; folder: OwnedTemporaryFolder } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  const removeNow = () => rmSync(path, { recursive: true, force: true });
  process.on("exit", removeNow);
  const folder: OwnedTemporaryFolder = {
    path,
    remove: async () => {
      // Retried: the library may still be deleting inside it.
      await rm(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
      process.removeListener("exit", removeNow);
    },
  };
  const previous = process.env["TMPDIR"];
  process.env["TMPDIR"] = path;
  try {
    return { value: construct(), folder };
  } catch (error) {
    removeNow();
    process.removeListener("exit", removeNow);
    throw error;
  } finally {
    if (previous === undefined) delete process.env["TMPDIR"];
    else process.env["TMPDIR"] = previous;
  }
}

/**
 * Runs `construct` and, when the caller handles SIGINT and SIGTERM itself, takes back the handlers
 * it installed: Miniflare's exit at once, before the CLI's clean-up could run (its exit hook,
 * which stops workerd and deletes its folder, stays).
 */
export function withoutNewSignalHandlers<T>(callerHandlesSignals: boolean, construct: () => T): T {
  const signals = ["SIGINT", "SIGTERM"] as const;
  const before = new Map(signals.map((s) => [s, new Set(process.listeners(s))]));
  const value = construct();
  if (callerHandlesSignals) {
    for (const s of signals) for (const listener of process.listeners(s)) if (!before.get(s)?.has(listener)) process.removeListener(s, listener);
  }
  return value;
}
