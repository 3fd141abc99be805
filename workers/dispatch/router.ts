import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from "jose";
import { decide, type Subject } from "../lib/access-policy";
import type { D1Database, DispatchNamespace, RateLimit, SecretsStoreSecret } from "../lib/bindings";
import { admitApiKey } from "./api-key-route";
import { IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER, IDENTITY_TTL_SECONDS, REQUEST_ID_HEADER, signIdentity, type IntegrationIdentity, type InjectedIdentity, type KeyIdentity } from "../lib/identity";
import { emailVerified } from "../lib/email-verified";
import { forwardedHeaders, withoutTokenParams } from "../lib/forwarded-request";
import { MAX_TOKEN_AGE } from "../lib/token-age";
import { verifiedTokensFor } from "../lib/verified-tokens";
import { ssoAdmits } from "../lib/sso";
import { integrationAt, integrationRequest, MAX_INTEGRATION_BODY_BYTES, requestProblem, verifyIntegration } from "../lib/integration-route";
import { readBounded } from "../lib/bounded-body";
import { declaredOrigin, isDeclaredPreflight, preflightResponse, readableBy } from "../lib/cors";
import { readSecret } from "../outbound/secrets-manager";
import { poolLimit, quotaBucket, type QuotaPool } from "../lib/quota-bucket";
import { scriptName, type RouterApp, type RouterConfig, type RouterIntegration } from "./config";

/*
 * The org's dispatch router, fail-closed: every path that is not a verified, permitted request
 * to a known app ends in a plain status with no detail. Routes are `/<environment>/<app>/...`.
 */

export interface RouterEnv {
  readonly ORG_CONFIG: RouterConfig;
  readonly DISPATCHER: DispatchNamespace;
  readonly IDENTITY_HMAC_KEY: SecretsStoreSecret;
  readonly RATE_LIMITER?: RateLimit;
  /** The org's API key hashes (D1, strongly consistent), read on every request that presents a key. */
  readonly API_KEYS?: D1Database;
  /** The org's Secrets Manager reader (the outbound Worker's identity): bound only when the org has integrations. */
  readonly AWS_ACCESS_KEY_ID?: SecretsStoreSecret;
  readonly AWS_SECRET_ACCESS_KEY?: SecretsStoreSecret;
}

const status = (code: number, extra: Record<string, string> = {}) =>
  new Response(`${code}\n`, { status: code, headers: { "content-type": "text/plain", "cache-control": "no-store", ...extra } });

const UNAUTHORIZED = { "www-authenticate": 'Bearer error="invalid_token"' };

/**
 * Per isolate and per quota pool (workers/lib/quota-bucket.ts): Workers run many isolates, so this
 * bounds concurrency per isolate, and the rate limiter bounds the org.
 */
const inFlight: Record<QuotaPool, number> = { org: 0, publishable: 0 };

/** The key set, kept per isolate (and per config object) so a remote JWKS is fetched once and then cached by jose. */
let keySet: { readonly identity: RouterConfig["identity"]; readonly source: string; readonly keys: JWTVerifyGetKey } | undefined;

function keysFor(identity: RouterConfig["identity"]): JWTVerifyGetKey {
  if (keySet?.identity === identity) return keySet.keys;
  const source = identity.jwksUrl ?? JSON.stringify(identity.jwks);
  if (keySet?.source === source) {
    keySet = { ...keySet, identity };
    return keySet.keys;
  }
  let keys: JWTVerifyGetKey;
  if (identity.jwksUrl !== undefined) keys = createRemoteJWKSet(new URL(identity.jwksUrl));
  else if (identity.jwks !== undefined) keys = createLocalJWKSet(identity.jwks);
  else throw new Error("the router has no identity keys");
  keySet = { identity, source, keys };
  return keys;
}

/**
 * Tokens this isolate has verified, until they expire (workers/lib/verified-tokens.ts says what
 * keeps a cached verdict exactly as strict as a verification); a change of the identity
 * settings empties it.
 */
const VERIFIED_MAX = 1024;
const verifiedCache = verifiedTokensFor<RouterConfig["identity"], JWTPayload>(VERIFIED_MAX);

const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === "string");

/** The verified subject, or undefined for any token that must not pass. */
async function authenticate(request: Request, config: RouterConfig): Promise<(Subject & { sub: string }) | undefined> {
  const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(request.headers.get("authorization") ?? "");
  if (match?.[1] === undefined) return undefined;
  const token = match[1];
  const cache = verifiedCache(config.identity);
  const cached = cache.get(token, Date.now() / 1000);
  if (cached !== undefined) return subjectOf(cached, config);
  // The operator trust domain never reaches an app, even with a valid signature.
  let unverified: JWTPayload;
  try {
    unverified = decodeJwt(token);
  } catch {
    return undefined;
  }
  const audiences = typeof unverified.aud === "string" ? [unverified.aud] : unverified.aud ?? [];
  if (unverified.iss === config.operator.issuer || audiences.includes(config.operator.audience)) return undefined;
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keysFor(config.identity), {
      issuer: config.identity.issuer,
      audience: config.identity.audience,
      algorithms: [...config.identity.algorithms],
      requiredClaims: ["exp", "sub", "iat"],
      // A token older than this is refused even if it has not expired: a long-lived token is a stolen one's best friend.
      maxTokenAge: MAX_TOKEN_AGE,
    }));
  } catch (error) {
    // A bad token is the client's problem (401); keys that cannot be fetched are ours (503),
    // and answering 401 then would make clients throw away good tokens.
    if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) throw error;
    return undefined;
  }
  const subject = subjectOf(payload, config);
  if (subject !== undefined) cache.set(token, payload);
  return subject;
}

/** Judged on every request, cached verdict or not, so the SSO rule and the token are always read together. */
function subjectOf(payload: JWTPayload, config: RouterConfig): (Subject & { sub: string }) | undefined {
  const { sub, email, email_verified: verifiedEmail, org, role, workspaces } = payload as Record<string, unknown>;
  if (typeof sub !== "string" || typeof email !== "string" || typeof org !== "string" || typeof role !== "string" || !isStringArray(workspaces)) return undefined;
  // Policies admit named users by e-mail: an address the provider does not say is verified, or
  // one outside ASCII (where case folding can turn one address into another), admits no one.
  if (!emailVerified(verifiedEmail) || !/^[\x21-\x7e]+@[\x21-\x7e]+$/.test(email)) return undefined;
  // A claimed-domain address that did not come through the org's SSO is not authenticated: 401.
  if (!ssoAdmits(config.sso, email, payload)) return undefined;
  return { sub, email: email.toLowerCase(), org, role, workspaces };
}

/** An integration's signing secret, read by reference; a router without the reader cannot verify, so it fails closed (503). */
async function integrationSecret(integration: RouterIntegration, env: RouterEnv): Promise<string> {
  if (env.AWS_ACCESS_KEY_ID === undefined || env.AWS_SECRET_ACCESS_KEY === undefined || env.ORG_CONFIG.secretsRegion === undefined) {
    throw new Error("the router has no secrets reader for its integrations");
  }
  const credentials = { accessKeyId: await env.AWS_ACCESS_KEY_ID.get(), secretAccessKey: await env.AWS_SECRET_ACCESS_KEY.get(), region: env.ORG_CONFIG.secretsRegion };
  return readSecret(credentials, integration.secret.secretName, integration.secret.key);
}

type Admitted = Omit<InjectedIdentity, "app" | "environment" | "requestId" | "exp"> | Omit<KeyIdentity, "app" | "environment" | "requestId" | "exp"> | Omit<IntegrationIdentity, "app" | "environment" | "requestId" | "exp">;

export async function route(request: Request, env: RouterEnv): Promise<Response> {
  const config = env.ORG_CONFIG;
  const url = new URL(request.url);
  const [, environment = "", app = ""] = url.pathname.split("/");
  const target = config.apps.find((a) => a.slug === app);
  if (!config.environments.includes(environment) || target === undefined) return status(404);

  // A declared integration's path admits by that integration's signature only: a user token does not open it.
  const integration = integrationAt(config.integrations, url.pathname);
  if (integration !== undefined) return routeIntegration(request, url, env, target, environment, integration);

  // A browser's preflight for a keyed request carries no credentials: the router answers it, the app is not reached.
  if (isDeclaredPreflight(request.method, request.headers, target.origins)) return preflightResponse(request.headers.get("origin") ?? "", target.forwardHeaders);

  // Built once admitted: only allowlisted headers, no token in the query.
  const forwarded = (): Forward => {
    const judged = withoutTokenParams(url).toString();
    return { request: judged === request.url ? request : new Request(judged, request), headers: forwardedHeaders(request.headers, target.forwardHeaders) };
  };
  // An API key (tnpk_/tnsk_) is judged by its own rules; anything else must be a user's token.
  const key = await admitApiKey(request, env.API_KEYS, { org: config.org, app, environment, slots: config.apiKeys ?? [], appOrigins: target.origins, headers: request.headers });
  if (key !== undefined) {
    const answer = key.admit
      ? await dispatch(forwarded(), env, target, environment, { kind: "api-key", slot: key.slot, keyKind: key.kind, keyId: key.keyId, org: config.org })
      : status(key.status, key.status === 401 ? UNAUTHORIZED : {});
    // A page at a declared origin can read what its keyed request got, refusals included.
    const origin = declaredOrigin(request.headers, target.origins);
    return origin === undefined ? answer : readableBy(answer, origin);
  }
  const subject = await authenticate(request, config);
  if (subject === undefined) return status(401, UNAUTHORIZED);
  const decision = decide(config, subject, "app.invoke", `app/${app}`);
  if (!decision.allow) return status(403);
  return dispatch(forwarded(), env, target, environment, { sub: subject.sub, email: subject.email, org: subject.org, role: subject.role, workspaces: subject.workspaces });
}

/**
 * An integration's route: only the exact route, POST, no query, a bounded body and a valid
 * signature reach the app, and what reaches it is rebuilt from those verified parts.
 */
async function routeIntegration(request: Request, url: URL, env: RouterEnv, target: RouterApp, environment: string, on: NonNullable<ReturnType<typeof integrationAt>>): Promise<Response> {
  // Another spelling of the route, or a path below it: an app's router may map it onto the integration's handler.
  if (!on.exact) return status(401);
  const problem = requestProblem(request.method, url.search, request.headers);
  if (problem !== undefined) return status(problem, problem === 405 ? { allow: "POST" } : {});
  // Counted as it streams, never buffered whole: past the limit the stream is cancelled.
  const body = await readBounded(request.body, MAX_INTEGRATION_BODY_BYTES);
  if (body === undefined) return status(413);
  const declared = request.headers.get("content-length");
  if (declared !== null && body.length !== Number(declared)) return status(400);
  const verdict = await verifyIntegration(on.integration, request.headers, body, await integrationSecret(on.integration, env), Date.now() / 1000);
  if (!verdict.ok) return status(401);
  const rebuilt = integrationRequest(url.origin, on.integration, request.headers, target.forwardHeaders, body);
  return dispatch({ request: rebuilt, headers: rebuilt.headers }, env, target, environment, {
    kind: "integration", integration: on.integration.name, messageId: verdict.message.messageId, signedAt: verdict.message.signedAt, org: env.ORG_CONFIG.org,
  });
}

/**
 * What an admitted request hands the app: `request`'s method, URL and body, with `headers` in
 * place of its own. `headers` is the router's own object, holding only what the filter let
 * through, so the identity can be set on it without copying it again.
 */
interface Forward {
  readonly request: Request;
  readonly headers: Headers;
}

/**
 * Hands an admitted request (headers already filtered) to the app with the identity the router
 * verified, within the org's limits.
 */
async function dispatch(forward: Forward, env: RouterEnv, target: RouterApp, environment: string, admitted: Admitted): Promise<Response> {
  const config = env.ORG_CONFIG;
  const app = target.slug;
  // The org's quota counts its own authenticated requests only: anonymous traffic cannot
  // spend it (flooding without a token is the zone's WAF and rate-limiting rules' to stop).
  // A publishable key is public, so its traffic spends a bucket and a pool of its own.
  const bucket = quotaBucket(config.org, "kind" in admitted && admitted.kind === "api-key" ? admitted : undefined);
  if (inFlight[bucket.pool] >= poolLimit(bucket.pool, config.limits.maxConcurrentRequests)) return status(429, { "retry-after": "1" });
  inFlight[bucket.pool] += 1; // counted at once, so no await sits between the check and the count
  try {
    if (env.RATE_LIMITER !== undefined && !(await env.RATE_LIMITER.limit({ key: bucket.rateKey })).success) return status(429, { "retry-after": "60" });
    const requestId = crypto.randomUUID();
    const identity = await signIdentity({ ...admitted, app, environment, requestId, exp: Math.floor(Date.now() / 1000) + IDENTITY_TTL_SECONDS }, await env.IDENTITY_HMAC_KEY.get());
    // Only allowlisted headers came this far; the identity is set after, so a client's copy never survives.
    const { headers } = forward;
    headers.set(IDENTITY_HEADER, identity.payload);
    headers.set(IDENTITY_SIGNATURE_HEADER, identity.signature);
    headers.set(REQUEST_ID_HEADER, requestId);
    const worker = env.DISPATCHER.get(scriptName(app, environment), {}, {
      limits: { cpuMs: config.limits.cpuMs, subRequests: config.limits.subRequests },
      outbound: { org: config.org, app, environment },
    });
    return await worker.fetch(new Request(forward.request, { headers }));
  } catch (error) {
    // Declared, but not deployed into the namespace (yet): the runtime's own wording.
    if (error instanceof Error && error.message.startsWith("Worker not found")) return status(404);
    throw error;
  } finally {
    inFlight[bucket.pool] -= 1;
  }
}

export default {
  async fetch(request: Request, env: RouterEnv): Promise<Response> {
    try {
      return await route(request, env);
    } catch {
      return status(503);
    }
  },
};
