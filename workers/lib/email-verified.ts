/*
 * Whether a token's `email_verified` claim lets its address be trusted, by allowlist: the router
 * and the operator gateway both ask this one function. Identity providers disagree on the
 * claim's type (some send the string "true"), so refusing only the boolean `false` trusted
 * "false", 0, null and {}; here only the forms that say "verified" pass.
 */

/** Absent (a provider that does not send the claim), `true`, or the string `"true"`: verified. Anything else: not. */
export function emailVerified(claim: unknown): boolean {
  return claim === undefined || claim === true || claim === "true";
}
