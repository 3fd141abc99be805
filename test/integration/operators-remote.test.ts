import fc from "fast-check";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { grant, list, revoke } from "../../cli/commands/operators";
import { grantOperator, listOperators, revokeOperator, type AllowlistStore } from "../../local/operator-allowlist";
import { startOperatorGateway, type LocalGateway } from "../../local/operator-gateway";
import { DELETE_ENTRY_SQL, LIST_ENTRIES_SQL, UPSERT_ENTRY_SQL, type AllowlistStatement } from "../../workers/lib/operator-allowlist-sql";
import { commandOutput, startD1StandIn, type D1StandIn } from "../helpers/d1-stand-in";
import { REPO_DIR } from "../helpers/local";

/*
 * `tenantry operators --remote`, against a local stand-in for Cloudflare's D1 query route that
 * checks what Cloudflare would (method, path, bearer token, a `{ sql, params }` body) and runs
 * the statement on a real D1 in workerd: the local gateway's own allowlist. Cloudflare's real API
 * is not reached here; what is proven is that the route gets exactly the local path's statements,
 * as parameters, and that a gateway reading what they wrote obeys them on its next request.
 */

const ACCOUNT = "0123456789abcdef0123456789abcdef"; // platform/Pulumi.platform.yaml's tenantry:platform.operators.accountId
const DATABASE = "9f1c2b3a-4d5e-4f60-8a7b-0c1d2e3f4a5b";
const TOKEN = "cf-test-token-Zq7vX2kP9mW4tR8yB3nL6";
const QUERY_PATH = `/client/v4/accounts/${ACCOUNT}/d1/database/${DATABASE}/query`;

let gateway: LocalGateway;
let standIn: D1StandIn;
let apiBase: string;
let received: D1StandIn["received"];
/** The local allowlist: the stand-in runs what it receives there, and the assertions read it. */
let db: AllowlistStore;

beforeAll(async () => {
  gateway = await startOperatorGateway();
  db = await gateway.allowlist();
  standIn = await startD1StandIn({ account: ACCOUNT, database: DATABASE, token: TOKEN }, (statement) => db.run(statement));
  ({ apiBase, received } = standIn);
}, 60_000);

afterAll(async () => {
  await standIn?.close();
  await gateway?.dispose();
});

const { capture, out, err, reset } = commandOutput();

const remote = { remote: true, databaseId: DATABASE };
const operatorStatus = async (email: string) =>
  (await gateway.viaGateway("/orgs/acme", { headers: { authorization: `Bearer ${await gateway.token({ sub: `op-${email}`, email })}` } })).status;

/** A store that records each statement and runs it on the local D1: the local path, observed. */
function recording(into: AllowlistStatement[], store: AllowlistStore): AllowlistStore {
  return { run: (statement) => (into.push(statement), store.run(statement)) };
}

describe("tenantry operators --remote, through a stand-in for Cloudflare's D1 query route", () => {
  it("grant, list and revoke POST the local path's own statements and parameters to /accounts/<account>/d1/database/<id>/query, with the bearer token", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    received.length = 0;
    capture();
    const before = Date.now();
    expect(await grant("Remote@Ops.Example", { ...remote, role: "support-write", grantedBy: "lead@ops.example", expiresAt: "2099-01-01T00:00:00Z" }, REPO_DIR, { apiBase })).toBe(0);
    expect(await list({ ...remote, json: true }, REPO_DIR, { apiBase })).toBe(0);
    expect(await revoke("remote@ops.example", remote, REPO_DIR, { apiBase })).toBe(0);
    const after = Date.now();
    expect(err()).toBe("");
    expect(out()).toContain("granted remote@ops.example support-write until 2099-01-01T00:00:00.000Z (production, through Cloudflare's D1 API)");
    expect(out()).toContain('"grantedBy": "lead@ops.example"');

    // The same three operations on the local path, recorded.
    const local: AllowlistStatement[] = [];
    const store = recording(local, db);
    await grantOperator(store, { email: "Remote@Ops.Example", role: "support-write", grantedBy: "lead@ops.example", expiresAt: Date.parse("2099-01-01T00:00:00Z") }, Number(received[0]?.body.params[4]));
    await listOperators(store);
    await revokeOperator(store, "remote@ops.example");

    expect(received.map((r) => [r.method, r.path, r.authorization, r.contentType])).toEqual(Array(3).fill(["POST", QUERY_PATH, `Bearer ${TOKEN}`, "application/json"]));
    expect(received.map((r) => r.body)).toEqual(local);
    expect(received.map((r) => r.body.sql)).toEqual([UPSERT_ENTRY_SQL, LIST_ENTRIES_SQL, DELETE_ENTRY_SQL]);
    expect(received[0]?.body.params).toEqual(["remote@ops.example", "support-write", String(Date.parse("2099-01-01T00:00:00Z")), "lead@ops.example", expect.stringMatching(/^\d+$/)]);
    expect(Number(received[0]?.body.params[4])).toBeGreaterThanOrEqual(before);
    expect(Number(received[0]?.body.params[4])).toBeLessThanOrEqual(after);
  });

  it("changes the allowlist a gateway reads: admitted on the request after a remote grant, refused on the very next after a remote revoke", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    capture();
    expect(await operatorStatus("oncall@ops.example")).toBe(403);
    expect(await grant("oncall@ops.example", { ...remote, role: "admin", grantedBy: "lead@ops.example" }, REPO_DIR, { apiBase })).toBe(0);
    expect(await operatorStatus("oncall@ops.example")).toBe(200);
    expect(await revoke("oncall@ops.example", remote, REPO_DIR, { apiBase })).toBe(0);
    expect(await operatorStatus("oncall@ops.example")).toBe(403);
    // Revoking it again, or a misspelling of it, changed nothing: said so, never "revoked".
    reset();
    for (const typo of ["oncall@ops.example", "oncal@ops.example"]) {
      expect(await revoke(typo, remote, REPO_DIR, { apiBase })).toBe(2);
      expect(err()).toContain(`error: ${typo} is not on the allowlist (production, through Cloudflare's D1 API): nothing was revoked`);
    }
    expect(out()).not.toContain("revoked");
    // An expiry sent as text is stored as the integer the gateway compares.
    expect(await grant("brief@ops.example", { ...remote, role: "admin", grantedBy: "lead@ops.example", expiresAt: new Date(Date.now() + 60_000).toISOString() }, REPO_DIR, { apiBase })).toBe(0);
    const stored = (await listOperators(db)).find((e) => e.email === "brief@ops.example");
    expect(typeof stored?.expiresAt).toBe("number");
    expect(await operatorStatus("brief@ops.example")).toBe(200);
  });

  it("sends whatever an address or grantor says only as a parameter: the SQL is always one of the three statements, and the row holds the text as given", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    // ASCII the allowlist accepts, heavy on SQL's own characters.
    const hostile = fc.string({ unit: fc.constantFrom(..."'\";-()*/=x1 ORDROPTABLE\\%_"), minLength: 1, maxLength: 24 });
    await fc.assert(fc.asyncProperty(hostile.filter((s) => !/[\s]/.test(s)), hostile, async (local, grantor) => {
      fc.pre(grantor.trim() !== "");
      const email = `${local}@ops.example`;
      received.length = 0;
      capture();
      expect(await grant(email, { ...remote, role: "support-read", grantedBy: grantor }, REPO_DIR, { apiBase })).toBe(0);
      const row = (await listOperators(db)).find((e) => e.email === email.toLowerCase());
      expect([row?.email, row?.grantedBy]).toEqual([email.toLowerCase(), grantor]);
      expect(await revoke(email, remote, REPO_DIR, { apiBase })).toBe(0);
      expect(received.map((r) => r.body.sql)).toEqual([UPSERT_ENTRY_SQL, DELETE_ENTRY_SQL]);
    }), { numRuns: 25 });
  }, 60_000);

  it("refuses before any request without a token, with a malformed database id, or with --account-id but no --remote", async () => {
    received.length = 0;
    capture();
    expect(await list(remote, REPO_DIR, { apiBase })).toBe(2);
    expect(err()).toContain("CLOUDFLARE_API_TOKEN must hold a Cloudflare API token");
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    capture();
    expect(await revoke("x@ops.example", { remote: true, databaseId: "../../../accounts/other" }, REPO_DIR, { apiBase })).toBe(2);
    expect(err()).toContain("--database-id must be the allowlist's D1 id");
    capture();
    expect(await list({ accountId: ACCOUNT }, REPO_DIR, { apiBase })).toBe(2);
    expect(err()).toContain("add --remote");
    expect(received).toEqual([]);
  });

  it("reports Cloudflare's refusal with its own error and exit 2, and never prints the token", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = "a-revoked-token";
    capture();
    expect(await grant("x@ops.example", { ...remote, role: "admin", grantedBy: "lead@ops.example" }, REPO_DIR, { apiBase })).toBe(2);
    expect(err()).toBe("error: Cloudflare's D1 API refused the statement: HTTP 403: 10000 Authentication error\n");
    expect(out() + err()).not.toContain("a-revoked-token");
    // Control: the right token passes the same stand-in.
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    expect(await list(remote, REPO_DIR, { apiBase })).toBe(0);
  });

  it("takes the account from the platform stack's config unless --account-id names another", async () => {
    process.env["CLOUDFLARE_API_TOKEN"] = TOKEN;
    received.length = 0;
    capture();
    expect(await list({ ...remote, accountId: "f".repeat(32) }, REPO_DIR, { apiBase })).toBe(2);
    expect(received.map((r) => r.path)).toEqual([`/client/v4/accounts/${"f".repeat(32)}/d1/database/${DATABASE}/query`]);
    const elsewhere = mkdtempSync(join(tmpdir(), "tenantry-no-platform-"));
    try {
      capture();
      expect(await list(remote, elsewhere, { apiBase })).toBe(2);
      expect(err()).toContain("--account-id must be a Cloudflare account id");
    } finally {
      rmSync(elsewhere, { recursive: true, force: true });
    }
  });
});
