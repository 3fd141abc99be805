import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach } from "vitest";
import type { AllowlistStatement } from "../../workers/lib/operator-allowlist-sql";

/*
 * A local stand-in for Cloudflare's D1 query route (`POST /client/v4/accounts/<account>/d1/
 * database/<id>/query`, bearer token, `{ sql, params }` body with text params), for the
 * `--remote` paths of `tenantry operators` and `tenantry keys`. It checks what Cloudflare would,
 * records every request, and runs the statement on a real D1 in workerd (`run`), answering in
 * Cloudflare's v4 envelope. Cloudflare's real API is not reached.
 */

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization: string | undefined;
  readonly contentType: string | undefined;
  readonly body: AllowlistStatement;
}

export interface D1StandIn {
  /** What `RemoteEndpoint.apiBase` takes. */
  readonly apiBase: string;
  /** The path a request for the stand-in's account and database has. */
  readonly queryPath: string;
  /** Every request, in order; empty it between tests with `received.length = 0`. */
  readonly received: ReceivedRequest[];
  readonly close: () => Promise<void>;
}

async function bodyOf(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** What Cloudflare's route answers: the v4 envelope, one result per statement. */
const envelope = (status: number, body: object) => ({ status, body: JSON.stringify(body) });
const refusal = (status: number, code: number, message: string) => envelope(status, { success: false, errors: [{ code, message }], result: [] });

export async function startD1StandIn(route: { account: string; database: string; token: string }, run: (statement: AllowlistStatement) => Promise<unknown[]>): Promise<D1StandIn> {
  const queryPath = `/client/v4/accounts/${route.account}/d1/database/${route.database}/query`;
  const received: ReceivedRequest[] = [];
  const server = createServer((request, response) => {
    void (async () => {
      const text = await bodyOf(request);
      const body = JSON.parse(text || "{}") as AllowlistStatement;
      received.push({ method: request.method ?? "", path: request.url ?? "", authorization: request.headers.authorization, contentType: request.headers["content-type"], body });
      const answer = request.method !== "POST" || request.url !== queryPath ? refusal(404, 7003, "Could not route to the requested resource")
        : request.headers.authorization !== `Bearer ${route.token}` ? refusal(403, 10000, "Authentication error")
        : !Array.isArray(body.params) || body.params.some((p) => typeof p !== "string") ? refusal(400, 7400, "params must be strings")
        : await run(body).then(
          (results) => envelope(200, { success: true, errors: [], messages: [], result: [{ success: true, results, meta: {} }] }),
          (error: unknown) => refusal(400, 7500, String(error)),
        );
      response.writeHead(answer.status, { "content-type": "application/json" }).end(answer.body);
    })().catch((error: unknown) => {
      // The stand-in itself failed: answer, so the command fails at once instead of waiting forever.
      if (!response.headersSent) response.writeHead(500, { "content-type": "application/json" });
      response.end(JSON.stringify({ success: false, errors: [{ code: 0, message: `stand-in failed: ${String(error)}` }], result: [] }));
    });
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  return {
    apiBase: `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`,
    queryPath,
    received,
    close: () => new Promise((closed) => server.close(() => closed())),
  };
}

/**
 * stdout and stderr of the commands a test runs in-process, from `capture()` on; after each test
 * they are restored, and CLOUDFLARE_API_TOKEN (which the --remote tests set) is removed.
 */
export function commandOutput(): { readonly capture: () => void; readonly out: () => string; readonly err: () => string; readonly reset: () => void } {
  const original = { out: process.stdout.write, err: process.stderr.write };
  let out = "";
  let err = "";
  const restore = () => {
    process.stdout.write = original.out;
    process.stderr.write = original.err;
  };
  afterEach(() => {
    restore();
    delete process.env["CLOUDFLARE_API_TOKEN"];
  });
  const reset = () => {
    out = "";
    err = "";
  };
  return {
    capture: () => {
      reset();
      process.stdout.write = ((chunk: string) => ((out += chunk), true)) as typeof process.stdout.write;
      process.stderr.write = ((chunk: string) => ((err += chunk), true)) as typeof process.stderr.write;
    },
    out: () => out,
    err: () => err,
    reset,
  };
}
