import { IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER, REQUEST_ID_HEADER } from "../lib/identity";

/*
 * A sample tenant app, as an org would deploy into its namespace: it shows what reaches it and
 * uses the platform the documented way (identity check and secret placeholders through the
 * outbound Worker). It holds no secret binding; `/env` proves it.
 *   /<env>/<app>/whoami          the URL and every header the app received
 *   /<env>/<app>/verify          asks the outbound Worker whether its identity header is genuine
 *   /<env>/<app>/call?host=H&secret=S   calls https://H/ with `authorization: Bearer {{secret:S}}`
 *   /<env>/<app>/env             the names of its bindings
 *   /<env>/<app>/slow?ms=N       answers after N ms;  /<env>/<app>/boom  throws
 *   /<env>/<app>/emit?type=T     sends event T through the outbound Worker (?raw= sends that body as it is)
 *   /<env>/<app>/received        every request this app received before (method, path, headers, body)
 */

const forwardIdentity = (request: Request) => {
  const headers = new Headers();
  for (const name of [IDENTITY_HEADER, IDENTITY_SIGNATURE_HEADER, REQUEST_ID_HEADER]) {
    const value = request.headers.get(name);
    if (value !== null) headers.set(name, value);
  }
  return headers;
};

/** What reached this app, newest last (bounded): `/received` shows it, so a test can tell that a refused request never arrived. */
const received: { method: string; path: string; headers: Record<string, string>; body: string }[] = [];

export default {
  async fetch(request: Request, env: Record<string, unknown>): Promise<Response> {
    const url = new URL(request.url);
    const action = url.pathname.split("/")[3] ?? "";
    if (action === "received") return Response.json(received);
    if (received.length >= 200) received.shift();
    received.push({ method: request.method, path: url.pathname, headers: Object.fromEntries(request.headers), body: request.method === "GET" ? "" : await request.clone().text() });
    if (action === "whoami") return Response.json({ url: request.url, headers: Object.fromEntries(request.headers) });
    if (action === "env") return Response.json({ bindings: Object.keys(env) });
    if (action === "slow") {
      await new Promise((done) => setTimeout(done, Number(url.searchParams.get("ms") ?? "100")));
      return new Response("slow\n");
    }
    if (action === "boom") throw new Error("sample app failure with internal detail");
    if (action === "plain") {
      // A request without any placeholder: what leaves the platform with it?
      const answer = await fetch("https://api.partner.example/v1/ping", { headers: forwardIdentity(request) });
      return new Response(await answer.text(), { status: answer.status });
    }
    if (action === "emit") {
      // The documented call (docs/webhooks.md): the app names the event type and its data, never a destination.
      const event = url.searchParams.get("raw") ?? JSON.stringify({ type: url.searchParams.get("type") ?? "", data: { sample: true } });
      const answer = await fetch("https://webhooks.tenantry.internal/send", { method: "POST", headers: forwardIdentity(request), body: event });
      return new Response(await answer.text(), { status: answer.status, headers: { "content-type": "application/json" } });
    }
    if (action === "verify") {
      const answer = await fetch("https://identity.tenantry.internal/verify", { headers: forwardIdentity(request) });
      return new Response(await answer.text(), { status: answer.status });
    }
    if (action === "call") {
      const headers = forwardIdentity(request);
      // ?header= puts the placeholder in another header; ?also= adds a second secret.
      headers.set(url.searchParams.get("header") ?? "authorization", `Bearer {{secret:${url.searchParams.get("secret") ?? ""}}}`);
      const also = url.searchParams.get("also");
      if (also !== null) headers.set("x-second-api-key", `{{secret:${also}}}`);
      const answer = await fetch(`${url.searchParams.get("scheme") ?? "https"}://${url.searchParams.get("host") ?? ""}/v1/echo`, { headers });
      return new Response(await answer.text(), { status: answer.status, headers: { "x-upstream-echo": answer.headers.get("x-echo-authorization") ?? "" } });
    }
    return new Response("sample app\n");
  },
};
