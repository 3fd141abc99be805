import { Miniflare, type MiniflareOptions } from "miniflare";
import { constructInOwnTemporaryFolder, withoutNewSignalHandlers } from "./owned-temporary-folder";

/*
 * One way to run workerd locally (the edge, the operator gateway, the API key store): built in a
 * temporary folder of ours, so dispose() can wait until workerd's folder is deleted, ready before
 * it is handed out, and disposed of with that folder if it never became usable.
 */

export interface OwnedMiniflare<Prepared> {
  readonly mf: Miniflare;
  /** What `prepare` answered (a migrated store). */
  readonly prepared: Prepared;
  /** Where `dispatchFetch` and the entry worker listen. */
  readonly url: URL;
  /** Stops workerd and deletes its folder; resolves once both are done. */
  readonly dispose: () => Promise<void>;
}

export async function startOwnedMiniflare<Prepared = undefined>(
  prefix: string,
  options: MiniflareOptions,
  settings: {
    /** The caller handles SIGINT and SIGTERM itself: Miniflare's handlers, which exit at once, are taken back. */
    readonly callerHandlesSignals?: boolean;
    /** Runs once workerd is ready (migrations); a failure here disposes of it too. */
    readonly prepare?: (mf: Miniflare) => Promise<Prepared>;
  } = {},
): Promise<OwnedMiniflare<Prepared>> {
  const { value: mf, folder } = withoutNewSignalHandlers(settings.callerHandlesSignals === true, () => constructInOwnTemporaryFolder(prefix, () => new Miniflare(options)));
  const dispose = async () => {
    try {
      await mf.dispose();
    } finally {
      await folder.remove();
    }
  };
  try {
    const url = await mf.ready;
    const prepared = (await settings.prepare?.(mf)) as Prepared;
    return { mf, url, prepared, dispose };
  } catch (error) {
    await dispose();
    throw error;
  }
}
