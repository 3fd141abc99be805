/*
 * A reader of audit.events that rebuilds a table from its events, in id order, from both of the
 * ledger's formats (docs/audit-ledger.md, "Reading both formats"):
 * - format 1 (before issue 19): every event carries the diff; an UPDATE also both whole rows;
 * - format 2: an INSERT its new row, a DELETE its old row, an UPDATE its key and the diff (a table
 *   without a primary key: the old row and the diff).
 * In both, an UPDATE that changed a primary key is two events, the old row alone and the new row
 * alone. Within one statement every key appears in one event at most, so replaying event by event
 * in id order reproduces each statement's result.
 */

export interface StoredEvent {
  readonly operation: string;
  readonly primary_key: Record<string, unknown> | null;
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly diff: Record<string, { before: unknown; after: unknown }> | null;
}

type Row = Record<string, unknown>;

const same = (x: unknown, y: unknown) => JSON.stringify(x ?? null) === JSON.stringify(y ?? null);
const matches = (row: Row, fields: Row) => Object.entries(fields).every(([column, value]) => same(row[column], value));

function locate(rows: readonly Row[], event: StoredEvent): number {
  // Keyed by the primary key; a table without one by its whole old row.
  const identity = event.primary_key ?? event.before;
  const at = identity === null ? -1 : rows.findIndex((row) => matches(row, identity));
  if (at < 0) throw new Error(`no row for ${JSON.stringify(event)}`);
  return at;
}

export function replay(initial: readonly Row[], events: readonly StoredEvent[]): Row[] {
  const rows = initial.map((row) => ({ ...row }));
  for (const event of events) {
    const halves = (event.before === null ? 0 : 1) + (event.after === null ? 0 : 1);
    if (event.operation === "INSERT" || (event.operation === "UPDATE" && event.primary_key !== null && halves === 1 && event.after !== null)) {
      rows.push({ ...event.after });
    } else if (event.operation === "DELETE" || (event.operation === "UPDATE" && event.primary_key !== null && halves === 1)) {
      rows.splice(locate(rows, event), 1);
    } else if (event.operation === "UPDATE") {
      const row = rows[locate(rows, event)] as Row;
      for (const [column, change] of Object.entries(event.diff ?? {})) row[column] = change.after;
    }
  }
  return rows;
}

/** Rows in a canonical order with their keys sorted, to compare two tables as multisets. */
export function tableText(rows: readonly Row[]): string[] {
  return rows.map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).sort(([x], [y]) => (x < y ? -1 : 1))))).sort();
}
