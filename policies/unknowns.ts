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
