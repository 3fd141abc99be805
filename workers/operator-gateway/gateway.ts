import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTVerifyGetKey } from "jose";
import type { D1Database, Fetcher, SecretsStoreSecret } from "../lib/bindings";
import { consoleTarget } from "../lib/console-target";
import { emailVerified } from "../lib/email-verified";
import { forwardedHeaders, withoutTokenParams } from "../lib/forwarded-request";
import { IDENTITY_TTL_SECONDS, REQUEST_ID_HEADER, signIdentity } from "../lib/identity";
import { allowlistKey, decideOperator, type AllowlistEntry, type OperatorDecision } from "../lib/operator-access";
import { SELECT_ENTRY_SQL } from "../lib/operator-allowlist-sql";
import { MAX_TOKEN_AGE } from "../lib/token-age";
import { OPERATOR_IDENTITY_HEADER, OPERATOR_IDENTITY_SIGNATURE_HEADER, type GatewayConfig } from "./config";

/*
 * The operator gateway, in front of the operator console, fail-closed: only a token of the
 * operator trust domain, for an address on the allowlist read from D1 on this very request,
 * passes. Nothing is cached between requests but the issuer's public keys, so a revocation or an
 * expiry refuses the next request. Every decision goes to the audit sink, without token contents.
 */

export interface GatewayEnv {
  readonly GATEWAY_CONFIG: GatewayConfig;
  readonly ALLOWLIST: D1Database;
  readonly IDENTITY_HMAC_KEY: SecretsStoreSecret;
  /** The audit sink (a service binding); unbound, the gateway admits no one (503). */
  readonly AUDIT?: Fetcher;
}

/** The identity the console receives: who, in which role, for this request only. */
export interface OperatorIdentity {
  readonly sub: string;
  readonly email: string;
  readonly role: string;
  readonly requestId: string;
  /** Seconds since the epoch. */
  readonly exp: number;
}

const status = (code: number, extra: Record<string, string> = {}) =>
  new Response(`${code}\n`, { status: code, headers: { "content-type": "text/plain", "cache-control": "no-store", ...extra } });

let keySet: { readonly source: string; readonly keys: JWTVerifyGetKey } | undefined;

function keysFor(config: GatewayConfig): JWTVerifyGetKey {
  const source = config.jwksUrl ?? JSON.stringify(config.jwks);
  if (keySet?.source === source) return keySet.keys;
  let keys: JWTVerifyGetKey;
  if (config.jwksUrl !== undefined) keys = createRemoteJWKSet(new URL(config.jwksUrl));
  else if (config.jwks !== undefined) keys = createLocalJWKSet(config.jwks);
  else throw new Error("the gateway has no operator keys");
  keySet = { source, keys };
  return keys;
}

/** The verified operator (subject and allowlist key), or undefined for any token that must not pass. */
async function authenticate(request: Request, config: GatewayConfig): Promise<{ sub: string; email: string } | undefined> {
  const match = /^Bearer ([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(request.headers.get("authorization") ?? "");
  if (match?.[1] === undefined) return undefined;
  try {
    // Verified on every request (no verdict cache): the gateway's traffic is a few operators.
    const { payload } = await jwtVerify(match[1], keysFor(config), {
      issuer: config.issuer,
      audience: config.audience,
      algorithms: [...config.algorithms],
      requiredClaims: ["exp", "sub", "iat"],
      maxTokenAge: MAX_TOKEN_AGE,
    });
    const { sub, email, email_verified: verified } = payload as Record<string, unknown>;
    if (typeof sub !== "string" || typeof email !== "string" || !emailVerified(verified)) return undefined;
    const key = allowlistKey(email);
    return key === undefined ? undefined : { sub, email: key };
  } catch (error) {
    if (error instanceof errors.JWKSTimeout || !(error instanceof errors.JOSEError)) throw error;
    return undefined;
  }
}

async function audit(env: GatewayEnv, event: Record<string, unknown>): Promise<void> {
  console.log(JSON.stringify(event));
  // A decision that cannot reach the sink is not taken: a gateway deployed without one fails closed.
  if (env.AUDIT === undefined) throw new Error("the gateway has no audit sink bound (AUDIT)");
  const response = await env.AUDIT.fetch(new Request("https://audit.tenantry.internal/events", { method: "POST", body: JSON.stringify(event) }));
  if (!response.ok) throw new Error(`audit sink refused the event: HTTP ${response.status}`);
}

export async function gate(request: Request, env: GatewayEnv): Promise<Response> {
  const config = env.GATEWAY_CONFIG;
  const url = new URL(request.url);
  const requestId = crypto.randomUUID();
  const operator = await authenticate(request, config);
  let entry: AllowlistEntry | undefined;
  if (operator !== undefined) entry = (await env.ALLOWLIST.prepare(SELECT_ENTRY_SQL).bind(operator.email).first<AllowlistEntry>()) ?? undefined;
  const decision: OperatorDecision = decideOperator({ email: operator?.email, entry, method: request.method, path: url.pathname, search: withoutTokenParams(url).search, now: Date.now() });
  // Built before the decision is recorded: an allow on record is a request that leaves for the console, as judged.
  const target = decision.allow ? consoleTarget(config.consoleOrigin, decision.path, decision.search) : undefined;
  // The decision is recorded before anything reaches the console: an unrecorded request never passes.
  await audit(env, {
    time: new Date().toISOString(), kind: "operator-gateway", requestId,
    decision: decision.allow ? "allow" : "deny", reason: decision.reason, status: decision.status,
    ...(operator === undefined ? {} : { operator: operator.email }),
    ...(decision.allow ? { role: decision.role } : {}),
    method: request.method, path: url.pathname,
  });
  if (!decision.allow) return status(decision.status, decision.status === 401 ? { "www-authenticate": 'Bearer error="invalid_token"' } : {});
  if (operator === undefined || target === undefined) return status(401);

  const identity = await signIdentity({ sub: operator.sub, email: operator.email, role: decision.role, requestId, exp: Math.floor(Date.now() / 1000) + IDENTITY_TTL_SECONDS } satisfies OperatorIdentity, await env.IDENTITY_HMAC_KEY.get());
  // Only allowlisted headers pass (never authorization or cookies); the identity is set after the filter.
  const headers = forwardedHeaders(request.headers, []);
  headers.set(OPERATOR_IDENTITY_HEADER, identity.payload);
  headers.set(OPERATOR_IDENTITY_SIGNATURE_HEADER, identity.signature);
  headers.set(REQUEST_ID_HEADER, requestId);
  return fetch(new Request(target.toString(), new Request(request, { headers, redirect: "manual" })));
}

export default {
  async fetch(request: Request, env: GatewayEnv): Promise<Response> {
    try {
      return await gate(request, env);
    } catch {
      return status(503);
    }
  },
};
