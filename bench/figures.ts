/*
 * The figures `npm run bench` gathers (bench/all.ts) and the table it prints. Pure: reading a
 * bench's output and judging a ratio against its goal, tested without running anything.
 *
 * Benches another change is rewriting right now are read from their printed lines, or from one
 * JSON line when a bench prints it (`{"figures":[{"figure":...,"ratio":...}]}`): that form wins,
 * and a line that is neither leaves the figure "not measured" rather than guessed.
 */

export interface Goal {
  readonly op: "<=" | ">=";
  readonly value: number;
}

export interface Figure {
  /** What is compared, as the table names it. */
  readonly figure: string;
  /** Undefined when the bench did not run or its output did not say. */
  readonly ratio: number | undefined;
  readonly goal: Goal;
  /** Where it came from, or why it is missing. */
  readonly note: string;
}

export type Verdict = "met" | "missed" | "not measured";

export function verdict(figure: Pick<Figure, "ratio" | "goal">): Verdict {
  const { ratio, goal } = figure;
  if (ratio === undefined || !Number.isFinite(ratio)) return "not measured";
  return (goal.op === "<=" ? ratio <= goal.value : ratio >= goal.value) ? "met" : "missed";
}

/** The first `<number>x` on the first line matching `label`: the measured ratio, printed before its goal. */
export function ratioOnLine(output: string, label: RegExp): number | undefined {
  const line = output.split("\n").find((l) => label.test(l));
  const first = line?.match(/(\d+(?:\.\d+)?)x\b/)?.[1];
  return first === undefined ? undefined : Number(first);
}

/** A bench's own JSON line, when it prints one: `{"figures":[{"figure":"...","ratio":1.2}]}`. */
export function jsonFigures(output: string): Map<string, number> {
  const found = new Map<string, number>();
  for (const line of output.split("\n")) {
    if (!line.startsWith("{\"figures\"")) continue;
    try {
      const parsed = JSON.parse(line) as { figures?: { figure?: unknown; ratio?: unknown }[] };
      for (const f of parsed.figures ?? []) {
        if (typeof f.figure === "string" && typeof f.ratio === "number") found.set(f.figure, f.ratio);
      }
    } catch {
      // Not the JSON line after all: the printed lines are read instead.
    }
  }
  return found;
}

/** audited / plain for the 10,000-row UPDATE: the middle of the INSERT, UPDATE, DELETE columns. */
export function auditUpdateRatio(output: string): number | undefined {
  const line = output.split("\n").find((l) => /^\s*audited \/ plain\s+\d/.test(l));
  const cells = line?.match(/(\d+(?:\.\d+)?)x/g);
  const update = cells?.[1];
  return update === undefined ? undefined : Number(update.slice(0, -1));
}

/** bench/check.ts: the bare require in ms, and the `check --all` seconds and stack count. */
export function checkAllRatio(output: string): { stacks: number; ratio: number } | undefined {
  const bare = output.match(/bare require\('@pulumi\/pulumi'\): (\d+(?:\.\d+)?) ms/);
  const all = output.match(/check --all over (\d+) org stacks: (\d+(?:\.\d+)?) s/);
  if (bare?.[1] === undefined || all?.[1] === undefined || all[2] === undefined) return undefined;
  return { stacks: Number(all[1]), ratio: (Number(all[2]) * 1000) / Number(bare[1]) };
}

const formatGoal = (goal: Goal) => `${goal.op === "<=" ? "≤" : "≥"} ${goal.value}x`;

/** The one table: figure, measured ratio, goal, met or missed; then each figure's note. */
export function renderTable(figures: readonly Figure[]): string {
  const rows = figures.map((f) => [f.figure, f.ratio === undefined || !Number.isFinite(f.ratio) ? "—" : `${f.ratio.toFixed(2)}x`, formatGoal(f.goal), verdict(f)]);
  const header = ["figure", "measured", "goal", "verdict"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [
    line(header),
    `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`,
    ...rows.map(line),
    "",
    ...figures.map((f) => `- ${f.figure}: ${f.note}`),
  ].join("\n");
}
