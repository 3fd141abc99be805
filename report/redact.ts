/*
 * The page's last guard against a secret in free text. Most of the model is built from fields no
 * secret reaches (names, references, verdicts), but a claim's attempt and result, and everything a
 * saved proof file says, are text the page shows as it is. So every string of the model is
 * searched for each secret value the command could know, and each occurrence replaced, before
 * anything is rendered: whatever field a value slipped into, it never reaches the page.
 */

export const REDACTED = "[redacted]";

/** Shorter values are not searched for: they would redact ordinary words, and no generated secret is that short. */
export const MIN_SECRET_LENGTH = 8;

/** `value` with each secret replaced, longest first, so a secret that holds another is replaced whole. */
export function redactText(value: string, secrets: readonly string[]): string {
  return [...new Set(secrets)]
    .filter((s) => s.length >= MIN_SECRET_LENGTH)
    .sort((a, b) => b.length - a.length)
    .reduce((text, secret) => text.split(secret).join(REDACTED), value);
}

/** A copy of a plain-data value (the report model) with every string, keys included, redacted. */
export function redactStrings<T>(value: T, secrets: readonly string[]): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") return redactText(v, secrets);
    if (Array.isArray(v)) return v.map(walk);
    if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [redactText(k, secrets), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
