import type { ClaimResult } from "../local/proof/claim";
import { claimCounts } from "../local/proof/prove";
import { cellWidth, hangingIndent, padCells, wrapLines } from "./terminal";

/*
 * What `up --local` and `prove` print. By default a summary: every broken claim in full, with
 * what was attempted and what the server answered, then the counts and how to see every claim.
 * With --verbose the whole table, fitted to the terminal: cells wrap inside their column, so
 * no line is wider than the width given (unbounded: one row a line, as a pipe wants it).
 *
 * `tenantry prove --json`, for the local proof and the after-deploy one alike:
 * `{ "provedAt", "tenantry": { "version", "commit" }, "stacks": [{ "stack", "target", "claims":
 * [{ "claim", "attempt", "result", "status", "properties", "at" }], "summary": { "hold", "broken",
 * "skipped" } }] }`, the table's rows and its last line as data. `properties` (DESIGN.md's numbers
 * the claim demonstrates) and `at` are there when the proof set them (prove --local does).
 * `target` says what was proven: `embedded` (prove --local) or the server's URL, never a password.
 */

export interface StackProof {
  readonly stack: string;
  readonly target: string;
  readonly results: readonly ClaimResult[];
}

/** When the proof was made and by which tenantry: what a saved proof needs to be read back (`tenantry report --proof`). */
export interface ProofProvenance {
  readonly provedAt: string;
  readonly tenantry: { readonly version: string; readonly commit: string };
}

export function proofJson(proofs: readonly StackProof[], provenance?: ProofProvenance) {
  return {
    ...(provenance === undefined ? {} : { provedAt: provenance.provedAt, tenantry: provenance.tenantry }),
    stacks: proofs.map(({ stack, target, results }) => ({
      stack,
      target,
      claims: results.map(({ claim, attempt, result, status, properties, at }) => ({
        claim, attempt, result, status, ...(properties === undefined ? {} : { properties }), ...(at === undefined ? {} : { at }),
      })),
      summary: claimCounts(results),
    })),
  };
}

const MARK = { pass: "✓", fail: "✗ FAIL", skip: "- skip" } as const;

/** The counts line the summary and the table both end with. */
export function countsLine(results: readonly ClaimResult[]): string {
  const { hold, broken, skipped } = claimCounts(results);
  return `claims: ${hold} hold, ${broken} broken, ${skipped} skipped`;
}

/** Each named section (property 9's, ...) with its own counts, so the summary shows that part was proven. */
function sectionLines(results: readonly ClaimResult[], width: number | undefined): string[] {
  const sections = [...new Set(results.flatMap((r) => (r.section === undefined ? [] : [r.section])))];
  return sections.flatMap((section) => [...wrapLines(section, width), ...hangingIndent(countsLine(results.filter((r) => r.section === section)), width, "  ", "  ")]);
}

/**
 * The default output: each broken claim with its attempt and result (never cut short: they are
 * what the user has to act on), the counts, and `seeAll`, the line that says how to see every claim.
 */
export function renderProofSummary(results: readonly ClaimResult[], seeAll: string, width: number | undefined): string {
  const broken = results.filter((r) => r.status === "fail").flatMap((r) => [
    ...hangingIndent(r.claim, width, "✗ FAIL  ", "        "),
    ...hangingIndent(r.attempt, width, "    attempt: ", "             "),
    ...hangingIndent(r.result, width, "    result:  ", "             "),
    "",
  ]);
  return [...broken, ...sectionLines(results, width), ...wrapLines(countsLine(results), width), ...wrapLines(seeAll, width)].join("\n");
}

/** The summary, or with `verbose` the whole table. */
export function renderProof(results: readonly ClaimResult[], options: { readonly verbose: boolean; readonly seeAll: string; readonly width: number | undefined }): string {
  return options.verbose ? renderProofTable(results, options.width) : renderProofSummary(results, options.seeAll, options.width);
}

const SEPARATOR = " | ";

/** Every claim: `claim | attempt | result`, each row on as many lines as its cells need to fit `width`. */
export function renderProofTable(results: readonly ClaimResult[], width: number | undefined): string {
  const rows = [["claim", "attempt", "result"], ...results.map((r) => [r.claim, r.attempt, `${r.result}  ${MARK[r.status]}`])];
  const cellWidths = [0, 1, 2].map((i) => rows.map((row) => Math.max(...(row[i] ?? "").split("\n").map(cellWidth))));
  const naturals = cellWidths.map((column) => Math.max(...column));
  const widths = width === undefined ? naturals : fitColumns(naturals, width - SEPARATOR.length * 2, cellWidths.map(typicalWidth));
  const rendered = rows.map((row) => renderRow(row, widths, width));
  const [header = [], ...body] = rendered;
  // Rows that wrap need a gap between them, or a continuation line reads as the next claim.
  const gap = body.some((lines) => lines.length > 1) ? [""] : [];
  const rule = widths.map((w) => "-".repeat(w)).join("-|-");
  // A named section starts under its own heading (and a blank line), so its rows read as one part of the posture.
  const heading = (i: number) => {
    const section = results[i]?.section;
    return section === undefined || section === results[i - 1]?.section ? [] : ["", ...wrapLines(`== ${section}`, width)];
  };
  const lines = body.flatMap((row, i) => {
    const head = heading(i);
    if (i === 0) return [...head.slice(1), ...row];
    return head.length > 0 ? [...head, ...row] : [...gap, ...row];
  });
  return [...header, rule, ...lines, "", ...wrapLines(countsLine(results), width)].join("\n");
}

function renderRow(row: readonly string[], widths: readonly number[], width: number | undefined): string[] {
  const cells = row.map((cell, i) => wrapLines(cell, width === undefined ? undefined : widths[i]));
  const height = Math.max(...cells.map((lines) => lines.length));
  return Array.from({ length: height }, (_, line) =>
    cells.map((lines, i) => (i < cells.length - 1 ? padCells(lines[line] ?? "", widths[i] ?? 0) : lines[line] ?? "")).join(SEPARATOR).trimEnd());
}

/**
 * Column widths that add up to at most `available` (each at least one cell). Each column first
 * gets up to its typical width (most of its cells fit in it), narrow ones whole and the rest sharing
 * equally; what is left goes to the columns whose widest cells still wrap. So a column of short
 * results with one long reason does not take a third of the screen from the attempts.
 */
export function fitColumns(naturals: readonly number[], available: number, typicals: readonly number[] = naturals): number[] {
  if (naturals.reduce((a, b) => a + b, 0) <= available) return [...naturals];
  const first = waterFill(naturals.map((n, i) => Math.min(n, typicals[i] ?? n)), available);
  const more = waterFill(naturals.map((n, i) => n - (first[i] ?? 0)), available - first.reduce((a, b) => a + b, 0));
  return first.map((w, i) => Math.max(1, w + (more[i] ?? 0)));
}

/** Up to `wanted[i]` each, at most `available` in all: the smallest wants are met first, the rest share equally. */
function waterFill(wanted: readonly number[], available: number): number[] {
  const widths = wanted.map(() => 0);
  let left = Math.max(0, available);
  const order = wanted.map((w, i) => [w, i] as const).sort((a, b) => a[0] - b[0]);
  order.forEach(([want, i], k) => {
    widths[i] = Math.min(want, Math.floor(left / (order.length - k)));
    left -= widths[i] ?? 0;
  });
  return widths;
}

/** The width three quarters of a column's cells fit in (org-acme's results: 26 of at most 126). */
function typicalWidth(widths: readonly number[]): number {
  const sorted = [...widths].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.75) - 1)] ?? 0;
}
