import { REDACTED_COLUMNS } from "../../components/audit-sql";

/*
 * What the audit ledger must record for a table and a sequence of row changes, computed in
 * TypeScript from the rows alone: the generated tests compare the real ledger with it. A value
 * is its JSON form as to_jsonb() writes it (a text column's value is the string itself; an
 * integer, a number), and two values differ when their JSON forms do.
 */

export type Row = Readonly<Record<string, unknown>>;
const differ = (x: unknown, y: unknown) => JSON.stringify(x ?? null) !== JSON.stringify(y ?? null);

export interface TableShape {
  /** Primary key columns in key order; empty for a table without a primary key. */
  readonly keys: readonly string[];
  /** Every column, keys first. */
  readonly columns: readonly string[];
}

export interface LedgerEvent {
  readonly operation: "INSERT" | "UPDATE" | "DELETE";
  readonly primary_key: Record<string, unknown> | null;
  readonly before: Record<string, unknown> | null;
  readonly after: Record<string, unknown> | null;
  readonly diff: Record<string, { before: unknown; after: unknown }> | null;
}

const REDACTED = new RegExp(REDACTED_COLUMNS, "i");
const isSecret = (column: string) => REDACTED.test(column);
const shown = (column: string, value: unknown) => (isSecret(column) ? "[redacted]" : value ?? null);

/** A row as the ledger shows it: secret columns "[redacted]". */
export function recorded(shape: TableShape, row: Row): Record<string, unknown> {
  return Object.fromEntries(shape.columns.map((c) => [c, shown(c, row[c])]));
}

function keyOf(shape: TableShape, row: Row): Record<string, unknown> | null {
  if (shape.keys.length === 0) return null;
  return Object.fromEntries(shape.keys.map((c) => [c, shown(c, row[c])]));
}

/**
 * The ledger's format 2 (audit-writers-sql.ts): an INSERT records its new row, a DELETE its old
 * row, an UPDATE its key and the changed columns only (secret ones as "[redacted]" on both
 * sides); without a primary key an UPDATE records the old row as the row's identity.
 */
function event(shape: TableShape, operation: LedgerEvent["operation"], before: Row | undefined, after: Row | undefined): LedgerEvent | undefined {
  if (before === undefined || after === undefined) {
    const row = (before ?? after) as Row;
    return { operation, primary_key: keyOf(shape, row), before: before === undefined ? null : recorded(shape, before), after: after === undefined ? null : recorded(shape, after), diff: null };
  }
  const changed = shape.columns.filter((c) => differ(before[c], after[c]));
  if (changed.length === 0) return undefined;
  return {
    operation,
    primary_key: keyOf(shape, after),
    before: shape.keys.length === 0 ? recorded(shape, before) : null,
    after: null,
    diff: Object.fromEntries(changed.map((c) => [c, { before: shown(c, before[c]), after: shown(c, after[c]) }])),
  };
}

const sameKey = (shape: TableShape, x: Row, y: Row) => shape.keys.every((k) => !differ(x[k], y[k]));

/** The events of one statement that turns `before` rows into `after` rows (paired by key, or by position without one). */
export function expectedEvents(shape: TableShape, operation: LedgerEvent["operation"], before: readonly Row[], after: readonly Row[]): LedgerEvent[] {
  const events: (LedgerEvent | undefined)[] = [];
  if (operation === "INSERT") events.push(...after.map((row) => event(shape, operation, undefined, row)));
  else if (operation === "DELETE") events.push(...before.map((row) => event(shape, operation, row, undefined)));
  else if (shape.keys.length === 0) events.push(...before.map((row, i) => event(shape, operation, row, after[i])));
  else {
    // Paired by key: a row whose key changed leaves its old half and its new half.
    for (const row of before) events.push(event(shape, operation, row, after.find((next) => sameKey(shape, row, next))));
    for (const row of after.filter((next) => !before.some((old) => sameKey(shape, old, next)))) events.push(event(shape, operation, undefined, row));
  }
  return events.filter((e): e is LedgerEvent => e !== undefined);
}

/** A canonical text for comparing events regardless of order (jsonb reorders keys; statements pair rows in any order). */
export function canonical(events: readonly unknown[]): string[] {
  const sortKeys = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value !== null && typeof value === "object") {
      return Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([k, v]) => [k, sortKeys(v)]));
    }
    return value;
  };
  return events.map((e) => JSON.stringify(sortKeys(e))).sort();
}
