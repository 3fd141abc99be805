/*
 * Headers a client could use to claim an identity. The router deletes every one of them from
 * every request before anything else reads it (Headers are case-insensitive, and delete removes
 * every value of a duplicated header), then sets only the identity it verified itself.
 */

/** Exact names. */
export const SPOOFABLE_HEADERS: readonly string[] = [
  "authorization",
  "proxy-authorization",
  "remote-user",
  "x-remote-user",
  "x-forwarded-user",
  "x-forwarded-email",
  "x-forwarded-groups",
  "x-forwarded-preferred-username",
  "x-forwarded-access-token",
  "x-auth-request-user",
  "x-auth-request-email",
  "x-authenticated-user",
  "x-user",
  "x-email",
  "x-identity",
  "x-jwt-assertion",
  "x-amzn-oidc-identity",
  "x-amzn-oidc-data",
  "x-amzn-oidc-accesstoken",
  "x-ms-client-principal",
  "x-ms-client-principal-id",
  "x-ms-client-principal-name",
  "x-goog-authenticated-user-email",
  "x-goog-authenticated-user-id",
  "x-goog-iap-jwt-assertion",
  "cf-access-authenticated-user-email",
  "cf-access-jwt-assertion",
  "cf-access-client-id",
  "cf-access-client-secret",
];

/** Prefixes: whole families of identity headers, tenantry's own among them. */
export const SPOOFABLE_PREFIXES: readonly string[] = ["x-tenantry-", "x-user-", "x-org-", "x-auth-", "x-remote-", "x-forwarded-user", "cf-access-", "x-ms-client-principal", "x-amzn-oidc-", "x-goog-authenticated-"];

export function isSpoofable(name: string): boolean {
  const lower = name.toLowerCase();
  return SPOOFABLE_HEADERS.includes(lower) || SPOOFABLE_PREFIXES.some((prefix) => lower.startsWith(prefix));
}

/** A copy of the headers without any identity header. */
export function withoutIdentityHeaders(headers: Headers): Headers {
  const clean = new Headers();
  headers.forEach((value, name) => {
    if (!isSpoofable(name)) clean.append(name, value);
  });
  return clean;
}
