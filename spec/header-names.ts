import { STANDARD_REQUEST_HEADERS } from "../workers/lib/forwarded-request";

/*
 * Which header names an app may add to what the router forwards (`apps[].forwardHeaders`). The
 * router's allowlist is the guarantee: a header reaches an app only if it is standard or declared.
 * This is defence in depth against a declaration that would undo it: a name that carries
 * identity or credentials, the router's own namespace, a hop-by-hop header, or a proxy's claim
 * about where a request came from. Matching is deliberately broad (a word anywhere in the name,
 * separators ignored), so `x-shop-userid` and `x-apikey` are refused as surely as `x-user`.
 */

/** An RFC 9110 token in lower case, without `_` (some servers read `x_user` as `x-user`). */
export const HEADER_NAME = /^[a-z0-9!#$%&'*+\-.^`|~]{1,64}$/;

/** Hop-by-hop and connection headers (RFC 9110 §7.6.1): they describe one connection, not the request. */
const HOP_BY_HOP: ReadonlySet<string> = new Set([
  "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host", "expect", "http2-settings",
]);

/**
 * What a proxy says about a request's origin, and the namespaces of the platforms and proxies
 * that put identity, client addresses and session state in headers of their own: a client can
 * send any of it, so an app must never trust it from here.
 */
const PROVENANCE = /^(forwarded|via|x-forwarded-.*|x-real-ip|x-client-ip|true-client-ip|x-cluster-client-ip|cf-.*|x-original-.*|x-envoy-.*|x-amzn-.*|x-amz-.*|x-goog-.*|x-ms-.*|x-azure-.*|x-arr-.*|fastly-.*|akamai-.*|x-akamai-.*|x-appengine-.*|x-vercel-.*|x-netlify-.*|cloudfront-.*|x-heroku-.*|x-envoy|baggage)$/;

/** Words that mark identity or credentials, matched anywhere in the name with its separators removed. */
const IDENTITY_WORDS = [
  "auth", "user", "email", "identity", "principal", "claim", "jwt", "session", "token", "passw", "secret",
  "credential", "cert", "saml", "oidc", "openid", "apikey", "accesskey", "privatekey", "signature", "login", "logon",
  "account", "tenant", "impersonat", "role", "group", "member", "admin", "permission", "scope", "subject", "consumer", "sslclient",
  // Credentials and proofs of possession: DPoP (RFC 9449), one-time codes, passwords by their short names, session ids.
  "dpop", "otp", "pwd", "sessid", "mfa", "nonce", "hmac",
  // Acting for someone, and who is acting.
  "sudo", "actas", "behalf", "actor", "caller", "requester", "owner", "operator", "customer", "employee", "person", "persona", "whoami",
  // Workload and device identity, and client addresses (the router does not vouch for them).
  "spiffe", "svid", "clientid", "device", "clientip", "realip", "connectingip", "remoteaddr", "peeraddr", "externaladdress",
];

/** Short words that would match too much inside other words, so they count only as a whole word. */
const IDENTITY_WHOLE_WORDS: ReadonlySet<string> = new Set(["uid", "sub", "sid", "upn", "org", "sso", "iap", "acl", "dn", "ip", "sig", "pin", "act"]);

const STANDARD: ReadonlySet<string> = new Set(STANDARD_REQUEST_HEADERS);

/**
 * Why `name` may not be declared in `forwardHeaders`, completing "<field> must ...", or
 * undefined when it may. Names it gives are constants of this file, never the input, so a
 * message cannot echo what a stack file holds.
 */
export function forwardHeaderProblem(name: string): string | undefined {
  if (!HEADER_NAME.test(name)) {
    return "be a lower-case header name of 1..64 characters: a-z, 0-9 and !#$%&'*+-.^`|~ (RFC 9110 token), no _ and no upper case";
  }
  // Already forwarded to every app: declaring it changes nothing, and some (sec-fetch-user) hold a word refused below.
  if (STANDARD.has(name)) return undefined;
  if (name.startsWith("x-tenantry")) return "not be in the router's own x-tenantry- namespace: the router sets those itself";
  if (HOP_BY_HOP.has(name)) return "not be a hop-by-hop or connection header (connection, host, te, upgrade, ...): it describes one connection, not the request";
  const compact = name.replace(/[^a-z0-9]/g, "");
  if (compact.includes("cookie")) return "not carry cookies: no cookie reaches an app, as cookies carry access-proxy and session identity (docs/edge.md)";
  if (PROVENANCE.test(name)) return "not be a proxy's or platform's header (forwarded, via, x-forwarded-*, x-real-ip, cf-*, x-amzn-*, baggage, ...): a client can send any value";
  const word = IDENTITY_WORDS.find((w) => compact.includes(w)) ?? name.split(/[^a-z0-9]+/).find((w) => IDENTITY_WHOLE_WORDS.has(w));
  if (word !== undefined) return `not carry identity or credentials (it names "${word}"): the router injects the only identity an app may trust`;
  return undefined;
}
