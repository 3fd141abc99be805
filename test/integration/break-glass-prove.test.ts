import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { attempt } from "../../local/attempt";
import type { ClaimResult } from "../../local/proof/claim";
import { proveLocal } from "../../local/prove-local";
import type { ServerInfo } from "../../local/server";
import { upLocal, type LocalStack } from "../../local/up";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * `prove --local` with break-glass on (local/proof/break-glass-claims.ts), for a write org and a
 * read org applied to the embedded server, then once more for the write org with every guard of
 * those claims removed by the superuser: each claim must then fail. The example stacks keep
 * break-glass off; their proof says there is no break-glass login (prove.test.ts).
 */

const expiresAt = () => new Date(Date.now() + 3 * 3_600_000).toISOString();
function stackFor(slug: string, access: "read" | "write"): LocalStack {
  return localStack(writeStackFile({
    slug, tier: "production", environments: ["dev", "prod"], workspaces: [{ slug: "web" }], claimedDomains: [`${slug}.example`],
    breakGlass: { enabled: true, grantee: `oncall@${slug}.example`, reason: "restore billing after incident 42", expiresAt: expiresAt(), environment: "prod", access },
  }), `${slug}-prove`);
}

const writer = stackFor("bgwrite", "write");
const reader = stackFor("bgread", "read");
let server: ServerInfo;
const proofs: Record<string, ClaimResult[]> = {};
const breakGlassRows = (results: readonly ClaimResult[]) => results.filter((r) => /break-glass/.test(r.claim) || /^the same login logs in again/.test(r.claim));

beforeAll(async () => {
  await upLocal(writer);
  await upLocal(reader);
  server = JSON.parse(readFileSync(writer.paths.serverFile, "utf8")) as ServerInfo;
  proofs["bgwrite"] = await proveLocal(writer);
  proofs["bgread"] = await proveLocal(reader);
}, 300_000);

function statusOf(results: readonly ClaimResult[], claim: RegExp): string[] {
  const rows = results.filter((r) => claim.test(r.claim));
  expect(rows.length, String(claim)).toBeGreaterThan(0);
  return [...new Set(rows.map((r) => r.status))];
}

describe("prove --local with break-glass on", () => {
  it("holds every break-glass claim for access write, logged in as the break-glass login", () => {
    const rows = breakGlassRows(proofs["bgwrite"]!);
    expect(rows.filter((r) => r.status !== "pass")).toEqual([]);
    expect(statusOf(rows, /^the break-glass grant is in the ledger/)).toEqual(["pass"]);
    expect(statusOf(rows, /can read its environment's \(prod\) schemas$/)).toEqual(["pass"]);
    expect(statusOf(rows, /with access write can INSERT, UPDATE and DELETE there$/)).toEqual(["pass"]);
    expect(rows.filter((r) => /cannot read or write another environment's \(dev\) schema$/.test(r.claim))).toHaveLength(2);
    expect(rows.filter((r) => /cannot read or write the audit ledger or its grant$/.test(r.claim))).toHaveLength(4);
    expect(rows.filter((r) => /cannot do DDL/.test(r.claim))).toHaveLength(6);
    expect(statusOf(rows, /^a change by the break-glass login is in the ledger under break-glass:<grantee>/)).toEqual(["pass"]);
    expect(rows.find((r) => /^a change by the break-glass login/.test(r.claim))?.result).toBe("recorded as break-glass:oncall@bgwrite.example");
    expect(statusOf(rows, /is refused once its VALID UNTIL has passed$/)).toEqual(["pass"]);
    expect(statusOf(rows, /^the break-glass login's VALID UNTIL is exactly the spec's breakGlass\.expiresAt$/)).toEqual(["pass"]);
    expect(statusOf(rows, /^the same login logs in again/)).toEqual(["pass"]);
    expect(rows.find((r) => /^a break-glass session opened before its VALID UNTIL is ended by the enforcer/.test(r.claim))?.result).toMatch(/^ended (57P01|connection-ended)/);
    // The rest of the posture holds with break-glass on.
    expect(proofs["bgwrite"]!.filter((r) => r.status === "fail")).toEqual([]);
  });

  it("holds for access read: it reads its environment and every write there is refused (42501); the actor claim is skipped, saying why", () => {
    const rows = breakGlassRows(proofs["bgread"]!);
    expect(statusOf(rows, /can read its environment's \(prod\) schemas$/)).toEqual(["pass"]);
    expect(rows.filter((r) => /with access read cannot write there$/.test(r.claim)).map((r) => r.result)).toEqual(["refused 42501", "refused 42501", "refused 42501"]);
    expect(rows.filter((r) => r.status === "fail")).toEqual([]);
    expect(rows.find((r) => /^a change by the break-glass login/.test(r.claim))).toMatchObject({ status: "skip", result: expect.stringContaining("access read") });
  });

  it("leaves the login's declared expiry in place after the expiry claim", async () => {
    const until = await attempt(server, { user: server.user, password: server.password }, "postgres",
      [`SELECT rolvaliduntil = '${readFileSync(writer.stackFile.path, "utf8").match(/expiresAt: "?([^"\n]+)"?/)![1]}'::timestamptz AS declared FROM pg_roles WHERE rolname = 'tn_bgwrite_breakglass'`]);
    expect(until.rows).toEqual([{ declared: true }]);
  });
});

describe("control: with each guard of the break-glass claims removed", () => {
  let rows: ClaimResult[];
  let readRows: ClaimResult[];
  beforeAll(async () => {
    const superuser = { user: server.user, password: server.password };
    const removed = await attempt(server, superuser, "tn_bgwrite", [
      // The scope: DDL in its schema, another environment's tables, the ledger.
      "GRANT CREATE ON SCHEMA web_prod TO tn_bgwrite_breakglass",
      "GRANT USAGE ON SCHEMA web_dev TO tn_bgwrite_breakglass",
      "ALTER DEFAULT PRIVILEGES FOR ROLE tn_bgwrite_dev_ddl IN SCHEMA web_dev GRANT SELECT, INSERT ON TABLES TO tn_bgwrite_breakglass",
      "ALTER DEFAULT PRIVILEGES FOR ROLE tn_bgwrite_dev_ddl IN SCHEMA web_dev GRANT USAGE ON SEQUENCES TO tn_bgwrite_breakglass",
      "GRANT USAGE ON SCHEMA audit TO tn_bgwrite_breakglass",
      "GRANT SELECT ON audit.events TO tn_bgwrite_breakglass",
      // The actor: the function before issue 16, which honours the session's own SET.
      `CREATE OR REPLACE FUNCTION audit.actor() RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
        SELECT left(coalesce(nullif(btrim(current_setting('tenantry.actor', true)), ''), session_user::text), 256) $fn$`,
      // The recorded grant: revoked in the ledger's table behind the platform's back.
      "UPDATE audit.break_glass_grants SET revoked_at = now() WHERE revoked_at IS NULL",
      // The expiry: a login that never expires (Postgres would still refuse a passed one).
      "ALTER ROLE tn_bgwrite_breakglass VALID UNTIL 'infinity'",
      // The ledger's writes: the grant table and the events table, granted outright.
      "GRANT UPDATE ON audit.break_glass_grants TO tn_bgwrite_breakglass",
      "GRANT INSERT ON audit.events TO tn_bgwrite_breakglass",
      // INSERT alone is still refused by the ledger's row-level security: a policy that admits the login too.
      "CREATE POLICY proof_control_insert ON audit.events FOR INSERT TO tn_bgwrite_breakglass WITH CHECK (true)",
    ]);
    expect(removed.code, removed.message).toBeUndefined();
    rows = breakGlassRows(await proveLocal(writer));
    // The read login, made a member of its environment's runtime role (which writes there).
    const widened = await attempt(server, superuser, "tn_bgread", ["GRANT tn_bgread_prod_runtime TO tn_bgread_breakglass"]);
    expect(widened.code, widened.message).toBeUndefined();
    readRows = breakGlassRows(await proveLocal(reader));
  }, 300_000);

  it("the grant claim fails once the live grant is gone", () => expect(statusOf(rows, /^the break-glass grant is in the ledger/)).toEqual(["fail"]));
  it("the DDL claim fails on CREATE VIEW once the login may CREATE in its schema", () => {
    expect(rows.find((r) => /cannot do DDL/.test(r.claim) && r.attempt.includes("CREATE VIEW"))?.status).toBe("fail");
  });
  it("the other-environment claim fails once the login reaches the dev schema", () => {
    expect(statusOf(rows, /cannot read or write another environment's \(dev\) schema$/)).toEqual(["fail"]);
  });
  it("the ledger claim fails on SELECT once the login may read audit.events", () => {
    expect(rows.find((r) => /cannot read or write the audit ledger/.test(r.claim) && r.attempt.includes("SELECT count(*) FROM audit.events"))?.status).toBe("fail");
  });
  it("the declared-expiry claim fails once the login's VALID UNTIL is 'infinity'", () => {
    expect(rows.find((r) => /^the break-glass login's VALID UNTIL is exactly the spec's/.test(r.claim))).toMatchObject({ status: "fail", result: "VALID UNTIL infinity" });
  });
  it("the ledger claim fails on UPDATE of the grants table once the login may UPDATE it", () => {
    expect(rows.find((r) => /cannot read or write the audit ledger/.test(r.claim) && r.attempt.includes("UPDATE audit.break_glass_grants"))?.status).toBe("fail");
  });
  it("the ledger claim fails on INSERT INTO audit.events once the login may insert there (privilege and row-level security policy)", () => {
    expect(rows.find((r) => /cannot read or write the audit ledger/.test(r.claim) && r.attempt.includes("INSERT INTO audit.events"))?.status).toBe("fail");
  });
  it("the read claim fails on every write once the read login is a member of the environment's runtime role", () => {
    expect(readRows.filter((r) => /with access read cannot write there$/.test(r.claim)).map((r) => r.status)).toEqual(["fail", "fail", "fail"]);
  });
  it("the actor claim fails, naming the actor the login SET, once the actor function honours its SET", () => {
    expect(rows.find((r) => /^a change by the break-glass login/.test(r.claim))).toMatchObject({ status: "fail", result: 'recorded as ["ceo@proof.invalid"]' });
  });
});
