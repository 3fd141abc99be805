import { Client } from "pg";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AUDIT_DRIFT_QUERY } from "../../components/audit-drift-sql";
import { LEDGER_LOCK_TIMEOUT } from "../../components/audit-sql";
import type { ServerInfo } from "../../local/server";
import { TYPE } from "../../local/provider-sql";
import { readState } from "../../local/state";
import { upLocal, type UpResult } from "../../local/up";
import { AUDIT_TRIGGER, EVENT_TRIGGERS, PLATFORM_SCHEMAS } from "../../spec/platform-names";
import { localStack, writeStackFile } from "../helpers/local";

/*
 * Every apply verifies the ledger's coverage and restores it (issue 13, finding 1: "a later
 * up --local did not restore the triggers"). What the guard refuses to tenants can still happen
 * to a database: a superuser switching the guard's event triggers off while debugging, a restore,
 * a major-version upgrade that needs them dropped. Here the superuser does that, the table's owner
 * then silences one table, creates another uncovered and a stray EXECUTE grant appears; the next
 * `up --local`, with the stack unchanged, must find each and put it back.
 */

const ORG = { slug: "drift", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: ["drift.example"] };
const DATABASE = "tn_drift";
const LEDGER = PLATFORM_SCHEMAS.ledger;

const stack = localStack(writeStackFile(ORG), "drift");
let server: ServerInfo;
let superuser: Client;
let ddl: Client;
let runtime: Client;

function login(role: string): Client {
  const password = readState(stack.paths).stacks["org-drift"]?.resources.find((r) => r.type === TYPE.role && r.inputs["name"] === role)?.inputs["password"];
  if (typeof password !== "string") throw new Error(`no stored password for ${role}`);
  const client = new Client({ host: server.host, port: server.port, user: role, password, database: DATABASE });
  client.on("error", () => undefined);
  return client;
}

beforeAll(async () => {
  await upLocal(stack);
  server = JSON.parse(readFileSync(stack.paths.serverFile, "utf8")) as ServerInfo;
  superuser = new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: DATABASE });
  ddl = login("tn_drift_dev_ddl");
  runtime = login("tn_drift_dev_runtime");
  await Promise.all([superuser.connect(), ddl.connect(), runtime.connect()]);
  await ddl.query("CREATE TABLE web_dev.kept (id int PRIMARY KEY, note text); CREATE TABLE web_dev.silenced (id int PRIMARY KEY, note text)");
});

afterAll(async () => {
  await Promise.all([superuser?.end(), ddl?.end(), runtime?.end()]);
});

const drift = async () => (await superuser.query(AUDIT_DRIFT_QUERY)).rows.map((r: Record<string, unknown>) => String(r["problem"]));

/** The operations the ledger recorded for one write of each kind, as the runtime role, on `table`. */
async function recorded(table: string): Promise<string> {
  const correlation = `drift-${Math.random().toString(36).slice(2)}`;
  await runtime.query("BEGIN");
  try {
    await runtime.query(`SET LOCAL tenantry.correlation_id = '${correlation}'`);
    await runtime.query(`INSERT INTO web_dev.${table} (id, note) VALUES (1, 'a'); UPDATE web_dev.${table} SET note = 'b'; DELETE FROM web_dev.${table}`);
    const { rows } = await runtime.query(`SELECT string_agg(operation, ',' ORDER BY id) AS ops FROM ${LEDGER}.events WHERE correlation_id = $1`, [correlation]);
    return String(rows[0]?.["ops"] ?? "none");
  } finally {
    await runtime.query("ROLLBACK");
  }
}

describe("every up --local verifies the ledger's coverage and restores it", () => {
  let repair: UpResult;

  it("finds nothing to restore right after the first apply", async () => {
    expect(await drift()).toEqual([]);
  });

  it("restores, with the stack unchanged, what went missing while the guard's event triggers were off", async () => {
    await superuser.query(Object.values(EVENT_TRIGGERS).map((name) => `ALTER EVENT TRIGGER ${name} DISABLE`).join("; "));
    await ddl.query(`ALTER TABLE web_dev.silenced DISABLE TRIGGER ${AUDIT_TRIGGER.insert}; DROP TRIGGER ${AUDIT_TRIGGER.update} ON web_dev.silenced`);
    await ddl.query("CREATE TABLE web_dev.unseen (id int PRIMARY KEY, note text)");
    await superuser.query(`GRANT EXECUTE ON FUNCTION ${LEDGER}.refuse_truncate() TO PUBLIC`);
    expect(await recorded("silenced")).toBe("DELETE");
    expect(await recorded("unseen")).toBe("none");
    expect((await drift()).length).toBeGreaterThanOrEqual(8);

    repair = await upLocal(stack);
    expect(repair.changes).toEqual([]);
    expect(repair.drift.flatMap((d) => d.drift)).toEqual(expect.arrayContaining([
      `web_dev.silenced: trigger ${AUDIT_TRIGGER.insert} is disabled`,
      `web_dev.silenced: trigger ${AUDIT_TRIGGER.update} is missing`,
      `web_dev.unseen: trigger ${AUDIT_TRIGGER.truncate} is missing`,
      `event trigger ${EVENT_TRIGGERS.cover} is disabled`,
      `${LEDGER}.refuse_truncate() is executable by PUBLIC`,
    ]));
    expect(await drift()).toEqual([]);
    for (const table of ["kept", "silenced", "unseen"]) expect(await recorded(table)).toBe("INSERT,UPDATE,DELETE");
  });

  it("leaves the guard working again: the table's owner is refused (42501) once more", async () => {
    await expect(ddl.query(`ALTER TABLE web_dev.silenced DISABLE TRIGGER ${AUDIT_TRIGGER.delete}`)).rejects.toMatchObject({ code: "42501" });
  });

  it("finds nothing the next time, and re-applies nothing", async () => {
    const again = await upLocal(stack);
    expect([again.changes, again.drift]).toEqual([[], []]);
  });
});

describe("the guard compares each audit trigger's whole definition, whoever may execute the ledger's functions", () => {
  // Tenant roles are stopped first by EXECUTE (the proof shows 42501 for them); the superuser holds
  // EXECUTE on everything, so what refuses it here is the guard's comparison alone.
  const update = AUDIT_TRIGGER.update;
  const refused = {
    "the issue's attack": `BEFORE TRUNCATE ON web_dev.kept FOR EACH STATEMENT EXECUTE FUNCTION ${LEDGER}.refuse_truncate()`,
    "a WHEN clause": `AFTER UPDATE ON web_dev.kept REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION ${LEDGER}.record_statement('id')`,
    "an UPDATE OF column list": `AFTER UPDATE OF note ON web_dev.kept FOR EACH ROW EXECUTE FUNCTION ${LEDGER}.record_change()`,
    "another timing": `BEFORE UPDATE ON web_dev.kept FOR EACH STATEMENT EXECUTE FUNCTION ${LEDGER}.record_statement('id')`,
  };
  for (const [what, definition] of Object.entries(refused)) {
    it(`refuses ${what} (42501), and the trigger keeps its shape`, async () => {
      await expect(superuser.query(`CREATE OR REPLACE TRIGGER ${update} ${definition}`)).rejects.toMatchObject({ code: "42501", message: expect.stringMatching(/must keep covering web_dev\.kept/) });
      expect(await drift()).toEqual([]);
    });
  }

  // A shape the guard itself makes for some other primary key (or for none) is what a primary key
  // change leaves behind: it is re-made for the current key in the same command, not refused.
  const remade = {
    "another key argument": `AFTER UPDATE ON web_dev.kept REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${LEDGER}.record_statement('note')`,
    "the row-level shape of a table without a key": `AFTER UPDATE ON web_dev.kept FOR EACH ROW EXECUTE FUNCTION ${LEDGER}.record_change()`,
  };
  for (const [what, definition] of Object.entries(remade)) {
    it(`re-makes ${what} in the shape for the table's current key, within the same command`, async () => {
      await superuser.query(`CREATE OR REPLACE TRIGGER ${update} ${definition}`);
      expect(await drift()).toEqual([]);
      expect(await recorded("kept")).toBe("INSERT,UPDATE,DELETE");
    });
  }
});

/*
 * The ledger's row-level security is part of what every apply restores (review of issue 13, item
 * 3): what a superuser switches off or plants on audit.events while debugging is found by
 * drift() and undone by the next `up --local`, with the stack unchanged. Each attempt shows its
 * effect first as the dev runtime role: an application event naming a schema that is not dev's.
 */
describe("every up --local restores the ledger's row-level security", () => {
  const foreignEvent = `INSERT INTO ${LEDGER}.events (schema_name, table_name) VALUES ('other_prod', 'planted')`;
  /** Whether the dev runtime role could add an event naming another environment's schema (rolled back). */
  async function writesForeignEvent(): Promise<boolean> {
    await runtime.query("BEGIN");
    try {
      await runtime.query(foreignEvent);
      return true;
    } catch (error) {
      if ((error as { code?: string }).code === "42501") return false;
      throw error;
    } finally {
      await runtime.query("ROLLBACK");
    }
  }

  const tampering = {
    "row-level security disabled by the superuser": {
      sql: `ALTER TABLE ${LEDGER}.events DISABLE ROW LEVEL SECURITY`,
      reported: `${LEDGER}.events: row-level security is disabled`,
      opensForeignWrites: true,
    },
    "an extra permissive policy planted by the superuser": {
      sql: `CREATE POLICY planted ON ${LEDGER}.events AS PERMISSIVE FOR ALL TO PUBLIC USING (true) WITH CHECK (true)`,
      reported: `${LEDGER}.events: policy planted is not the platform's`,
      opensForeignWrites: true,
    },
    "one of the environment's policies widened by the superuser": {
      sql: `ALTER POLICY environment__dev__insert ON ${LEDGER}.events WITH CHECK (true)`,
      reported: `${LEDGER}.events: policy environment__dev__insert is reshaped`,
      opensForeignWrites: true,
    },
    "row-level security FORCEd on the ledger's owner": {
      sql: `ALTER TABLE ${LEDGER}.events FORCE ROW LEVEL SECURITY`,
      reported: `${LEDGER}.events: row-level security is forced`,
      opensForeignWrites: false,
    },
  };
  for (const [what, { sql, reported, opensForeignWrites }] of Object.entries(tampering)) {
    it(`finds and undoes ${what}`, async () => {
      expect(await writesForeignEvent()).toBe(false);
      await superuser.query(sql);
      expect(await writesForeignEvent()).toBe(opensForeignWrites);
      expect(await drift()).toEqual([reported]);

      const repair = await upLocal(stack);
      expect(repair.changes).toEqual([]);
      expect(repair.drift.flatMap((d) => d.drift)).toEqual([reported]);
      expect(await drift()).toEqual([]);
      expect(await writesForeignEvent()).toBe(false);
      expect(await recorded("kept")).toBe("INSERT,UPDATE,DELETE");
    });
  }

  it("finds a removed policy missing, and restores it", async () => {
    await superuser.query(Object.values(EVENT_TRIGGERS).map((name) => `ALTER EVENT TRIGGER ${name} DISABLE`).join("; "));
    await superuser.query(`DROP POLICY environment__dev__select ON ${LEDGER}.events`);
    const repair = await upLocal(stack);
    expect(repair.drift.flatMap((d) => d.drift)).toEqual(expect.arrayContaining([`${LEDGER}.events: policy environment__dev__select is missing`]));
    expect(await drift()).toEqual([]);
    // The dev roles read their own events again: recorded() reads them as the runtime role.
    expect(await recorded("kept")).toBe("INSERT,UPDATE,DELETE");
  });
});

/*
 * Review of issue 13, item 6: ALTER TABLE and CREATE/DROP POLICY take ACCESS EXCLUSIVE on
 * audit.events, and every audited write inserts into it, so a re-apply that takes that lock
 * (and a lock request waiting for it) stalls every audited write of the org. A re-apply finding
 * nothing to change in the ledger's row-level security must not take it, and one that must take
 * it waits no longer than the migration's lock_timeout.
 */
describe("a re-apply of the ledger migration locks audit.events only to change its row-level security", () => {
  const ledgerMigration = () => {
    const sql = readState(stack.paths).stacks["org-drift"]?.resources.find((r) => r.inputs["migration"] === "drift-audit-ledger")?.inputs["sql"];
    if (typeof sql !== "string") throw new Error("no applied drift-audit-ledger migration in the local state");
    return sql;
  };
  const planted = `CREATE POLICY planted ON ${LEDGER}.events AS PERMISSIVE FOR SELECT TO PUBLIC USING (true)`;

  /** The lock modes the migration's transaction holds on audit.events once its SQL has run (then rolled back). */
  async function ledgerLocksOfReapply(): Promise<string[]> {
    await superuser.query("BEGIN");
    try {
      await superuser.query(ledgerMigration());
      const { rows } = await superuser.query(`SELECT mode FROM pg_locks WHERE locktype = 'relation' AND relation = '${LEDGER}.events'::regclass AND pid = pg_backend_pid() ORDER BY 1`);
      return rows.map((r: Record<string, unknown>) => String(r["mode"]));
    } finally {
      await superuser.query("ROLLBACK");
    }
  }

  /** Runs `body` while the runtime role holds an audited write open (so a RowExclusiveLock on audit.events). */
  async function withAuditedWriteOpen<T>(body: () => Promise<T>): Promise<T> {
    await runtime.query("BEGIN");
    try {
      await runtime.query("INSERT INTO web_dev.kept (id, note) VALUES (41, 'open')");
      return await body();
    } finally {
      await runtime.query("ROLLBACK");
    }
  }

  it("takes no ACCESS EXCLUSIVE lock on audit.events when nothing changed", async () => {
    expect(await drift()).toEqual([]);
    expect(await ledgerLocksOfReapply()).not.toContain("AccessExclusiveLock");
  });

  it("takes it to replace the policies when one was planted (the measurement can see the lock)", async () => {
    await superuser.query(planted);
    try {
      expect(await ledgerLocksOfReapply()).toContain("AccessExclusiveLock");
    } finally {
      await upLocal(stack);
    }
    expect(await drift()).toEqual([]);
  });

  it("completes while another session has an audited write open", async () => {
    // A fallback for the session, far above the migration's own: only a lock it does not need could make it wait.
    await superuser.query("SET lock_timeout = '10s'");
    await expect(withAuditedWriteOpen(ledgerLocksOfReapply)).resolves.not.toContain("AccessExclusiveLock");
  });

  it(`gives up after its lock_timeout (${LEDGER_LOCK_TIMEOUT}) rather than queue every audited write behind it, when it must lock and a write is open`, async () => {
    await superuser.query("SET lock_timeout = '10s'");
    await superuser.query(planted);
    try {
      const started = Date.now();
      await expect(withAuditedWriteOpen(ledgerLocksOfReapply)).rejects.toMatchObject({ code: "55P03" });
      expect(Date.now() - started).toBeLessThan(6_000);
    } finally {
      await upLocal(stack);
    }
    expect(await drift()).toEqual([]);
  });
});
