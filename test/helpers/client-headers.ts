import fc from "fast-check";
import { STANDARD_REQUEST_HEADERS } from "../../workers/lib/forwarded-request";

/*
 * Header names an internet client would try against the router's allowlist: allowlisted names
 * in any casing, their `_` variants, names that extend or embed an allowlisted one, identity
 * words, the router's own headers, and random RFC 9110 tokens. Shared by the filter's pure
 * property test and the workerd test through the real router.
 */

export const STANDARD: readonly string[] = STANDARD_REQUEST_HEADERS;

const TCHAR = /^[a-zA-Z0-9!#$%&'*+\-.^_`|~]{1,24}$/;
const IDENTITY_WORDS = ["user", "email", "identity", "token", "auth", "principal", "claim", "jwt", "session", "cookie", "tenantry", "forwarded", "remote", "client-cert"];

/** Every upper/lower-case mix of a name, chosen by a list of flips. */
export const recased = (name: fc.Arbitrary<string>) =>
  fc.tuple(name, fc.array(fc.boolean(), { minLength: 1, maxLength: 12 })).map(([n, flips]) => [...n].map((c, i) => (flips[i % flips.length] ? c.toUpperCase() : c)).join(""));

/** Names a client would try, given what the app declared; `exclude` keeps out names a client library will not send raw. */
export function clientHeaderNames(declared: readonly string[], exclude: readonly string[] = []): fc.Arbitrary<string> {
  const allowed = fc.constantFrom(...STANDARD.filter((n) => !exclude.includes(n)), ...declared);
  const token = fc.stringMatching(TCHAR);
  const separator = fc.constantFrom("-", "_", "", ".");
  return recased(fc.oneof(
    allowed,
    allowed.map((name) => name.replace(/-/g, "_")),
    fc.tuple(allowed, separator, token).map(([name, sep, rest]) => `${name}${sep}${rest}`),
    fc.tuple(token, separator, allowed).map(([rest, sep, name]) => `${rest}${sep}${name}`),
    fc.tuple(fc.constantFrom("", "x-", "x_", "cf-"), fc.constantFrom(...IDENTITY_WORDS), separator, fc.constantFrom("", "id", "name", "email", "assertion")).map(
      ([prefix, word, sep, suffix]) => `${prefix}${word}${suffix === "" ? "" : sep}${suffix}`,
    ),
    fc.constantFrom("x-tenantry-identity", "x-tenantry-identity-signature", "x-tenantry-request-id", "cookie", "authorization", "forwarded", "x-forwarded-for"),
    token,
  )).filter((name) => !exclude.includes(name.toLowerCase()));
}
