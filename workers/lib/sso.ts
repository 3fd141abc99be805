/*
 * Property 17: a token for an address in one of the org's claimed domains admits only if it says
 * it came through the org's SSO. Pure, so the router, the proof and the tests share one decision.
 */

/** What the router is bound with; `enforce: false` (the default) leaves every token as it was. */
export type SsoPolicy =
  | { readonly enforce: false }
  | {
      readonly enforce: true;
      /** Lower-case domains, validated by the spec (never a public mail provider). */
      readonly claimedDomains: readonly string[];
      /** The token claim that says how the user authenticated, e.g. `amr` (RFC 8176). */
      readonly claim: string;
      /** Accepted values of that claim, compared exactly (RFC 8176 values are case-sensitive). */
      readonly values: readonly string[];
    };

/**
 * Whether the address is under a claimed domain: the domain itself or any subdomain of it,
 * compared label by label, so `acme.com.evil`, `evilacme.com` and `acme.co` never match
 * `acme.com`. Subdomains count because only the owner of `acme.com` can hand out addresses at
 * `sub.acme.com`: enforcing there can only refuse, never admit, someone the owner did not mean.
 */
export function isClaimedAddress(email: string, claimedDomains: readonly string[]): boolean {
  const at = email.lastIndexOf("@");
  if (at < 0) return true; // no domain to judge by: treat it as claimed, so SSO is required
  const domain = email.slice(at + 1).toLowerCase();
  return claimedDomains.some((claimed) => {
    const c = claimed.toLowerCase();
    return domain === c || domain.endsWith(`.${c}`);
  });
}

/** Whether the claim's value (a string, or an array as `amr` is) names one of the accepted values. */
export function saysSso(claimValue: unknown, values: readonly string[]): boolean {
  if (typeof claimValue === "string") return values.includes(claimValue);
  if (Array.isArray(claimValue)) return claimValue.some((v) => typeof v === "string" && values.includes(v));
  return false;
}

/** True when the token may pass as far as SSO is concerned; the router answers 401 otherwise. */
export function ssoAdmits(policy: SsoPolicy, email: string, claims: Readonly<Record<string, unknown>>): boolean {
  if (!policy.enforce || !isClaimedAddress(email, policy.claimedDomains)) return true;
  return Object.hasOwn(claims, policy.claim) && saysSso(claims[policy.claim], policy.values);
}
