import pLimit from "p-limit";

/*
 * Running one task per stack with a bound on how many run at once, in a stable order, where a
 * failure is a result like any other: it never stops, hides or reorders the others.
 */

export interface FleetResult {
  readonly stack: string;
  readonly ok: boolean;
  /** One line: the change summary, or the first line of the failure. */
  readonly detail: string;
  readonly seconds: number;
}

export async function runFleet(
  stacks: readonly string[],
  concurrency: number,
  task: (stack: string) => Promise<string>,
  onDone: (result: FleetResult) => void = () => undefined,
): Promise<FleetResult[]> {
  const limit = pLimit(concurrency);
  // Started in the order given (p-limit runs queued work first in, first out).
  return Promise.all([...stacks].map((stack) => limit(async (): Promise<FleetResult> => {
    const started = Date.now();
    let result: FleetResult;
    try {
      result = { stack, ok: true, detail: await task(stack), seconds: (Date.now() - started) / 1000 };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      result = { stack, ok: false, detail: firstMeaningfulLine(message), seconds: (Date.now() - started) / 1000 };
    }
    onDone(result);
    return result;
  })));
}

/** The Automation API's errors carry the whole command output; the summary needs one line. */
function firstMeaningfulLine(message: string): string {
  const lines = message.split("\n").map((l) => l.trim()).filter(Boolean);
  return lines.find((l) => /^error:/i.test(l)) ?? lines.find((l) => /error|failed|refused|violation/i.test(l)) ?? lines[0] ?? "failed";
}

export function renderFleetTable(command: string, results: readonly FleetResult[]): string {
  const rows = [["stack", "result", "detail", "time"], ...results.map((r) => [r.stack, r.ok ? "ok" : "FAILED", r.detail, `${r.seconds.toFixed(1)} s`])];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? "").length)));
  const line = (row: string[]) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join("  ");
  const failed = results.filter((r) => !r.ok).length;
  return [...rows.map(line), "", `${command}: ${results.length} stacks, ${results.length - failed} ok, ${failed} failed`].join("\n");
}
