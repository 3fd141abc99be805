import damerauLevenshtein from "damerau-levenshtein";

/*
 * "Did you mean": the known name closest to one that was not found, when it is close enough to
 * be the one meant. Close means at most a third of the known name's length in edits (at least
 * one), ignoring case: a slip of a key or two, never a different word that happens to be short.
 * Only ever a suggestion: nothing is looked up by it.
 *
 * An edit is an insertion, a deletion, a substitution or a swap of two adjacent letters (the
 * optimal string alignment distance): `teir` is one slip from `tier`, where plain Levenshtein
 * counts two and, for a short name, too many to suggest it.
 */

/** Edits between two names, ignoring case; a swap of two adjacent letters is one edit. */
export function editDistance(a: string, b: string): number {
  return damerauLevenshtein(a.toLowerCase(), b.toLowerCase()).steps;
}

/** The candidate `word` most likely meant, or undefined when none is close; ties go to the first candidate. */
export function closestName(word: string, candidates: readonly string[]): string | undefined {
  let best: { name: string; edits: number } | undefined;
  for (const name of candidates) {
    const edits = editDistance(word, name);
    if (edits <= closeEnough(name) && (best === undefined || edits < best.edits)) best = { name, edits };
  }
  return best?.name;
}

/** The most edits a name may be away and still be suggested. */
export function closeEnough(name: string): number {
  return Math.max(1, Math.floor(name.length / 3));
}

/** `; did you mean x?` to end a message with, or nothing when no candidate is close. */
export function didYouMean(word: string, candidates: readonly string[]): string {
  const name = closestName(word, candidates);
  return name === undefined ? "" : `; did you mean ${name}?`;
}

/**
 * {@link didYouMean} for a `namespace:name` config key: compared by name with the known keys of its
 * own namespace only, and answered with the whole key (`postgresql:sslmod` -> postgresql:sslmode).
 */
export function didYouMeanKey(key: string, knownKeys: readonly string[]): string {
  const [namespace, name = ""] = key.split(/:(.*)/s);
  const sameNamespace = knownKeys.flatMap((known) => {
    const [ns, knownName] = known.split(/:(.*)/s);
    return ns === namespace && knownName !== undefined ? [knownName] : [];
  });
  const meant = closestName(name, sameNamespace);
  return meant === undefined ? "" : `; did you mean ${namespace}:${meant}?`;
}
