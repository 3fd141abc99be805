import type { Fetcher } from "../lib/bindings";

/*
 * Stand-ins for Cloudflare services that have no offline implementation, used only by the local
 * run (miniflare/workerd). Each is exported for one miniflare wrapped binding or worker.
 */

/** A `dispatch_namespace` binding over service bindings to the app Workers, named by script. */
export function dispatchNamespace(env: Record<string, Fetcher | undefined>) {
  return {
    get(name: string): Fetcher {
      const worker = env[name];
      // The runtime's own wording for a script that is not in the namespace.
      if (worker === undefined) return { fetch: () => Promise.reject(new Error(`Worker not found: ${name}`)) };
      return worker;
    },
  };
}

/** A `secrets_store_secret` binding holding `env.value`. */
export function secretsStoreSecret(env: { value: string }) {
  return { get: () => Promise.resolve(env.value) };
}

const auditEvents: unknown[] = [];
const egressRequests: { host: string; path: string; headers: Record<string, string>; body: string }[] = [];

/** The org's audit sink: POST /events records one, GET /events lists them. */
export const auditSink = {
  async fetch(request: Request): Promise<Response> {
    if (request.method === "POST") {
      auditEvents.push(await request.json());
      return new Response(null, { status: 204 });
    }
    return Response.json(auditEvents);
  },
};

/**
 * The network beyond the outbound Worker: AWS Secrets Manager (answers GetSecretValue for signed
 * requests from `env.SECRET_VALUES`) and any other host, which records what it received, body included (read
 * back through the front door, never by the app) and answers 200; `echo.example` answers with
 * the headers it received, as a careless or hostile API might.
 */
export const egress = {
  async fetch(request: Request, env: { SECRET_VALUES: Record<string, string> }): Promise<Response> {
    const url = new URL(request.url);
    if (/^secretsmanager\.[a-z0-9-]+\.amazonaws\.com$/.test(url.hostname)) {
      if (!(request.headers.get("authorization") ?? "").startsWith("AWS4-HMAC-SHA256 ")) return new Response("unsigned", { status: 403 });
      const { SecretId } = (await request.json()) as { SecretId: string };
      const value = env.SECRET_VALUES[SecretId];
      return value === undefined ? new Response("ResourceNotFoundException", { status: 400 }) : Response.json({ SecretString: value });
    }
    egressRequests.push({ host: url.hostname, path: url.pathname, headers: Object.fromEntries(request.headers), body: request.method === "GET" ? "" : await request.clone().text() });
    if (url.hostname === "echo.example") return new Response(JSON.stringify(Object.fromEntries(request.headers)), { headers: { "content-type": "application/json", "x-echo-authorization": request.headers.get("authorization") ?? "" } });
    return new Response("ok\n");
  },
};

/** The stand-in services' own front door, for the local run's reads of the audit sink. */
export default {
  fetch(request: Request, env: { SECRET_VALUES: Record<string, string> }): Promise<Response> {
    const host = new URL(request.url).hostname;
    if (host === "audit.tenantry.internal") return auditSink.fetch(request);
    if (host === "egress.tenantry.internal") return Promise.resolve(Response.json(egressRequests));
    return egress.fetch(request, env);
  },
};

/**
 * A stand-in operator console: answers with what it received (method, path, headers), so a test
 * can see exactly what the gateway let through to the console.
 */
export const operatorConsole = {
  async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    return Response.json({ host: url.host, method: request.method, path: url.pathname + url.search, headers: Object.fromEntries(request.headers) });
  },
};
