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

/**
 * The other registered claims (OpenID Connect Core's standard and ID-token claims, RFC 8693's,
 * RFC 9068's, RFC 7800's) that say who the user is or what the token is for, never how this
 * sign-in happened. Some are the user's own to set at many IdPs (nickname, preferred_username,
 * name, website, locale), so naming one would let a password-login user call themself "sso".
 * amr and acr, the two registered claims about how, are the ones left out on purpose.
 */
export const PROFILE_AND_TOKEN_CLAIMS = [
  "name", "given_name", "family_name", "middle_name", "nickname", "preferred_username", "profile", "picture", "website",
  "gender", "birthdate", "zoneinfo", "locale", "phone_number", "phone_number_verified", "address", "updated_at",
  "auth_time", "nonce", "azp", "at_hash", "c_hash", "sid", "scope", "client_id", "act", "may_act", "cnf", "roles", "groups", "entitlements",
] as const;

/** Every claim name `sso.claim` may not be: a registered claim that does not say how the user signed in. */
export const NOT_SIGN_IN_CLAIMS: readonly string[] = [...IDENTITY_CLAIMS, ...PROFILE_AND_TOKEN_CLAIMS];

/** A JWT claim name: a short identifier (no path, no expression), and amr, acr or a claim of the IdP's own. */
const claimName = z
  .string({ error: "must be a token claim name" })
  .regex(/^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/, { error: "must be a token claim name: 1..64 characters of letters, digits, _ . : -, starting with a letter" })
  .superRefine((name, ctx) => {
    if (!NOT_SIGN_IN_CLAIMS.includes(name)) return;
    ctx.addIssue({
      code: "custom",
      message: `must be a claim that says how the user signed in (amr, acr, or a claim of the IdP's own), not ${name}: a registered claim about who the user is or what the token is for (${NOT_SIGN_IN_CLAIMS.join(", ")})`,
    });
  })
  .meta({ not: { enum: [...NOT_SIGN_IN_CLAIMS] } });

/**
 * IANA's Authentication Method Reference Values (RFC 8176 and later): how a user proved who they
 * are (a password, a one-time code, a key), which a password login at the same IdP can carry
 * too. None says the sign-in came through the org's SSO, so none may stand for it in `amr`.
 */
export const AMR_METHODS: readonly string[] = ["face", "fpt", "geo", "hwk", "iris", "kba", "mca", "mfa", "otp", "pin", "pop", "pwd", "rba", "retina", "sc", "sms", "swk", "tel", "user", "vbm", "wia"];

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
