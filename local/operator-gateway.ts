import { randomBytes } from "node:crypto";
import type { JWTPayload } from "jose";
import { bundleSource, type WorkerName } from "../workers/build";
import type { GatewayConfig } from "../workers/operator-gateway/config";
import { ephemeralSigningKey, signToken } from "./identity-key";
import { d1QueryRoute } from "./d1-query-worker";
import { migrateAllowlist, type AllowlistStore } from "./operator-allowlist";
import { startOwnedMiniflare } from "./owned-miniflare";

/*
 * The operator gateway in workerd (miniflare), offline: the real gateway bundle, its allowlist
 * in a local D1, the audit sink stand-in, and a stand-in console that answers with what it
 * received. Operator tokens come from a local operator identity provider whose key lives here.
 */

const COMPATIBILITY_DATE = "2025-09-01";

export interface LocalGatewayTrust {
  readonly consoleOrigin: string;
  readonly issuer: string;
  readonly audience: string;
}

export interface LocalGateway {
  /** Sends a request through the gateway, as an operator's browser would. */
  readonly viaGateway: (path: string, init?: RequestInit) => Promise<Response>;
  /** Sends a request through a bare pass-through Worker to the same console (benchmarks only). */
  readonly viaPassThrough: (path: string, init?: RequestInit) => Promise<Response>;
  /** A token of the operator identity provider; `issuer`/`audience` override it (a product-domain token). */
  readonly token: (claims: JWTPayload & { email?: string }, options?: { issuer?: string; audience?: string; expiresIn?: string | number; foreignKey?: boolean }) => Promise<string>;
  /** The gateway's allowlist store, as `tenantry operators` reaches it locally. */
  readonly allowlist: () => Promise<AllowlistStore>;
  readonly auditEvents: () => Promise<Record<string, unknown>[]>;
  /** The key the console checks the injected identity with. */
  readonly identityKey: string;
  readonly trust: LocalGatewayTrust;
  readonly dispose: () => Promise<void>;
}

export const LOCAL_OPERATOR_TRUST: LocalGatewayTrust = {
  consoleOrigin: "https://console.tenantry.local",
  issuer: "https://operators.tenantry.local/",
  audience: "tenantry-operator-console",
};

export interface GatewayOptions {
  readonly trust?: LocalGatewayTrust;
  /** The allowlist's folder when it must outlive the process (the local state's, which `tenantry operators` manages). */
  readonly persistTo?: string;
  /** The caller handles SIGINT and SIGTERM itself (as the CLI's proof does): Miniflare's handlers, which exit at once, are taken back. */
  readonly callerHandlesSignals?: boolean;
  /**
   * For the proof's controls only: the gateway's script, in place of the built bundle (a variant
   * with one guard taken out), and whether it is bound to the audit sink at all.
   */
  readonly controlVariant?: { readonly script?: string; readonly auditBound?: boolean };
}

export async function startOperatorGateway(options: GatewayOptions = {}): Promise<LocalGateway> {
  const trust = options.trust ?? LOCAL_OPERATOR_TRUST;
  const module = (name: WorkerName) => [{ type: "ESModule" as const, path: `${name}.mjs`, contents: bundleSource(name) }];
  const gatewayModule = options.controlVariant?.script === undefined ? module("operator-gateway")
    : [{ type: "ESModule" as const, path: "operator-gateway.mjs", contents: options.controlVariant.script }];
  const provider = await ephemeralSigningKey();
  const foreign = await ephemeralSigningKey();
  const identityKey = randomBytes(32).toString("base64url");
  const config: GatewayConfig = { ...trust, algorithms: ["ES256"], jwks: { keys: [provider.publicJwk] } };

  const allowlistDatabases = { ALLOWLIST: "operator-allowlist" };
  const queryRoute = d1QueryRoute(allowlistDatabases);
  const { mf, dispose } = await startOwnedMiniflare("tenantry-gateway-", {
    workers: [
      {
        name: "operator-gateway",
        modules: gatewayModule,
        compatibilityDate: COMPATIBILITY_DATE,
        bindings: { GATEWAY_CONFIG: config as unknown as Record<string, never> },
        d1Databases: allowlistDatabases,
        wrappedBindings: { IDENTITY_HMAC_KEY: { scriptName: "shim-secret", entrypoint: "secretsStoreSecret", bindings: { value: identityKey } } },
        serviceBindings: options.controlVariant?.auditBound === false ? {} : { AUDIT: { name: "shim-services", entrypoint: "auditSink" } },
        // Every fetch of the gateway lands on the stand-in console, whatever host it names.
        outboundService: { name: "shim-services", entrypoint: "operatorConsole" },
      },
      {
        // The benchmark's anchor: a Worker that forwards to the same console and decides nothing.
        name: "bare-pass-through",
        modules: [{ type: "ESModule" as const, path: "pass-through.mjs", contents: "export default { fetch: (request) => fetch(request) };" }],
        compatibilityDate: COMPATIBILITY_DATE,
        outboundService: { name: "shim-services", entrypoint: "operatorConsole" },
      },
      { name: "shim-secret", modules: module("local-shims") },
      { name: "shim-services", modules: module("local-shims"), compatibilityDate: COMPATIBILITY_DATE, bindings: { SECRET_VALUES: {} } },
      queryRoute.worker,
    ],
    // The allowlist outlives the process only when asked (`tenantry operators` keeps it in the local state).
    ...(options.persistTo === undefined ? {} : { d1Persist: options.persistTo }),
    host: "127.0.0.1",
    handleRuntimeStdio: process.env.TENANTRY_DEBUG ? undefined : (stdout: NodeJS.ReadableStream, stderr: NodeJS.ReadableStream) => { stdout.resume(); stderr.resume(); },
  }, { callerHandlesSignals: options.callerHandlesSignals === true, prepare: async (running) => migrateAllowlist(queryRoute.storeOf(running, "ALLOWLIST")) });
  const passThrough = mf.getWorker("bare-pass-through") as unknown as Promise<{ fetch(url: string, init?: RequestInit): Promise<Response> }>;
  const services = (await mf.getWorker("shim-services")) as unknown as { fetch(url: string): Promise<Response> };
  return {
    viaGateway: async (path, init) => (await mf.dispatchFetch(`https://gateway.tenantry.local${path}`, init as never)) as unknown as Response,
    viaPassThrough: async (path, init) => (await passThrough).fetch(`https://console.tenantry.local${path}`, init),
    token: (claims, opts = {}) => signToken(opts.foreignKey === true ? foreign : provider, claims, { issuer: opts.issuer ?? trust.issuer, audience: opts.audience ?? trust.audience, expiresIn: opts.expiresIn ?? "5m" }),
    allowlist: async () => queryRoute.storeOf(mf, "ALLOWLIST"),
    auditEvents: async () => (await (await services.fetch("https://audit.tenantry.internal/events")).json()) as Record<string, unknown>[],
    identityKey,
    trust,
    dispose,
  };
}
