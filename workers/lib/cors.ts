/*
 * CORS for apps that declare `origins` (where their publishable keys are used, property 18). A
 * browser sends a preflight (OPTIONS, no credentials) before a keyed cross-origin request, and
 * sends the real request only after a 2xx naming its origin; the router answers that preflight
 * itself, so no app is reached by one. Allowed only for an origin the app declares, exactly,
 * and never `*` or credentials (no cookie reaches an app anyway).
 */

/** How long a browser may cache a preflight answer, in seconds: short, so a removed origin stops soon. */
export const PREFLIGHT_MAX_AGE_SECONDS = 600;

/** What a keyed browser request may use: a key goes in `authorization`, a JSON body needs `content-type`. */
const ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE";
const BASE_ALLOWED_HEADERS = ["authorization", "content-type"] as const;

/** The declared origin a request comes from (its `Origin`, compared byte for byte), or undefined. */
export function declaredOrigin(headers: Headers, origins: readonly string[]): string | undefined {
  const origin = headers.get("origin");
  return origin !== null && origins.includes(origin) ? origin : undefined;
}

/** Whether `request` is a CORS preflight from one of `origins`: OPTIONS, an exact declared Origin, a requested method. */
export function isDeclaredPreflight(method: string, headers: Headers, origins: readonly string[]): boolean {
  return method === "OPTIONS" && headers.has("access-control-request-method") && declaredOrigin(headers, origins) !== undefined;
}

/** The router's answer to a declared origin's preflight: 204, that origin (never `*`), what a keyed request may send. */
export function preflightResponse(origin: string, forwardHeaders: readonly string[]): Response {
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-origin": origin,
      "access-control-allow-methods": ALLOWED_METHODS,
      "access-control-allow-headers": [...BASE_ALLOWED_HEADERS, ...forwardHeaders].join(", "),
      "access-control-max-age": String(PREFLIGHT_MAX_AGE_SECONDS),
      vary: "Origin",
      "cache-control": "no-store",
    },
  });
}

/** `response` readable by a page at `origin`: that origin allowed (replacing whatever the app said), `Vary: Origin`. */
export function readableBy(response: Response, origin: string): Response {
  const readable = new Response(response.body, response);
  readable.headers.set("access-control-allow-origin", origin);
  readable.headers.delete("access-control-allow-credentials");
  const vary = readable.headers.get("vary");
  if (vary === null || !vary.split(",").some((v) => v.trim().toLowerCase() === "origin")) readable.headers.append("vary", "Origin");
  return readable;
}
