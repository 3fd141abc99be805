import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { forwardHeaderProblem } from "../../spec/header-names";
import { STANDARD_REQUEST_HEADERS } from "../../workers/lib/forwarded-request";

/*
 * What a stack-file author may add to an app's forwarded headers. The router's allowlist is the
 * guarantee; this is the defence in depth that keeps an author from declaring identity back in.
 */

/** Identity headers in common use (proxies, clouds, gateways), written out here, apart from the code's word list. */
const IDENTITY_HEADERS_IN_USE = [
  "authorization", "proxy-authorization", "cookie", "remote-user", "x-remote-user", "x-forwarded-user", "x-forwarded-email",
  "x-forwarded-groups", "x-forwarded-preferred-username", "x-forwarded-access-token", "x-auth-request-user", "x-auth-request-email",
  "x-authenticated-user", "x-authenticated-userid", "x-user", "x-user-id", "x-email", "x-identity", "x-jwt-assertion",
  "x-amzn-oidc-identity", "x-amzn-oidc-data", "x-amzn-oidc-accesstoken", "x-ms-client-principal", "x-ms-client-principal-id",
  "x-ms-client-principal-name", "x-ms-token-aad-id-token", "x-goog-authenticated-user-email", "x-goog-iap-jwt-assertion",
  "cf-access-authenticated-user-email", "cf-access-jwt-assertion", "cf-access-client-id", "cf-access-client-secret",
  "x-client-cert", "ssl-client-cert", "x-ssl-client-s-dn", "x-id-token", "x-access-token", "x-userinfo", "x-pomerium-claim-email",
  "x-pomerium-jwt-assertion", "x-webauth-user", "x-consumer-username", "x-consumer-id", "x-credential-identifier", "x-api-key",
  "x-org-id", "x-tenant-id", "x-roles", "x-groups", "x-tenantry-identity", "x-tenantry-identity-signature", "x-tenantry-request-id",
  "x-csrf-token", "x-session-id", "x-account-id", "x-impersonate-user", "x-sub", "x-uid",
  // Found by an attacker's pass against the first word list.
  "dpop", "baggage", "x-act-as", "x-on-behalf-of", "x-sudo", "x-pwd", "x-otp", "phpsessid", "jsessionid", "fastly-client-ip",
  "x-azure-clientip", "x-spiffe-id", "x-envoy-external-address", "x-amzn-trace-id", "x-appengine-user-ip", "x-actor", "x-client-id",
  "x-device-id", "x-customer-id", "x-mfa", "x-hmac", "x-ip",
];

const STANDARD: readonly string[] = STANDARD_REQUEST_HEADERS;
const IDENTITY_WORDS = ["user", "email", "identity", "token", "auth", "principal", "claim", "jwt", "session", "password", "secret", "credential", "apikey", "tenantry", "cookie"];

/** A word with separators slipped between its letters at random: `u-ser`, `e.mail`, `tok-en`. */
const split = (word: string) =>
  fc.array(fc.constantFrom("", "", "", "-", "."), { minLength: word.length, maxLength: word.length }).map((seps) => [...word].map((c, i) => `${c}${i < word.length - 1 ? seps[i] : ""}`).join(""));

const lowerToken = fc.stringMatching(/^[a-z0-9-]{0,12}$/);

describe("a declared forwarded header", () => {
  it("is refused for each identity header in common use", () => {
    const accepted = IDENTITY_HEADERS_IN_USE.filter((name) => forwardHeaderProblem(name) === undefined);
    expect(accepted).toEqual([]);
  });

  it("is refused when an identity word stands anywhere in it, however it is split or surrounded (generated)", () => {
    fc.assert(fc.property(lowerToken, fc.constantFrom(...IDENTITY_WORDS).chain(split), lowerToken, (before, word, after) => {
      const name = `${before}${word}${after}`;
      fc.pre(!STANDARD.includes(name));
      expect(forwardHeaderProblem(name)).toBeDefined();
    }), { numRuns: 3_000 });
  });

  it("is refused in any case other than lower, or with _ (generated)", () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-zA-Z0-9_-]{1,30}$/).filter((n) => n !== n.toLowerCase() || n.includes("_")), (name) => {
      expect(forwardHeaderProblem(name)).toMatch(/^be a lower-case header name/);
    }), { numRuns: 1_000 });
  });

  it("is refused in the router's namespace, as a hop-by-hop header, or as a proxy's claim about the client", () => {
    for (const name of ["x-tenantry-anything", "connection", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade", "host",
      "forwarded", "via", "x-forwarded-for", "x-forwarded-host", "x-real-ip", "true-client-ip", "cf-connecting-ip", "cf-ipcountry", "x-original-url"]) {
      expect([name, forwardHeaderProblem(name)]).toEqual([name, expect.stringMatching(/^not /)]);
    }
  });

  it("is accepted for an ordinary application header, and for a standard one (a no-op)", () => {
    for (const name of ["x-shop-locale", "idempotency-key", "x-requested-with", "x-client-version", "x-timezone", "x-cart", "x-correlation-id", "x-feature-flags", "x-request-id", "dpr", ...STANDARD]) {
      expect([name, forwardHeaderProblem(name)]).toEqual([name, undefined]);
    }
  });
});
