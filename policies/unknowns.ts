import { UnknownValueError } from "@pulumi/policy";

/*
 * During a preview some inputs are not known yet, and the pack's proxy throws when a rule reads
 * one. A rule that reads many values (every binding of a Worker) reads each with this, so one
 * unknown value skips that value, not the whole rule.
 */

/** A marker for a value not known during preview. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

export function readKnown(record: unknown, key: string | number): unknown {
  if (record === UNKNOWN) return UNKNOWN;
  if (typeof record !== "object" || record === null) return undefined;
  try {
    return (record as Record<string | number, unknown>)[key];
  } catch (error) {
    if (error instanceof UnknownValueError) return UNKNOWN;
    throw error;
  }
}

/** A value copied out of the pack's proxy, arrays and objects member by member; throws UnknownValueError on an unknown. */
function copyKnown(value: unknown): unknown {
  if (Array.isArray(value)) {
    const copy: unknown[] = [];
    for (let i = 0; i < value.length; i++) copy.push(copyKnown(value[i]));
    return copy;
  }
  if (typeof value !== "object" || value === null) return value;
  const record = value as Record<string, unknown>;
  return Object.fromEntries(Object.keys(record).map((key) => [key, copyKnown(record[key])]));
}

/**
 * For a stack rule that judges many resources: calls `judge` with the `keys` of each resource
 * whose values are all known. One holding a value unknown during preview is left out, and
 * the first such value is thrown once the others are judged, so the analyzer reports the rule
 * as not run on it (an advisory) next to the violations it did find. Nothing is judged on a
 * guess: the same rule runs again on the known values.
 */
export function judgeEachKnown<R extends { readonly props: Record<string, unknown> }>(
  resources: readonly R[], keys: readonly string[], judge: (resource: R, values: Readonly<Record<string, unknown>>) => void,
): void {
  let firstUnknown: UnknownValueError | undefined;
  for (const resource of resources) {
    let values: Record<string, unknown>;
    try {
      values = Object.fromEntries(keys.map((key) => [key, copyKnown(resource.props[key])]));
    } catch (error) {
      if (!(error instanceof UnknownValueError)) throw error;
      firstUnknown ??= error;
      continue;
    }
    judge(resource, values);
  }
  if (firstUnknown !== undefined) throw firstUnknown;
}
