import { REDACTED_COLUMNS } from "../../components/audit-sql";

/*
 * What the audit ledger must record for a table and a sequence of row changes, computed in
 * TypeScript from the rows alone: the generated test compares the real ledger with it. All
 * columns are text, so a value's JSON form is the string itself (or null).
 */

export type Row = Readonly<Record<string, string | null>>;

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
  readonly diff: Record<string, { before: unknown; after: unknown }>;
}

const REDACTED = new RegExp(REDACTED_COLUMNS, "i");
const isSecret = (column: string) => REDACTED.test(column);
const shown = (column: string, value: string | null | undefined) => (isSecret(column) ? "[redacted]" : value ?? null);

function recorded(shape: TableShape, row: Row | undefined): Record<string, unknown> | null {
  if (row === undefined) return null;
  return Object.fromEntries(shape.columns.map((c) => [c, shown(c, row[c])]));
}

function keyOf(shape: TableShape, row: Row): Record<string, unknown> | null {
  if (shape.keys.length === 0) return null;
  return Object.fromEntries(shape.keys.map((c) => [c, shown(c, row[c])]));
}

/**
 * Which columns an event's diff names. With a primary key (the statement trigger) a row that
 * appears or disappears lists every column whose recorded value is not null, so a secret column
 * always appears (as "[redacted]"); without one (the row trigger) the raw values decide.
 * An update lists the columns whose values differ.
 */
function changedColumns(shape: TableShape, before: Row | undefined, after: Row | undefined): string[] {
  if (before !== undefined && after !== undefined) return shape.columns.filter((c) => (before[c] ?? null) !== (after[c] ?? null));
  const row = (before ?? after) as Row;
  return shape.columns.filter((c) => (shape.keys.length > 0 ? shown(c, row[c]) : row[c] ?? null) !== null);
}

function event(shape: TableShape, operation: LedgerEvent["operation"], before: Row | undefined, after: Row | undefined): LedgerEvent | undefined {
  const b = recorded(shape, before);
  const a = recorded(shape, after);
  const changed = changedColumns(shape, before, after);
  if (changed.length === 0) return undefined;
  return {
    operation,
    primary_key: keyOf(shape, (after ?? before) as Row),
    before: b,
    after: a,
    diff: Object.fromEntries(changed.map((c) => [c, { before: b?.[c] ?? null, after: a?.[c] ?? null }])),
  };
}

const sameKey = (shape: TableShape, x: Row, y: Row) => shape.keys.every((k) => x[k] === y[k]);

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
