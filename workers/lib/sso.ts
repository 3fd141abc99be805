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
 * The shape of an address the SSO rule can judge: one `@`, an unquoted local part of RFC 5322
 * atom characters and dots, and a domain of letter-digit-hyphen labels, optionally written with
 * the DNS root dot (`acme.com.` is `acme.com`). Quotes, a second `@`, percent-escapes, brackets,
 * ports and empty labels have no place in it, so no two readings of an address that fits can
 * disagree about its domain.
 */
const ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}@((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)*[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)\.?$/;

/** The address's domain, lower-case and without the root dot; undefined for any address not of the one shape above. */
export function canonicalDomain(email: string): string | undefined {
  const domain = ADDRESS.exec(email)?.[1];
  return domain === undefined || domain.length > 253 ? undefined : domain.toLowerCase();
}

/**
 * Whether the address is under a claimed domain: the domain itself or any subdomain of it,
 * compared label by label on the canonical domain, so `acme.com.evil`, `evilacme.com` and
 * `acme.co` never match `acme.com`, and `ACME.com.` does. Subdomains count because only the
 * owner of `acme.com` can hand out addresses at `sub.acme.com`: enforcing there can only refuse,
 * never admit, someone the owner did not mean. An address that does not parse (several `@`,
 * `acme%2ecom`, a quoted local part) is treated as claimed: whatever an app reads in it, the
 * rule has already required SSO.
 */
export function isClaimedAddress(email: string, claimedDomains: readonly string[]): boolean {
  const domain = canonicalDomain(email);
  if (domain === undefined) return true;
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
