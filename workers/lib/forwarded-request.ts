/*
 * What of a client's request reaches an app, decided by allowlist: a header passes only if it is
 * one of the standard request headers below or one the app declared (`apps[].forwardHeaders`).
 * Nothing is judged by what it looks like, so no identity header of any name, present or future,
 * can pass unless an app names it (and the spec refuses identity-like names there). The router
 * sets the identity it verified after this filter, so a client's copy of those never survives.
 * docs/edge.md gives the reason for each standard header; a test holds the two lists equal.
 */

/**
 * The request headers every app receives. Compared exactly, lower-case, as `Headers` yields
 * them: `accept_language` or `accept-x` is another name, and is dropped.
 */
export const STANDARD_REQUEST_HEADERS = [
  // Content negotiation.
  "accept", "accept-encoding", "accept-language",
  // The request body's own metadata.
  "content-type", "content-length", "content-encoding", "content-language",
  // Conditional requests and ranges (RFC 9110 §13, §14).
  "if-match", "if-none-match", "if-modified-since", "if-unmodified-since", "if-range", "range",
  // Request cache directives (RFC 9111).
  "cache-control",
  // CORS preflight, and the source of a request for CSRF and publishable-key checks.
  "origin", "referer", "access-control-request-method", "access-control-request-headers",
  // Which client: the user agent, its low-entropy client hints, and fetch metadata.
  "user-agent", "sec-ch-ua", "sec-ch-ua-mobile", "sec-ch-ua-platform",
  "sec-fetch-site", "sec-fetch-mode", "sec-fetch-dest", "sec-fetch-user",
  // The Global Privacy Control signal.
  "sec-gpc",
  // W3C Trace Context (not `baggage`, which carries arbitrary key-values such as user ids).
  "traceparent", "tracestate",
] as const;

const STANDARD: ReadonlySet<string> = new Set(STANDARD_REQUEST_HEADERS);

/**
 * The headers an app receives from the client: those on the standard list or in `declared`
 * (the app's `forwardHeaders`, lower-case), and nothing else. `Headers` joins the duplicates of a
 * name, whatever their case, so one exact lookup decides every casing and repeat of it (lower-
 * casing again costs little and keeps that true of any Headers). The cookie header is not on
 * the list, so no cookie reaches an app (docs/edge.md).
 */
export function forwardedHeaders(received: Headers, declared: readonly string[]): Headers {
  const forwarded = new Headers();
  received.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (STANDARD.has(lower) || declared.includes(lower)) forwarded.append(lower, value);
  });
  return forwarded;
}

/** Query parameters that carry a token: an app never sees the client's credentials. */
const TOKEN_PARAMS = ["access_token", "id_token"];

/** The URL without token query parameters (unchanged, encoding and all, when it has none). */
export function withoutTokenParams(url: URL): URL {
  if (!TOKEN_PARAMS.some((param) => url.searchParams.has(param))) return url;
  const clean = new URL(url.toString());
  for (const param of TOKEN_PARAMS) clean.searchParams.delete(param);
  return clean;
}
