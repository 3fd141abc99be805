/*
 * What a client could use to claim an identity. The router forwards none of it: it deletes
 * every such header (names compared lower-cased with "_" read as "-", since some servers treat
 * them alike; Headers are case-insensitive and delete removes every value of a duplicate), the
 * identity cookies of access proxies, and token query parameters, then sets only the identity
 * it verified itself. Exact names and prefixes are maintained lists; words catch the long tail
 * (x-pomerium-claim-email, x-webauth-user, x-ssl-client-s-dn, ...).
 */

/** Exact names. */
export const SPOOFABLE_HEADERS: readonly string[] = [
  "authorization", "proxy-authorization", "remote-user", "x-remote-user", "x-forwarded-user", "x-forwarded-email",
  "x-forwarded-groups", "x-forwarded-preferred-username", "x-forwarded-access-token", "x-auth-request-user",
  "x-auth-request-email", "x-authenticated-user", "x-authenticated-userid", "x-user", "x-email", "x-identity",
  "x-jwt-assertion", "x-amzn-oidc-identity", "x-amzn-oidc-data", "x-amzn-oidc-accesstoken", "x-ms-client-principal",
  "x-ms-client-principal-id", "x-ms-client-principal-name", "x-goog-authenticated-user-email",
  "x-goog-authenticated-user-id", "x-goog-iap-jwt-assertion", "cf-access-authenticated-user-email",
  "cf-access-jwt-assertion", "cf-access-client-id", "cf-access-client-secret", "x-client-cert", "ssl-client-cert",
  "x-id-token", "x-access-token", "x-userinfo",
];

/** Prefixes: whole families of identity headers, tenantry's own among them. */
export const SPOOFABLE_PREFIXES: readonly string[] = [
  "x-tenantry-", "x-user-", "x-org-", "x-auth-", "x-remote-", "x-forwarded-user", "x-forwarded-email", "cf-access-",
  "x-ms-client-principal", "x-ms-token-", "x-amzn-oidc-", "x-goog-authenticated-", "x-pomerium-", "x-ssl-client-",
  "x-consumer-", "x-webauth-",
];

/** Words that mark an identity header wherever they stand in its name. */
const IDENTITY_WORDS = /(^|-)(user|users|userid|username|userinfo|email|identity|principal|claim|claims|jwt|id-token|access-token|remote|client-cert|webauth|consumer)(-|$)/;

/** Standard headers that contain one of those words but carry no identity. */
const HARMLESS = new Set(["user-agent"]);

export function isSpoofable(name: string): boolean {
  const normalized = name.toLowerCase().replace(/_/g, "-");
  if (HARMLESS.has(normalized)) return false;
  return SPOOFABLE_HEADERS.includes(normalized) || SPOOFABLE_PREFIXES.some((prefix) => normalized.startsWith(prefix)) || IDENTITY_WORDS.test(normalized);
}

/** Cookies that access proxies authenticate with (Cloudflare Access, oauth2-proxy, Pomerium, IAP). */
const IDENTITY_COOKIES = /^(CF_Authorization|_oauth2_proxy|_pomerium|GCP_IAP_.*|AWSELBAuthSessionCookie.*)$/i;

function withoutIdentityCookies(cookie: string): string {
  return cookie.split(";").map((c) => c.trim()).filter((c) => c !== "" && !IDENTITY_COOKIES.test(c.split("=")[0] ?? "")).join("; ");
}

/** A copy of the headers without any identity header or identity cookie. */
export function withoutIdentityHeaders(headers: Headers): Headers {
  const clean = new Headers();
  headers.forEach((value, name) => {
    if (isSpoofable(name)) return;
    if (name.toLowerCase() === "cookie") {
      const kept = withoutIdentityCookies(value);
      if (kept !== "") clean.append(name, kept);
      return;
    }
    clean.append(name, value);
  });
  return clean;
}

/** Query parameters that carry a token. */
const TOKEN_PARAMS = ["access_token", "id_token"];

/** The URL without token query parameters (unchanged, encoding and all, when it has none). */
export function withoutIdentityParams(url: URL): URL {
  if (!TOKEN_PARAMS.some((param) => url.searchParams.has(param))) return url;
  const clean = new URL(url.toString());
  for (const param of TOKEN_PARAMS) clean.searchParams.delete(param);
  return clean;
}
