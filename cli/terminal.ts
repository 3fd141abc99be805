import stringWidth from "string-width";
import wrapAnsi from "wrap-ansi";

/*
 * How wide the command's output may be. A terminal says so itself; a pipe or a CI log does
 * not, and there each row stays on one line (whole rows for grep, and the log viewer wraps), unless
 * COLUMNS says otherwise. Widths are measured in terminal cells (string-width), not characters,
 * so a wide character never pushes a line past the edge.
 */

/** Narrower than this, a table's columns would wrap a character a line: it is laid out at this width. */
export const MIN_WIDTH = 40;

export interface OutputStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** The width to fit output to, or undefined for unbounded (not a terminal, no COLUMNS). */
export function outputWidth(stream: OutputStream = process.stdout, env: NodeJS.ProcessEnv = process.env): number | undefined {
  const fromStream = stream.isTTY === true && typeof stream.columns === "number" && stream.columns > 0 ? stream.columns : undefined;
  const fromEnv = /^[1-9]\d{0,4}$/.test(env["COLUMNS"] ?? "") ? Number(env["COLUMNS"]) : undefined;
  const width = fromStream ?? fromEnv;
  return width === undefined ? undefined : Math.max(width, MIN_WIDTH);
}

/** Terminal cells `text` takes. */
export function cellWidth(text: string): number {
  return stringWidth(text);
}

/** `text` as lines of at most `width` cells (words kept whole where they fit); one line per newline when unbounded. */
export function wrapLines(text: string, width: number | undefined): string[] {
  if (width === undefined) return text.split("\n");
  return wrapAnsi(text, Math.max(1, width), { hard: true, trim: true }).split("\n");
}

/** `text` wrapped to `width`, its first line after `first` and the others after `rest` (a hanging indent). */
export function hangingIndent(text: string, width: number | undefined, first: string, rest: string): string[] {
  const room = width === undefined ? undefined : Math.max(1, width - Math.max(cellWidth(first), cellWidth(rest)));
  return wrapLines(text, room).map((line, i) => `${i === 0 ? first : rest}${line}`);
}

/** `text` padded with spaces to `width` cells. */
export function padCells(text: string, width: number): string {
  return text + " ".repeat(Math.max(0, width - cellWidth(text)));
}
