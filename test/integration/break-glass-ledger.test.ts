import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { attempt, type Credentials } from "../../local/attempt";
import type { ServerInfo } from "../../local/server";
import { SQLSTATE } from "../../local/sqlstate";
import { readState } from "../../local/state";
import { upLocal, type LocalStack } from "../../local/up";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * Break-glass in the audit ledger, on the embedded server (issue 16 item 2): the platform records
 * the grant once per provisioning and once when it is turned off, no tenant role can write or
 * forge such a record, and every row the break-glass login changes carries the actor
 * break-glass:<grantee> whatever the login SETs. The adversary is the break-glass login itself,
 * with generated actor names and every way a session has to change its own settings.
 */

const ORG = "kilo";
const DATABASE = `tn_${ORG}`;
const ROLE = `tn_${ORG}_breakglass`;
const GRANTEE = `oncall@${ORG}.example`;
const REASON = "restore billing after incident 42 (it's urgent)";
const expiresAt = new Date(Date.now() + 3 * 3_600_000).toISOString();

function stackWith(breakGlass: Record<string, unknown>): LocalStack {
  return localStack(writeStackFile({
    slug: ORG, tier: "production", environments: ["dev", "prod"], workspaces: [{ slug: "web" }], claimedDomains: [`${ORG}.example`], breakGlass,
  }), ORG);
}
const on = () => stackWith({ enabled: true, grantee: GRANTEE, reason: REASON, expiresAt, environment: "prod", access: "write" });
const off = () => stackWith({ enabled: false });

let server: ServerInfo;
const superuser = () => ({ user: server.user, password: server.password });
const asSuperuser = (sql: readonly string[], options: { rollback?: boolean } = {}) => attempt(server, superuser(), DATABASE, sql, options);

function credentialsOf(stack: LocalStack, role: string): Credentials {
  const resource = readState(stack.paths).stacks[`org-${ORG}`]?.resources.find((r) => r.inputs["name"] === role && typeof r.inputs["password"] === "string");
  if (resource === undefined) throw new Error(`no stored password for ${role}`);
  return { user: role, password: resource.inputs["password"] as string };
}

// The ledger's format (audit-writers-sql.ts): the grant's INSERT carries the row in after, its revocation only the key and the diff of revoked_at.
const GRANT_EVENTS = `SELECT operation, actor, after - 'granted_at' - 'revoked_at' AS grant, primary_key, (diff -> 'revoked_at' ->> 'after') IS NOT NULL AS revoked
  FROM audit.events WHERE schema_name = 'audit' AND table_name = 'break_glass_grants' ORDER BY id`;
const RECORDED = { role: ROLE, grantee: GRANTEE, reason: REASON, valid_until: expect.any(String), environment: "prod", access: "write" };

beforeAll(async () => {
  const first = off();
  await upLocal(first);
  server = JSON.parse(readFileSync(first.paths.serverFile, "utf8")) as ServerInfo;
  // A table that exists before break-glass is provisioned, so its grants reach it.
  const ddl = credentialsOf(first, `tn_${ORG}_prod_ddl`);
  const created = await attempt(server, ddl, DATABASE, ["CREATE TABLE web_prod.accounts (id int PRIMARY KEY, note text)", "INSERT INTO web_prod.accounts VALUES (1, 'a')"]);
  expect(created.code).toBeUndefined();
});

describe("the break-glass grant in the audit ledger", () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = on();
    await upLocal(stack);
  });

  it("records one INSERT event with grantee, reason, expiry, environment and access when it is provisioned, written by the platform", async () => {
    const events = await asSuperuser([GRANT_EVENTS]);
    expect(events.rows).toEqual([{ operation: "INSERT", actor: server.user, grant: RECORDED, primary_key: { id: expect.any(Number) }, revoked: false }]);
    expect(Date.parse((events.rows[0]!["grant"] as { valid_until: string }).valid_until)).toBe(Date.parse(expiresAt));
  });

  it("writes no second event when the unchanged spec is applied again, nor when the ledger's migration is re-run by hand", async () => {
    expect((await upLocal(on())).changes).toEqual([]);
    const migration = readState(stack.paths).stacks[`org-${ORG}`]!.resources.find((r) => r.inputs["migration"] === `${ORG}-audit-ledger`)!;
    expect((await asSuperuser(["BEGIN", String(migration.inputs["sql"]), "COMMIT"])).code).toBeUndefined();
    expect((await asSuperuser([GRANT_EVENTS])).rows).toHaveLength(1);
  });

  it("lets no login role of the org write the grants table or add a break-glass event (42501)", async () => {
    const writes = [
      `INSERT INTO audit.break_glass_grants (role, grantee, reason, valid_until, environment, access) VALUES ('${ROLE}', 'eve@${ORG}.example', 'forged grant here', now() + interval '1 day', 'prod', 'write')`,
      `UPDATE audit.break_glass_grants SET grantee = 'eve@${ORG}.example'`,
      "DELETE FROM audit.break_glass_grants",
      "INSERT INTO audit.events (schema_name, table_name) VALUES ('audit', 'break_glass_grants')",
    ];
    for (const role of [ROLE, `tn_${ORG}_prod_runtime`, `tn_${ORG}_prod_ddl`, `tn_${ORG}_dev_runtime`, `tn_${ORG}_dev_ddl`]) {
      for (const sql of writes) {
        const outcome = await attempt(server, credentialsOf(stack, role), DATABASE, [sql], { rollback: true });
        expect([role, sql, outcome.code]).toEqual([role, sql, SQLSTATE.insufficientPrivilege]);
      }
    }
  });
});

/** Ways a session can try to name its own actor; each is followed by an UPDATE the ledger records. */
const actorAttempts = fc.tuple(
  fc.string({ minLength: 1, maxLength: 40 }).filter((s) => s.trim() !== "" && !s.includes("\u0000")),
  fc.constantFrom<(actor: string) => string[]>(
    (actor) => [`SET tenantry.actor = ${literal(actor)}`],
    (actor) => ["BEGIN", `SET LOCAL tenantry.actor = ${literal(actor)}`],
    (actor) => [`SELECT set_config('tenantry.actor', ${literal(actor)}, false)`],
    (actor) => ["BEGIN", `SELECT set_config('tenantry.actor', ${literal(actor)}, true)`],
    (actor) => [`SET ROLE ${ROLE}`, `SET tenantry.actor = ${literal(actor)}`],
    (actor) => [`SET SESSION AUTHORIZATION ${ROLE}`, `SET tenantry.actor = ${literal(actor)}`],
    (actor) => [`ALTER ROLE ${ROLE} SET tenantry.actor = ${literal(actor)}`],
  ),
);
/** The actor function before issue 16: it honours every session's own SET. */
const UNGUARDED_ACTOR = `CREATE OR REPLACE FUNCTION audit.actor() RETURNS text LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $fn$
  SELECT left(coalesce(nullif(btrim(current_setting('tenantry.actor', true)), ''), session_user::text), 256) $fn$`;

function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

describe("the actor of rows the break-glass login changes", () => {
  let stack: LocalStack;
  beforeAll(() => {
    stack = on();
  });
  const lastActor = async () => (await asSuperuser(["SELECT actor FROM audit.events WHERE table_name = 'accounts' ORDER BY id DESC LIMIT 1"])).rows[0]?.["actor"];

  it("is break-glass:<grantee> whatever actor the login SETs, however it sets it", async () => {
    const breakGlass = credentialsOf(stack, ROLE);
    let run = 0;
    let recorded = 0;
    await fc.assert(fc.asyncProperty(actorAttempts, async ([actor, setActor]) => {
      run += 1;
      // The SETs run once on a session of their own (a role may ALTER ROLE itself SET a default, which
      // the next session inherits), then again before the UPDATE on the session that makes it.
      await attempt(server, breakGlass, DATABASE, setActor(actor));
      const statements = [...setActor(actor).filter((s) => !s.startsWith("ALTER ROLE")), `UPDATE web_prod.accounts SET note = 'run ${run}' WHERE id = 1`];
      const updated = await attempt(server, breakGlass, DATABASE, statements.some((s) => s === "BEGIN") ? [...statements, "COMMIT"] : statements);
      if (updated.code !== undefined) {
        // Only SET SESSION AUTHORIZATION is refused (a superuser's), and then nothing changed.
        expect(updated.code).toBe(SQLSTATE.insufficientPrivilege);
        return;
      }
      expect(await lastActor()).toBe(`break-glass:${GRANTEE}`);
      recorded += 1;
    }), { numRuns: 25 });
    // Not vacuous: most attempts changed a row (only SET SESSION AUTHORIZATION is refused).
    expect(recorded).toBeGreaterThan(run / 2);
  });

  it("keeps tenantry.actor for every other login (control: the runtime role's SET is honoured)", async () => {
    const runtime = credentialsOf(stack, `tn_${ORG}_prod_runtime`);
    const grant = await asSuperuser([`GRANT SELECT, UPDATE ON web_prod.accounts TO tn_${ORG}_prod_runtime`]);
    expect(grant.code).toBeUndefined();
    const updated = await attempt(server, runtime, DATABASE, ["SET tenantry.actor = 'ceo@kilo.example'", "UPDATE web_prod.accounts SET note = 'runtime' WHERE id = 1"]);
    expect(updated.code).toBeUndefined();
    expect(await lastActor()).toBe("ceo@kilo.example");
  });

  it("never lets another login's change pass for the break-glass login's: a claimed break-glass: actor, in any case, after blanks or control characters, is recorded as the login", async () => {
    const runtime = credentialsOf(stack, `tn_${ORG}_prod_runtime`);
    let run = 0;
    await fc.assert(fc.asyncProperty(
      fc.mixedCase(fc.constant("break-glass:")), fc.constantFrom("", " ", "  \t", "\n", "\u0001"), fc.constantFrom(GRANTEE, "", "anyone@elsewhere.example"),
      async (prefix, space, suffix) => {
        run += 1;
        const claimed = `${space}${prefix}${suffix}${space}`;
        const updated = await attempt(server, runtime, DATABASE, [`SET tenantry.actor = ${literal(claimed)}`, `UPDATE web_prod.accounts SET note = 'claim ${run}' WHERE id = 1`]);
        expect(updated.code).toBeUndefined();
        expect(await lastActor()).toBe(`tn_${ORG}_prod_runtime`);
      }), { numRuns: 20 });
  });

  it("would record a claimed break-glass: actor without that guard (control: an actor function that honours every SET)", async () => {
    const session = asSuperuser([UNGUARDED_ACTOR, `SET SESSION AUTHORIZATION tn_${ORG}_prod_runtime`, `SET tenantry.actor = 'break-glass:${GRANTEE}'`,
      "UPDATE web_prod.accounts SET note = 'claim control' WHERE id = 1", "RESET SESSION AUTHORIZATION",
      "SELECT actor FROM audit.events WHERE table_name = 'accounts' ORDER BY id DESC LIMIT 1"], { rollback: true });
    expect((await session).rows).toEqual([{ actor: `break-glass:${GRANTEE}` }]);
  });

  it("would take the login's own SET without the session_user branch (control: the pre-issue-16 actor function)", async () => {
    const before = (await asSuperuser(["SELECT pg_get_functiondef('audit.actor()'::regprocedure) AS def"])).rows[0]!["def"] as string;
    const session = (fn: string) => asSuperuser([fn, `SET SESSION AUTHORIZATION ${ROLE}`, "SET tenantry.actor = 'ceo@kilo.example'",
      "UPDATE web_prod.accounts SET note = 'control' WHERE id = 1", "RESET SESSION AUTHORIZATION",
      "SELECT actor FROM audit.events WHERE table_name = 'accounts' ORDER BY id DESC LIMIT 1"], { rollback: true });
    expect((await session(UNGUARDED_ACTOR)).rows).toEqual([{ actor: "ceo@kilo.example" }]);
    expect((await session(before)).rows).toEqual([{ actor: `break-glass:${GRANTEE}` }]);
  });
});

describe("turning break-glass off", () => {
  it("records one revocation event, drops exactly the role, its password and its grants, and touches no database, schema or other role", async () => {
    const result = await upLocal(off());
    const deleted = result.changes.flatMap((c) => (c.kind === "delete" ? [c.previous] : []));
    expect(deleted.every((r) => r.name.includes("breakglass"))).toBe(true);
    expect(deleted.map((r) => r.type).sort()).toEqual(
      ["postgresql:index/grant:Grant", "postgresql:index/grant:Grant", "postgresql:index/grant:Grant", "postgresql:index/grant:Grant",
        "postgresql:index/role:Role", "random:index/randomPassword:RandomPassword"]);
    // Nothing else is deleted or created: the rest are the migrations that named the role (lock timeouts, guardrails, the ledger's grant).
    const others = result.changes.filter((c) => c.kind !== "delete").map((c) => [c.kind, "desired" in c ? c.desired.inputs["migration"] : c.previous.name]);
    expect(others.sort()).toEqual([["update", `${ORG}-audit-ledger`], ["update", `${ORG}-guardrails`], ["update", `${ORG}-lock-timeouts`]]);
    const events = await asSuperuser([GRANT_EVENTS]);
    expect(events.rows).toEqual([
      { operation: "INSERT", actor: server.user, grant: RECORDED, primary_key: { id: expect.any(Number) }, revoked: false },
      { operation: "UPDATE", actor: server.user, grant: null, primary_key: events.rows[0]!["primary_key"], revoked: true },
    ]);
    expect((await asSuperuser([`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = '${ROLE}'`])).rows).toEqual([{ n: 0 }]);
    expect((await upLocal(off())).changes).toEqual([]);
    expect((await asSuperuser([GRANT_EVENTS])).rows).toHaveLength(2);
  });
});
