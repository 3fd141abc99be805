import { SingleBar } from "cli-progress";

/*
 * A progress bar for long runs over many stacks (check --all, fleet), drawn only on a terminal.
 * The bar redraws its own line without ending it, so anything printed while it is up would be
 * glued to it: `finish` ends that line, and callers finish before they print anything else.
 */

export interface ProgressBar {
  /** One more stack done, with the bar's counters (`{ failed: 2 }`). */
  advance(payload: Readonly<Record<string, unknown>>): void;
  /** Draws the final state and ends the bar's line; safe to call again, and when nothing was drawn. */
  finish(): void;
}

export function progressBar(
  format: string, total: number, payload: Readonly<Record<string, unknown>>, stream: NodeJS.WritableStream = process.stderr,
): ProgressBar {
  const bar = new SingleBar({ format, stream, hideCursor: true });
  // Draws nothing and keeps no timer when the stream is not a terminal (cli-progress's noTTYOutput is off).
  bar.start(total, 0, payload);
  return {
    advance: (counters) => bar.increment(1, counters),
    finish: () => bar.stop(),
  };
}
