import { EXIT_INTERRUPTED } from "./exit-codes";

/*
 * SIGINT and SIGTERM for the whole of `tenantry dev`, from its start to its return. The apply's
 * local session (cli/local-session.ts) owns the signals while it runs and removes its handlers
 * when it ends; without this one in place around it, a Ctrl-C between the session's end and the
 * edge's start met Node's default handler, and the process died by the signal instead of
 * exiting 130.
 *
 * While the session runs, this handler only notes the signal: the session aborts the apply and
 * decides about a second one (its forced exit first releases the lock and abandons initdb).
 * Outside it, the first signal stops the command at its next step (no apply, no edge, or the
 * edge stops) and a second exits at once.
 */

export interface DevSignals {
  /** Aborted by the first SIGINT or SIGTERM, whenever it comes. */
  readonly stop: AbortSignal;
  /** The first signal received, if any. */
  readonly received: () => NodeJS.Signals | undefined;
  /** Runs the apply's local session, which owns the signals meanwhile. */
  readonly duringSession: <T>(session: () => Promise<T>) => Promise<T>;
  /** Removes the handlers; call once the command is done. */
  readonly dispose: () => void;
}

export function devSignals(exit: (code: number) => void = (code) => process.exit(code)): DevSignals {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  let inSession = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received !== undefined && !inSession) {
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
    duringSession: async (session) => {
      inSession = true;
      try {
        return await session();
      } finally {
        inSession = false;
      }
    },
    dispose: () => {
      process.removeListener("SIGINT", onSignal);
      process.removeListener("SIGTERM", onSignal);
    },
  };
}
