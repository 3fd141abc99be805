import { request as httpRequest } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { d1QueryRoute } from "../../local/d1-query-worker";
import { startOwnedMiniflare, type OwnedMiniflare } from "../../local/owned-miniflare";
import { D1RouteError } from "../../remote/d1-http";

/*
 * The local stores' query route: statements reach the bound database through an ordinary
 * asynchronous request, and only from the process that holds the route's token.
 */

/** A request written by hand to the loopback port, with the Host header the route answers (fetch would not send it). */
function rawPost(url: URL, host: string, path: string, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: url.hostname, port: url.port, method: "POST", path, headers: { host, "content-type": "application/json" } }, (response) => {
      let text = "";
      response.setEncoding("utf8").on("data", (chunk: string) => { text += chunk; }).on("end", () => resolve({ status: response.statusCode ?? 0, body: text }));
    });
    request.on("error", reject).end(body);
  });
}

const route = d1QueryRoute({ STORE: "d1-query-route-test" });
let running: OwnedMiniflare<undefined>;

beforeAll(async () => {
  running = await startOwnedMiniflare("tenantry-d1-query-test-", {
    workers: [{ name: "front", modules: true, script: "export default { fetch: () => new Response('front') };" }, route.worker],
    host: "127.0.0.1",
  });
  await route.storeOf(running.mf, "STORE").run({ sql: "CREATE TABLE IF NOT EXISTS kv (k TEXT PRIMARY KEY, v TEXT) STRICT", params: [] });
});
afterAll(async () => running?.dispose());

describe("the local D1 query route", () => {
  it("runs a statement with its parameters bound, never spliced, and answers its rows", async () => {
    const store = route.storeOf(running.mf, "STORE");
    const hostile = "x'); DROP TABLE kv; --";
    await store.run({ sql: "INSERT INTO kv (k, v) VALUES (?1, ?2)", params: ["a", hostile] });
    expect(await store.run({ sql: "SELECT k, v FROM kv ORDER BY k", params: [] })).toEqual([{ k: "a", v: hostile }]);
  });

  it("carries a failing statement's error back as a D1RouteError naming the store", async () => {
    await expect(route.storeOf(running.mf, "STORE").run({ sql: "SELECT * FROM no_such_table", params: [] })).rejects.toThrow(D1RouteError);
    await expect(route.storeOf(running.mf, "STORE").run({ sql: "SELECT * FROM no_such_table", params: [] })).rejects.toThrow(/the local D1 database STORE refused the statement: HTTP 400: 7500 .*no such table/);
  });

  it("refuses a request without the process's token, or with another route's, even on loopback", async () => {
    const statement = JSON.stringify({ sql: "SELECT k, v FROM kv", params: [] });
    const bare = await rawPost(running.url, "d1-query.tenantry.internal", "/query/STORE", statement);
    const viaRoute = await running.mf.dispatchFetch("http://d1-query.tenantry.internal/query/STORE", { method: "POST", body: statement });
    const otherToken = d1QueryRoute({ STORE: "d1-query-route-test" }).storeOf(running.mf, "STORE");
    expect([bare.status, viaRoute.status]).toEqual([403, 403]);
    expect(bare.body).toContain("Authentication error");
    await expect(otherToken.run({ sql: "SELECT k, v FROM kv", params: [] })).rejects.toThrow(/HTTP 403/);
  });

  it("answers 404 for a binding it was not given", async () => {
    await expect(route.storeOf(running.mf, "OTHER").run({ sql: "SELECT 1", params: [] })).rejects.toThrow(/HTTP 404/);
  });

  it("leaves every other host to the first Worker", async () => {
    expect(await (await running.mf.dispatchFetch("https://app.example/")).text()).toBe("front");
  });
});
