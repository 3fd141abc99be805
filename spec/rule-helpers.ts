import type { RuleProblem } from "./spec-rules";

/* Helpers the cross-field rule files share. */

/** A problem on every item whose key an earlier item already had: the first stays, each repeat is named. */
export function duplicates<T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  describe: (item: T) => string,
  field: string,
  subfield?: string,
): RuleProblem[] {
  const seen = new Set<string>();
  return items.flatMap((item, i) => {
    const key = keyOf(item);
    if (!seen.has(key)) {
      seen.add(key);
      return [];
    }
    const path = subfield === undefined ? [field, i] : [field, i, subfield];
    return [{ path, message: `repeats ${describe(item)}; each must be unique` }];
  });
}
