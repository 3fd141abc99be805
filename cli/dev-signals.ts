import { EXIT_INTERRUPTED } from "./exit-codes";

/*
 * SIGINT and SIGTERM for the whole of `tenantry dev`, installed before its apply and removed
 * only when it returns. The apply's local session (cli/local-session.ts) owns the signals while
 * it runs and removes its handlers when it ends; without this one in place from before that
 * moment, a Ctrl-C between the session's end and the edge's start met Node's default handler,
 * and the process died by the signal instead of exiting 130.
 *
 * While the session runs, this handler only notes the signal: the session aborts the apply and
 * decides about a second one (its forced exit first releases the lock and abandons initdb).
 * Once the session has ended, the first signal stops the edge and a second exits at once.
 */

export interface DevSignals {
  /** Aborted by the first SIGINT or SIGTERM, whenever it comes. */
  readonly stop: AbortSignal;
  /** The first signal received, if any. */
  readonly received: () => NodeJS.Signals | undefined;
  /** The apply's session has let the signals go: from now on a second signal exits at once. */
  readonly sessionEnded: () => void;
  /** Removes the handlers; call once the command is done. */
  readonly dispose: () => void;
}

export function devSignals(exit: (code: number) => void = (code) => process.exit(code)): DevSignals {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let sessionOver = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined && sessionOver) {
      process.stderr.write(`${signal} again: stopped at once\n`);
      // miniflare's exit hook still stops workerd.
      exit(EXIT_INTERRUPTED);
      return;
    }
    received ??= signal;
    controller.abort();
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    stop: controller.signal,
    received: () => received,
    sessionEnded: () => {
      sessionOver = true;
    },
    dispose: () => {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    },
  };
}
