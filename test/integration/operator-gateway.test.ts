import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grant, revoke } from "../../cli/commands/operators";
import { startOperatorGateway, type LocalGateway } from "../../local/operator-gateway";
import { grantOperator, listOperators, revokeOperator } from "../../local/operator-allowlist";
import { verifyIdentity } from "../../workers/lib/identity";
import { OPERATOR_IDENTITY_HEADER, OPERATOR_IDENTITY_SIGNATURE_HEADER } from "../../workers/operator-gateway/config";
import type { OperatorIdentity } from "../../workers/operator-gateway/gateway";

/*
 * The operator gateway in workerd, with its allowlist in D1, judged as the operator adversary:
 * a product-domain token is refused, an address off the list is refused, a grant admits on the
 * next request and a revocation or an expiry refuses the very next one; the console never sees
 * the operator's token, only the gateway's signed identity.
 */

let gateway: LocalGateway;
beforeAll(async () => {
  gateway = await startOperatorGateway();
}, 60_000);
afterAll(async () => gateway?.dispose());

const claims = (email: string) => ({ sub: `op-${email}`, email });
const statusOf = async (token: string, path = "/orgs/acme", init: RequestInit = {}) =>
  (await gateway.viaGateway(path, { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${token}` } })).status;

describe("the operator gateway in workerd", () => {
  it("answers 401 to a product-domain token, a forged one, an expired one and none, even for an address on the list", async () => {
    const db = await gateway.allowlist();
    await grantOperator(db, { email: "listed@ops.example", role: "admin", grantedBy: "lead@ops.example" });
    const product = await gateway.token(claims("listed@ops.example"), { issuer: "https://id.tenantry.local/", audience: "acme-apps" });
    const forged = await gateway.token(claims("listed@ops.example"), { foreignKey: true });
    const expired = await gateway.token(claims("listed@ops.example"), { expiresIn: "-1m" });
    for (const token of [product, forged, expired]) expect(await statusOf(token)).toBe(401);
    expect((await gateway.viaGateway("/orgs/acme")).status).toBe(401);
    // The control: the same address with an operator token passes.
    expect(await statusOf(await gateway.token(claims("listed@ops.example")))).toBe(200);
  });

  it("answers 403 to a verified operator who is not on the allowlist", async () => {
    expect(await statusOf(await gateway.token(claims("stranger@ops.example")))).toBe(403);
  });

  it("admits on the request after a grant, and refuses the very next request after a revocation", async () => {
    const db = await gateway.allowlist();
    const token = await gateway.token(claims("Support@Ops.Example"));
    expect(await statusOf(token)).toBe(403);
    await grantOperator(db, { email: "support@ops.example", role: "support-read", grantedBy: "lead@ops.example" });
    expect(await statusOf(token)).toBe(200);
    expect(await statusOf(token)).toBe(200);
    await revokeOperator(db, "support@ops.example");
    expect(await statusOf(token)).toBe(403);
  });

  it("refuses an entry once its expiry passes, with the same token that passed before it", async () => {
    const db = await gateway.allowlist();
    const token = await gateway.token(claims("temp@ops.example"));
    await grantOperator(db, { email: "temp@ops.example", role: "support-write", expiresAt: Date.now() + 1_500, grantedBy: "lead@ops.example" });
    expect(await statusOf(token)).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1_600));
    expect(await statusOf(token)).toBe(403);
    await grantOperator(db, { email: "old@ops.example", role: "admin", expiresAt: Date.now() - 1, grantedBy: "lead@ops.example" });
    expect(await statusOf(await gateway.token(claims("old@ops.example")))).toBe(403);
  });

  it("lets support-read only read, and keeps /admin for admins", async () => {
    const db = await gateway.allowlist();
    await grantOperator(db, { email: "reader@ops.example", role: "support-read", grantedBy: "lead@ops.example" });
    const token = await gateway.token(claims("reader@ops.example"));
    expect(await statusOf(token, "/orgs/acme", { method: "POST", body: "{}" })).toBe(403);
    expect(await statusOf(token, "/admin/users")).toBe(403);
  });

  it("passes the console no token, cookie or client identity header, only its own signed identity", async () => {
    const db = await gateway.allowlist();
    await grantOperator(db, { email: "writer@ops.example", role: "support-write", grantedBy: "lead@ops.example" });
    const token = await gateway.token(claims("writer@ops.example"));
    const response = await gateway.viaGateway("/orgs/acme?access_token=leak&q=1", {
      headers: { authorization: `Bearer ${token}`, cookie: "session=x", [OPERATOR_IDENTITY_HEADER]: "forged", "x-forwarded-email": "admin@ops.example", accept: "application/json" },
    });
    expect(response.status).toBe(200);
    const seen = (await response.json()) as { host: string; path: string; headers: Record<string, string> };
    expect(seen.host).toBe(new URL(gateway.trust.consoleOrigin).host);
    expect(seen.path).toBe("/orgs/acme?q=1");
    expect(JSON.stringify(seen)).not.toContain(token);
    expect(seen.headers.authorization).toBeUndefined();
    expect(seen.headers.cookie).toBeUndefined();
    expect(seen.headers["x-forwarded-email"]).toBeUndefined();
    expect(seen.headers.accept).toBe("application/json");
    const identity = await verifyIdentity<OperatorIdentity>(seen.headers[OPERATOR_IDENTITY_HEADER] ?? "", seen.headers[OPERATOR_IDENTITY_SIGNATURE_HEADER] ?? "", gateway.identityKey, Date.now() / 1000);
    expect(identity).toMatchObject({ email: "writer@ops.example", role: "support-write" });
  });

  it("records every decision in the audit sink with its reason, and never a token", async () => {
    const token = await gateway.token(claims("audited@ops.example"));
    expect(await statusOf(token)).toBe(403);
    const events = await gateway.auditEvents();
    const mine = events.filter((e) => e.operator === "audited@ops.example");
    expect(mine).toEqual([expect.objectContaining({ kind: "operator-gateway", decision: "deny", reason: "not on the allowlist", status: 403 })]);
    expect(events.some((e) => e.decision === "allow")).toBe(true);
    expect(events.filter((e) => e.status === 401).length).toBeGreaterThanOrEqual(4);
    expect(JSON.stringify(events)).not.toMatch(/eyJ[\w-]+\.[\w-]+\./);
  });

  it("admits no one when it has no audit sink bound: 503, even for an admin on the list", async () => {
    const unaudited = await startOperatorGateway({ controlVariant: { auditBound: false } });
    try {
      await grantOperator(await unaudited.allowlist(), { email: "admin@ops.example", role: "admin", grantedBy: "lead@ops.example" });
      const token = await unaudited.token(claims("admin@ops.example"));
      expect((await unaudited.viaGateway("/orgs/acme", { headers: { authorization: `Bearer ${token}` } })).status).toBe(503);
    } finally {
      await unaudited.dispose();
    }
  }, 60_000);

  it("lists what was granted, with role, expiry and who granted it", async () => {
    const listed = await listOperators(await gateway.allowlist());
    expect(listed.find((e) => e.email === "writer@ops.example")).toMatchObject({ role: "support-write", expiresAt: null, grantedBy: "lead@ops.example" });
    expect(listed.find((e) => e.email === "support@ops.example")).toBeUndefined();
  });
});

describe("tenantry operators, locally", () => {
  it("grants into the allowlist the local gateway reads, and a revoke refuses that gateway's next request", async () => {
    const project = mkdtempSync(join(tmpdir(), "tenantry-operators-"));
    const write = process.stdout.write;
    process.stdout.write = (() => true) as typeof process.stdout.write;
    try {
      expect(await grant("Lead@Ops.Example", { role: "admin", grantedBy: "cto@ops.example" }, project)).toBe(0);
      expect(await grant("x@ops.example", { role: "root", grantedBy: "cto@ops.example" }, project)).toBe(2);
      const persisted = await startOperatorGateway({ persistTo: join(project, ".tenantry", "operator-allowlist") });
      try {
        const token = await persisted.token(claims("lead@ops.example"));
        const through = async () => (await persisted.viaGateway("/admin/users", { headers: { authorization: `Bearer ${token}` } })).status;
        expect(await through()).toBe(200);
        expect(await revoke("lead@ops.example", {}, project)).toBe(0);
        expect(await through()).toBe(403);
      } finally {
        await persisted.dispose();
      }
    } finally {
      process.stdout.write = write;
      rmSync(project, { recursive: true, force: true });
    }
  }, 60_000);
});
