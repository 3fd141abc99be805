import { describe, expect, it } from "vitest";
import { acmeEdgeForThisFile, bearer, STRIPE_KEY } from "../helpers/acme-edge";

/*
 * Secrets by reference at the edge: no app holds a secret; the outbound Worker substitutes one
 * only for its environment, host and header, audits it without the value, and hands none back.
 */

const acme = acmeEdgeForThisFile();

describe("secrets through the outbound Worker", () => {
  const call = (environment: string, host: string, secret: string, scheme = "https"): Promise<Response> =>
    acme.edge.viaRouter(`/${environment}/storefront/call?host=${host}&secret=${secret}&scheme=${scheme}`, bearer(acme.developer));

  it("no app holds a secret binding", async () => {
    expect(await (await acme.edge.viaRouter("/prod/storefront/env", bearer(acme.developer))).json()).toEqual({ bindings: [] });
  });

  it("substitutes an in-scope secret only for its allowlisted host, and audits it without the value", async () => {
    expect((await call("prod", "api.stripe.com", "STRIPE_API_KEY")).status).toBe(200);
    const sent = (await acme.edge.egressRequests()).filter((r) => r.host === "api.stripe.com");
    expect(sent.at(-1)?.headers["authorization"]).toBe(`Bearer ${STRIPE_KEY}`);
    // The router's identity stays inside the platform.
    expect(sent.at(-1)?.headers["x-tenantry-identity"]).toBeUndefined();
    const events = await acme.edge.auditEvents();
    expect(events.at(-1)).toMatchObject({ kind: "secret.resolve", org: "acme", app: "storefront", environment: "prod", actor: "dev@acme.com", secret: "STRIPE_API_KEY", host: "api.stripe.com", decision: "resolved" });
    expect(JSON.stringify(events)).not.toContain(STRIPE_KEY);
  });

  it("hands no secret back to the app, even from an allowlisted host that echoes it", async () => {
    const response = await call("prod", "echo.example", "STRIPE_API_KEY");
    expect(response.status).toBe(200);
    expect((await acme.edge.egressRequests()).at(-1)?.headers["authorization"]).toBe(`Bearer ${STRIPE_KEY}`);
    const body = await response.text();
    expect(body).toContain("[redacted by tenantry]");
    expect(body + JSON.stringify(Object.fromEntries(response.headers))).not.toContain(STRIPE_KEY);
  });

  it("sends no identity header to a destination, with or without a secret", async () => {
    expect((await acme.edge.viaRouter("/prod/storefront/plain", bearer(acme.developer))).status).toBe(200);
    expect(Object.keys((await acme.edge.egressRequests()).at(-1)?.headers ?? {}).filter((h) => h.startsWith("x-tenantry-identity"))).toEqual([]);
  });

  it("refuses a secret on another port, in a header not named for a credential, or beside a refused one, reading no value", async () => {
    const before = (await acme.edge.auditEvents()).length;
    expect((await call("prod", "api.stripe.com:8443", "STRIPE_API_KEY")).status).toBe(403);
    expect((await acme.edge.viaRouter("/prod/storefront/call?host=api.stripe.com&secret=STRIPE_API_KEY&header=user-agent", bearer(acme.developer))).status).toBe(403);
    expect((await acme.edge.viaRouter("/prod/storefront/call?host=api.stripe.com&secret=STRIPE_API_KEY&also=DATABASE_URL", bearer(acme.developer))).status).toBe(403);
    const events = (await acme.edge.auditEvents()).slice(before) as { decision: string; reason: string; secret: string }[];
    expect(events.map((e) => [e.secret, e.decision, e.reason])).toEqual([
      ["STRIPE_API_KEY", "refused", "port 8443 is not the host's https port"],
      ["STRIPE_API_KEY", "refused", "header user-agent may not carry a secret (only authorization or a credential-named header)"],
      ["DATABASE_URL", "refused", "host api.stripe.com is not on the secret's allowlist"],
    ]);
  });

  it("refuses and audits a secret of another environment, a host off the allowlist, and plain http", async () => {
    const before = (await acme.edge.egressRequests()).length;
    expect((await call("dev", "api.stripe.com", "STRIPE_API_KEY")).status).toBe(403);
    expect((await call("prod", "attacker.example", "STRIPE_API_KEY")).status).toBe(403);
    expect((await call("prod", "api.stripe.com", "STRIPE_API_KEY", "http")).status).toBe(403);
    expect((await call("prod", "api.stripe.com", "NO_SUCH_SECRET")).status).toBe(403);
    expect((await acme.edge.egressRequests()).length).toBe(before);
    const refusals = (await acme.edge.auditEvents()).slice(-4) as { decision: string; reason: string; environment: string; correlationId: string }[];
    expect(refusals.map((e) => [e.environment, e.decision, e.reason])).toEqual([
      ["dev", "refused", "no such secret in this environment"],
      ["prod", "refused", "host attacker.example is not on the secret's allowlist"],
      ["prod", "refused", "only https destinations receive secrets"],
      ["prod", "refused", "no such secret in this environment"],
    ]);
    expect(refusals.every((e) => /^[0-9a-f-]{36}$/.test(e.correlationId))).toBe(true);
  });
});
