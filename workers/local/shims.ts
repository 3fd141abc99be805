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

const recorded: unknown[] = [];

/** The org's audit sink: POST /events records one, GET /events lists them. */
export const auditSink = {
  async fetch(request: Request): Promise<Response> {
    if (request.method === "POST") {
      recorded.push(await request.json());
      return new Response(null, { status: 204 });
    }
    return Response.json(recorded);
  },
};

/**
 * The network beyond the outbound Worker: AWS Secrets Manager (answers GetSecretValue for signed
 * requests from `env.SECRET_VALUES`) and any other host, which echoes what it received.
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
    return Response.json({ host: url.hostname, headers: Object.fromEntries(request.headers) });
  },
};
