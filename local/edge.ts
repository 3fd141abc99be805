import { randomBytes } from "node:crypto";
import type { JWTPayload } from "jose";
import type { WorkerOptions } from "miniflare";
import { ssoClaimsFor } from "./edge-subjects";
import { edgeTrustOf, outboundConfig, routerConfig, type EdgeTrust } from "../components/edge-config";
import { parseSecretReference } from "../spec/secret-reference";
import type { OrgSpec } from "../spec/spec";
import { scriptName } from "../workers/dispatch/config";
import { signingKeyBindings } from "../workers/outbound/signing-keys";
import { webhookEnvironments } from "../components/webhook-key-plan";
import { bundleSource, type WorkerName } from "../workers/build";
import { ephemeralSigningKey, LOCAL_ISSUER, signToken, type SigningKey } from "./identity-key";
import { startOwnedMiniflare } from "./owned-miniflare";
import { LOCAL_API_KEYS_DATABASE, migrateApiKeys, type KeyStore } from "./api-key-store";
import { d1QueryRoute } from "./d1-query-worker";

/*
 * The org's edge in workerd (miniflare), offline: the real router and outbound bundles, the
 * sample app in every app slot, and stand-ins for what only Cloudflare and AWS provide (the
 * dispatch namespace, Secrets Store, Secrets Manager, the internet and the audit sink; see
 * workers/local/shims.ts). Tokens come from a local identity provider whose keys live here.
 */

const COMPATIBILITY_DATE = "2025-09-01";
export { LOCAL_ISSUER } from "./identity-key";

export interface LocalEdge {
  /** Sends a request through the router, as a client on the internet would. */
  readonly viaRouter: (path: string, init?: RequestInit) => Promise<Response>;
  /** The router's address on loopback, for a client that writes the raw request (exact header casing and repeats). */
  readonly url: URL;
  /** Calls an app's Worker directly, bypassing the router (benchmarks only). */
  readonly direct: (app: string, environment: string, path: string, init?: RequestInit) => Promise<Response>;
  /** A token of the org's identity provider, or of the operator domain with `operator: true`. */
  readonly token: (claims: JWTPayload & { email?: string; org?: string; role?: string; workspaces?: string[] }, options?: TokenOptions) => Promise<string>;
  readonly auditEvents: () => Promise<unknown[]>;
  /** What reached the (stand-in) internet from the outbound Worker. */
  readonly egressRequests: () => Promise<{ host: string; path: string; headers: Record<string, string>; body: string }[]>;
  readonly trust: EdgeTrust;
  /** The org's API key store the router reads on every keyed request, as `tenantry keys` reaches it. */
  readonly apiKeys: () => Promise<KeyStore>;
  readonly dispose: () => Promise<void>;
}

export interface TokenOptions {
  readonly operator?: boolean;
  readonly expiresIn?: string;
  readonly issuer?: string;
  readonly audience?: string;
  /** Sign with another key than the provider's (a forged token). */
  readonly foreignKey?: boolean;
  /**
   * Whether the person signed in through the org's SSO; default true: where the org enforces SSO
   * over the address, the token carries `sso.claim` with the first of `sso.values`, as the org's
   * IdP would. A claim passed in `claims` wins either way (`amr: ["pwd"]` is a password login).
   */
  readonly viaSso?: boolean;
}

export interface EdgeOptions {
  /** Values of the org's secrets by Secrets Manager name (`acme/prod/stripe`), as JSON text. */
  readonly secretValues: Readonly<Record<string, string>>;
  /** The router's rate limit per minute; default: generous. */
  readonly ratePerMinute?: number;
  /** Where the router fetches the identity provider's keys; default: the local provider's, inline. */
  readonly jwksUrl?: string;
  /** Apps in the namespace; default: every app of the spec in every environment. */
  readonly deployed?: readonly { app: string; environment: string }[];
  /**
   * The process handles SIGINT and SIGTERM itself (the CLI cleans up, then exits 130). Miniflare
   * otherwise installs handlers that exit at once, before that clean-up could run; its exit hook,
   * which stops workerd and deletes its temporary folder, stays.
   */
  readonly callerHandlesSignals?: boolean;
  /** For the proof's controls only: the router's script in place of the built bundle (a variant with one guard out). */
  readonly controlRouterScript?: string;
  /**
   * For benchmarks only: more routers beside the real one, each a Worker named `bench-<name>`
   * running the given script with the router's bindings, in the same workerd, so that a variant
   * (a stage left out, a router that only dispatches) is measured in the same run as the real one.
   */
  readonly benchRouters?: Readonly<Record<string, string>>;
  /** For the proof's controls only: the outbound Worker's script in place of the built bundle. */
  readonly controlOutboundScript?: string;
  /** The identity provider's signing key; default: one made for this edge alone (`tenantry dev` passes the one `tenantry token` signs with). */
  readonly identityKey?: SigningKey;
  /**
   * Each webhook environment's signing secret (whsec_<base64>) by environment, bound to the
   * outbound Worker only, every environment's to each, as the one production outbound Worker holds
   * them; default: one made for this edge per environment with webhook endpoints.
   */
  readonly webhookSigningSecrets?: Readonly<Record<string, string>>;
  /** The previous generation's signing secrets by environment, bound as during a rotation's overlap (the spec's webhookSigning.previousUntil says until when they sign). */
  readonly previousWebhookSigningSecrets?: Readonly<Record<string, string>>;
  /** The router's port on 127.0.0.1; default: any free one. */
  readonly port?: number;
  /** The API key store's folder when it must outlive the process (the org's in the local state, which `tenantry keys` manages); default: in memory. */
  readonly apiKeysPersistTo?: string;
}

/** The slice of a workerd Fetcher this file uses (miniflare's own types carry undici's Request). */
interface WorkerHandle {
  fetch(url: string, init?: RequestInit): Promise<Response>;
}

/**
 * Values for the org's secrets by Secrets Manager name, as the stand-in Secrets Manager serves
 * them: random, made per run, so nothing real is ever needed or shown and only a caller that
 * keeps them (the proof) can recognise them.
 */
export function standInSecretValues(spec: OrgSpec): Record<string, string> {
  const values: Record<string, string> = {};
  for (const secret of spec.secrets) {
    const ref = parseSecretReference(secret.ref);
    if (ref === undefined) continue;
    const current = JSON.parse(values[ref.secretName] ?? "{}") as Record<string, string>;
    values[ref.secretName] = JSON.stringify({ ...current, [ref.key]: `local-${randomBytes(18).toString("base64url")}` });
  }
  // Integration signing secrets in the form both schemes' senders use, whsec_<base64>.
  for (const integration of spec.integrations) {
    const ref = parseSecretReference(integration.secret);
    if (ref === undefined) continue;
    const current = JSON.parse(values[ref.secretName] ?? "{}") as Record<string, string>;
    values[ref.secretName] = JSON.stringify({ ...current, [ref.key]: `whsec_${randomBytes(32).toString("base64")}` });
  }
  return values;
}

/**
 * The outbound Worker's signing-key bindings: each webhook environment's current secret and, when
 * given, its previous one, under the names the outbound Worker picks by (workers/outbound/signing-keys.ts).
 */
function webhookSigningBindings<T>(spec: OrgSpec, options: EdgeOptions, secret: (value: string) => T): Record<string, T> {
  const bindings: Record<string, T> = {};
  for (const environment of webhookEnvironments(spec)) {
    const names = signingKeyBindings(environment);
    bindings[names.current] = secret(options.webhookSigningSecrets?.[environment] ?? `whsec_${randomBytes(32).toString("base64")}`);
    const previous = options.previousWebhookSigningSecrets?.[environment];
    if (previous !== undefined) bindings[names.previous] = secret(previous);
  }
  return bindings;
}

export async function startEdge(spec: OrgSpec, options: EdgeOptions): Promise<LocalEdge> {
  // The bundles this installation built (npm run build), wherever the command runs from. Given
  // as contents under a bare name: workerd refuses module paths that climb out of the cwd.
  const module = (name: WorkerName) => [{ type: "ESModule" as const, path: `${name}.mjs`, contents: bundleSource(name) }];
  if (spec.edge === undefined) throw new Error(`org ${spec.slug} declares no edge`);
  const provider = options.identityKey ?? (await ephemeralSigningKey());
  const foreign = await ephemeralSigningKey();
  const publicJwk = provider.publicJwk;
  const declared = edgeTrustOf(spec.edge);
  const trust: EdgeTrust = {
    identity: { issuer: LOCAL_ISSUER, audience: declared.identity.audience, ...(options.jwksUrl === undefined ? { jwks: { keys: [publicJwk] } } : { jwksUrl: options.jwksUrl }) },
    operator: declared.operator,
  };
  const hmacKey = randomBytes(32).toString("base64url");
  const deployed = options.deployed ?? spec.environments.flatMap((environment) => spec.apps.map((a) => ({ app: a.slug, environment })));
  const secret = (value: string) => ({ scriptName: "shim-secret", entrypoint: "secretsStoreSecret", bindings: { value } });
  const signingKeys = webhookSigningBindings(spec, options, secret);
  // The org's one Secrets Manager reader, as the outbound Worker (and, with integrations, the router) binds it.
  const reader = { AWS_ACCESS_KEY_ID: secret("AKIDLOCALTENANTRY"), AWS_SECRET_ACCESS_KEY: secret(randomBytes(30).toString("base64url")) };
  const secretValues: Record<string, string> = {};
  for (const reference of [...spec.secrets.map((s) => s.ref), ...spec.integrations.map((i) => i.secret)]) {
    const ref = parseSecretReference(reference);
    if (ref !== undefined && options.secretValues[ref.secretName] !== undefined) secretValues[ref.secretName] = options.secretValues[ref.secretName] ?? "";
  }

  const keyDatabases = { API_KEYS: LOCAL_API_KEYS_DATABASE };
  const keysRoute = d1QueryRoute(keyDatabases);
  const router: WorkerOptions = {
    name: "router",
    modules: options.controlRouterScript === undefined ? module("dispatch") : [{ type: "ESModule" as const, path: "dispatch.mjs", contents: options.controlRouterScript }],
    compatibilityDate: COMPATIBILITY_DATE,
    bindings: { ORG_CONFIG: routerConfig(spec, trust) as unknown as Record<string, never> },
    wrappedBindings: {
      DISPATCHER: { scriptName: "shim-namespace", entrypoint: "dispatchNamespace" },
      IDENTITY_HMAC_KEY: secret(hmacKey),
      ...(spec.integrations.length > 0 ? reader : {}),
    },
    // With integrations, the router reads their secrets from the stand-in Secrets Manager; otherwise its fetches (a JWKS URL) go out as they are.
    ...(spec.integrations.length > 0 ? { outboundService: { name: "shim-services", entrypoint: "egress" } } : {}),
    ratelimits: { RATE_LIMITER: { simple: { limit: options.ratePerMinute ?? 1_000_000, period: 60 } } },
    d1Databases: keyDatabases,
  };
  const benchRouters = Object.entries(options.benchRouters ?? {}).map(([name, contents]): WorkerOptions => ({
    ...router,
    name: `bench-${name}`,
    modules: [{ type: "ESModule" as const, path: "dispatch.mjs", contents }],
  }));
  const workers: WorkerOptions[] = [
    router,
    ...benchRouters,
    {
      name: "shim-namespace",
      modules: module("local-shims"),
      serviceBindings: Object.fromEntries(deployed.map(({ app, environment }) => [scriptName(app, environment), `app-${app}-${environment}`])),
    },
    { name: "shim-secret", modules: module("local-shims") },
    {
      name: "shim-services",
      modules: module("local-shims"),
      compatibilityDate: COMPATIBILITY_DATE,
      bindings: { SECRET_VALUES: secretValues },
    },
    ...deployed.flatMap(({ app, environment }): WorkerOptions[] => [
      {
        name: `app-${app}-${environment}`,
        modules: module("sample-app"),
        compatibilityDate: COMPATIBILITY_DATE,
        // Every fetch() of the app goes to its outbound Worker, as in a dispatch namespace.
        outboundService: `outbound-${app}-${environment}`,
      },
      {
        name: `outbound-${app}-${environment}`,
        modules: options.controlOutboundScript === undefined ? module("outbound") : [{ type: "ESModule" as const, path: "outbound.mjs", contents: options.controlOutboundScript }],
        compatibilityDate: COMPATIBILITY_DATE,
        // The dispatch params the router passes in production, fixed per app here.
        bindings: { org: spec.slug, app, environment, SECRETS_CONFIG: outboundConfig(spec, spec.edge?.awsRegion ?? "") as unknown as Record<string, never> },
        wrappedBindings: {
          IDENTITY_HMAC_KEY: secret(hmacKey),
          ...reader,
          ...signingKeys,
        },
        serviceBindings: { AUDIT: { name: "shim-services", entrypoint: "auditSink" } },
        outboundService: { name: "shim-services", entrypoint: "egress" },
      },
    ]),
    // How the proof, the tests and `tenantry keys` reach the same key store.
    keysRoute.worker,
  ];
  // Workers' console output (the outbound Worker's audit lines) stays out of the CLI's output.
  // workerd's folder goes inside one of ours, so that dispose() can wait until it is deleted.
  const { mf, url, dispose } = await startOwnedMiniflare("tenantry-edge-", {
    workers,
    // Loopback only: the edge trusts a key anyone with this folder can sign with.
    host: "127.0.0.1",
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.apiKeysPersistTo === undefined ? {} : { d1Persist: options.apiKeysPersistTo }),
    handleRuntimeStdio: process.env.TENANTRY_DEBUG ? undefined : (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => { stdout.resume(); stderr.resume(); },
  }, { callerHandlesSignals: options.callerHandlesSignals === true, prepare: async (running) => migrateApiKeys(keysRoute.storeOf(running, "API_KEYS")) });
  const apiKeys = async () => keysRoute.storeOf(mf, "API_KEYS");
  const worker = async (name: string) => (await mf.getWorker(name)) as unknown as WorkerHandle;
  const services = await worker("shim-services");

  const sign = async (claims: JWTPayload, opts: TokenOptions = {}) => {
    const issuer = opts.issuer ?? (opts.operator === true ? trust.operator.issuer : trust.identity.issuer);
    const audience = opts.audience ?? (opts.operator === true ? trust.operator.audience : trust.identity.audience);
    const email = typeof claims["email"] === "string" ? claims["email"] : "";
    const signIn = opts.viaSso === false || opts.operator === true ? {} : ssoClaimsFor(spec, email);
    return signToken(opts.foreignKey === true ? foreign : provider, { ...signIn, ...claims }, { issuer, audience, expiresIn: opts.expiresIn ?? "5m" });
  };

  return {
    viaRouter: async (path, init) => (await mf.dispatchFetch(`https://${spec.slug}.apps.tenantry.local${path}`, init as never)) as unknown as Response,
    url,
    direct: async (app, environment, path, init) => (await worker(`app-${app}-${environment}`)).fetch(`https://${spec.slug}.apps.tenantry.local${path}`, init),
    token: sign,
    auditEvents: async () => (await (await services.fetch("https://audit.tenantry.internal/events")).json()) as unknown[],
    egressRequests: async () => (await (await services.fetch("https://egress.tenantry.internal/")).json()) as never,
    trust,
    apiKeys,
    dispose,
  };
}
