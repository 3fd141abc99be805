import { z } from "zod";

/* The org spec's `sso` (property 17): split from spec.ts, which keeps the fields of the org itself. */

/** What the router accepts as "came through SSO" unless the stack says otherwise: RFC 8176 has no single value for it, so the IdP must be set to send it. */
export const DEFAULT_SSO_CLAIM = "amr";
export const DEFAULT_SSO_VALUES = ["sso"] as const;

/**
 * Claims every token the router admits carries (RFC 7519's registered claims and the ones the
 * router reads for identity): they say who and for whom, never how the user signed in, so
 * naming one would make enforcement pass for everyone.
 */
export const IDENTITY_CLAIMS = ["iss", "sub", "aud", "exp", "nbf", "iat", "jti", "email", "email_verified", "org", "role", "workspaces"] as const;

/** A JWT claim name: a short identifier (no path, no expression), and not one of IDENTITY_CLAIMS. */
const claimName = z
  .string({ error: "must be a token claim name" })
  .regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, { error: "must be a token claim name: 1..64 characters of letters, digits, _ . : -, starting with a letter" })
  .refine((name) => !(IDENTITY_CLAIMS as readonly string[]).includes(name), {
    error: `must be a claim that says how the user signed in (such as amr or acr), not one every token carries (${IDENTITY_CLAIMS.join(", ")})`,
  })
  .meta({ not: { enum: [...IDENTITY_CLAIMS] } });

const claimValue = z
  .string({ error: "must be text" })
  .regex(/^[\x21-\x7e]{1,64}$/, { error: "must be 1..64 printable characters, no spaces" });

export const ssoSchema = z.strictObject({
  enforce: z
    .boolean({ error: "must be true or false" })
    .default(false)
    .describe("When true, a token for an address in one of claimedDomains (or a subdomain of one) admits only if its claim names one of values; otherwise the router answers 401. Requires claimedDomains. Off by default."),
  claim: claimName
    .default(DEFAULT_SSO_CLAIM)
    .describe("The token claim that says how the user signed in: amr (RFC 8176) by default. A string or an array of strings in the token."),
  values: z
    .array(claimValue, { error: "must be a list of claim values" })
    .min(1, { error: "must list 1..10 values" })
    .max(10, { error: "must list 1..10 values" })
    .default([...DEFAULT_SSO_VALUES])
    .describe("The claim values that mean the user came through the org's SSO, compared exactly; one is enough. Check which value your identity provider sends."),
});
