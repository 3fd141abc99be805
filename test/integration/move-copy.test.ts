import { readFileSync } from "node:fs";
import fc from "fast-check";
import type { Client } from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { asRole, copySequences, copyTable, pinTextForms } from "../../fleet/move-copy";
import { grantSetRoleSql, maySetRoleSql, revokeSetRoleSql } from "../../fleet/move-owners";
import { compareDigests, digestSide, type TableRef } from "../../fleet/move-verify";
import { localPaths } from "../../local/paths";
import { ensureProviderAdmin } from "../../local/provider-admin";
import type { ServerInfo } from "../../local/server";
import { TwoDatabases } from "../helpers/two-databases";

/*
 * The copy step between two databases of the embedded server (standing in for two clusters),
 * with an audit trigger that records every change as the org's ledger does: the org's data and
 * its audit history are copied with zero rows lost and no event added, and the verification of
 * move-verify.ts agrees. Run as the provider login, which owns the two databases and is no
 * superuser: it may set session_replication_role as a member of the rds_superuser stand-in
 * (local/managed-server.ts; docs/move.md on what is modelled there). The last group gives the
 * tables to a NOLOGIN owner, as a real org's are, and copies them as that owner.
 */

const server = JSON.parse(readFileSync(localPaths(inject("localDir")).serverFile, "utf8")) as ServerInfo;
const SOURCE = "tn_mvcopy_source";
const TARGET = "tn_mvcopy_target";
const SCHEMAS = ["web_dev", "audit"];
const TABLES: TableRef[] = [
  { schema: "web_dev", table: "customers" },
  { schema: "web_dev", table: "orders" },
  { schema: "audit", table: "events" },
  { schema: "audit", table: "break_glass_grants" },
];

const SHAPE = `
CREATE SCHEMA web_dev;
CREATE SCHEMA audit;
CREATE TABLE audit.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  table_name text NOT NULL, operation text NOT NULL, after jsonb);
CREATE TABLE audit.break_glass_grants (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, role text NOT NULL, grantee text NOT NULL);
CREATE FUNCTION audit.record() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO audit.events (table_name, operation, after) VALUES (TG_TABLE_NAME, TG_OP, to_jsonb(NEW));
  RETURN NULL;
END $fn$;
CREATE TABLE web_dev.customers (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, name text NOT NULL, tags text[]);
CREATE TABLE web_dev.orders (id serial PRIMARY KEY, customer bigint NOT NULL REFERENCES web_dev.customers, amount numeric,
  total numeric GENERATED ALWAYS AS (amount * 2) STORED, placed timestamptz);
CREATE TRIGGER audited AFTER INSERT OR UPDATE ON web_dev.customers FOR EACH ROW EXECUTE FUNCTION audit.record();
CREATE TRIGGER audited AFTER INSERT OR UPDATE ON web_dev.orders FOR EACH ROW EXECUTE FUNCTION audit.record();
`;

let databases: TwoDatabases;
let source: Client;
let target: Client;

async function reset(): Promise<void> {
  await databases.reset();
  ({ source, target } = databases);
}

/** The org's life on the source: customers and orders written, some updated, each change audited. */
async function live(customers: readonly { name: string; tags: string[]; orders: number[] }[]): Promise<void> {
  for (const c of customers) {
    const { rows } = await source.query("INSERT INTO web_dev.customers (name, tags) VALUES ($1, $2) RETURNING id", [c.name, c.tags]);
    for (const amount of c.orders) {
      await source.query("INSERT INTO web_dev.orders (customer, amount, placed) VALUES ($1, $2, clock_timestamp())", [rows[0].id, amount]);
    }
  }
  await source.query("UPDATE web_dev.customers SET name = name || '!' WHERE id % 2 = 0");
  await source.query("INSERT INTO audit.break_glass_grants (role, grantee) VALUES ('tn_mvcopy_breakglass', 'oncall@example.com')");
}

async function copyAll(): Promise<number> {
  await Promise.all([pinTextForms(source), pinTextForms(target)]);
  let rows = 0;
  // Orders before the customers they reference: foreign keys are not checked while restoring.
  for (const ref of [...TABLES].reverse()) rows += await copyTable(source, target, ref);
  await copySequences(source, target, SCHEMAS);
  return rows;
}

async function count(client: Client, table: string): Promise<number> {
  return Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
}

const customers = fc.array(fc.record({
  name: fc.string({ minLength: 1, unit: "grapheme" }).map((s) => s.replace(/\0/g, "") || "x"),
  tags: fc.array(fc.string().map((s) => s.replace(/\0/g, "")), { maxLength: 3 }),
  orders: fc.array(fc.integer({ min: -10_000, max: 10_000 }), { maxLength: 4 }),
}), { minLength: 1, maxLength: 12 });

describe("copying an org's data and audit history to another cluster", () => {
  beforeAll(async () => {
    const providerLogin = await ensureProviderAdmin(localPaths(inject("localDir")), server, "tenantry");
    databases = new TwoDatabases(server, { source: SOURCE, target: TARGET }, SHAPE, providerLogin);
  });
  afterAll(() => databases?.drop());

  it("runs as a login that is no superuser, allowed session_replication_role only through the rds_superuser stand-in", async () => {
    await reset();
    const { rows } = await target.query(`SELECT rolsuper AS superuser,
      has_parameter_privilege(current_user, 'session_replication_role', 'SET') AS login_may,
      has_parameter_privilege('pg_signal_backend', 'session_replication_role', 'SET') AS others_may FROM pg_roles WHERE rolname = current_user`);
    expect(rows).toEqual([{ superuser: false, login_may: true, others_may: false }]);
  });

  it("loses no row and adds no audit event, and the verification agrees, whatever the org wrote", async () => {
    await fc.assert(fc.asyncProperty(customers, async (written) => {
      await reset();
      await live(written);
      const sourceRows = await Promise.all(TABLES.map((t) => count(source, `${t.schema}.${t.table}`)));
      expect(await copyAll()).toBe(sourceRows.reduce((a, b) => a + b, 0));
      expect(await Promise.all(TABLES.map((t) => count(target, `${t.schema}.${t.table}`)))).toEqual(sourceRows);
      expect(compareDigests(await digestSide((sql) => source.query(sql).then((r) => r.rows), SCHEMAS), await digestSide((sql) => target.query(sql).then((r) => r.rows), SCHEMAS))).toEqual([]);
    }), { numRuns: 6 });
  });

  it("leaves the target's ledger recording new changes after the copied history, with the next ids", async () => {
    await reset();
    await live([{ name: "a", tags: [], orders: [1, 2] }]);
    await copyAll();
    const last = Number((await source.query("SELECT max(id) AS id FROM audit.events")).rows[0].id);
    await target.query("INSERT INTO web_dev.customers (name) VALUES ('after the move')");
    const { rows } = await target.query("SELECT id, table_name FROM audit.events WHERE id > $1", [last]);
    expect(rows).toEqual([{ id: String(last + 1), table_name: "customers" }]);
  });

  it("leaves each table as on the source when the copy is rerun, not doubled: every table is emptied in the transaction that fills it", async () => {
    await reset();
    await live([{ name: "a", tags: ["x"], orders: [5] }, { name: "b", tags: [], orders: [] }]);
    await copyAll();
    await copyAll();
    expect(await count(target, "web_dev.customers")).toBe(2);
    expect(await count(target, "audit.events")).toBe(await count(source, "audit.events"));
  });

  it("control: with the audit trigger firing, restoring the customers writes events over the copied ledger's ids, and the copy fails", async () => {
    await reset();
    await live([{ name: "a", tags: [], orders: [1] }]);
    await Promise.all([pinTextForms(source), pinTextForms(target)]);
    // ENABLE ALWAYS fires whatever session_replication_role says: the suppression removed.
    await target.query("ALTER TABLE web_dev.customers ENABLE ALWAYS TRIGGER audited");
    const [customersRef, ...rest] = TABLES;
    for (const ref of rest.reverse()) await copyTable(source, target, ref);
    await expect(copyTable(source, target, customersRef!)).rejects.toThrow(/events_pkey/);
  });

  describe("as each table's owner, never as the provider login", () => {
    // A NOLOGIN owner the provider login created: it holds ADMIN on it, and neither INHERIT nor SET.
    const OWNER = "tn_mvcopy_owner";
    const OWNED = `
      CREATE TABLE web_dev.guarded (id int PRIMARY KEY, note text,
        CONSTRAINT run_by_owner CHECK (current_user::text = '${OWNER}'));
      CREATE TABLE audit.sealed (id int PRIMARY KEY, note text);
      ALTER TABLE audit.sealed ENABLE ROW LEVEL SECURITY;
      GRANT SELECT, INSERT, DELETE ON web_dev.guarded, audit.sealed TO SESSION_USER;
    `;
    const GUARDED: TableRef = { schema: "web_dev", table: "guarded" };
    const SEALED: TableRef = { schema: "audit", table: "sealed" };
    const maySet = async (client: Client) => (await client.query(maySetRoleSql(OWNER))).rows[0].may_set as boolean;

    async function ownedReset(): Promise<void> {
      await reset();
      await source.query(`DO $r$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${OWNER}') THEN CREATE ROLE ${OWNER} NOLOGIN; END IF; END $r$`);
      for (const client of [source, target]) {
        await client.query(grantSetRoleSql(OWNER));
        await client.query(`GRANT USAGE, CREATE ON SCHEMA web_dev, audit TO ${OWNER}`);
        await asRole(client, OWNER, [OWNED]);
      }
      await asRole(source, OWNER, ["INSERT INTO web_dev.guarded SELECT g, 'row ' || g FROM generate_series(1, 5) AS g", "INSERT INTO audit.sealed SELECT g, 'event ' || g FROM generate_series(1, 4) AS g"]);
      for (const client of [source, target]) await client.query(revokeSetRoleSql(OWNER));
    }
    afterAll(async () => {
      await databases.drop();
      const admin = new (await import("pg")).Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: "postgres" });
      await admin.connect();
      await admin.query(`DROP ROLE IF EXISTS ${OWNER}`);
      await admin.end();
    });

    it("runs a table's CHECK as its owner and reads a table whose row-level security only its owner bypasses, through a SET-only membership revoked after", async () => {
      await ownedReset();
      expect(await maySet(target)).toBe(false);
      await Promise.all([pinTextForms(source), pinTextForms(target)]);
      for (const client of [source, target]) await client.query(grantSetRoleSql(OWNER));
      // SET, not INHERIT: outside a SET ROLE the login still reads none of the sealed rows.
      expect(await count(source, "audit.sealed")).toBe(0);
      expect(await copyTable(source, target, GUARDED, { source: OWNER, target: OWNER })).toBe(5);
      expect(await copyTable(source, target, SEALED, { source: OWNER, target: OWNER })).toBe(4);
      for (const client of [source, target]) await client.query(revokeSetRoleSql(OWNER));
      expect(await maySet(source)).toBe(false);
      expect(await maySet(target)).toBe(false);
      await target.query(grantSetRoleSql(OWNER));
      expect((await asRole(target, OWNER, ["SELECT count(*)::int AS n FROM audit.sealed"]))[0]).toEqual({ n: 4 });
      await target.query(revokeSetRoleSql(OWNER));
    });

    it("control: copied as the provider login, the CHECK runs with the login's rights (and refuses here), the sealed table reads as empty and cannot be filled", async () => {
      await ownedReset();
      await Promise.all([pinTextForms(source), pinTextForms(target)]);
      await expect(copyTable(source, target, GUARDED)).rejects.toMatchObject({ code: "23514" });
      // Row-level security with no policy hides every row from anyone but the owner, and COPY FROM refuses it.
      expect(await count(source, "audit.sealed")).toBe(0);
      await expect(copyTable(source, target, SEALED)).rejects.toThrow(/COPY FROM not supported with row-level security/);
    });

    it("revoking a membership that is not there is a warning, not an error, so a rerun may revoke a leftover again", async () => {
      await ownedReset();
      await expect(source.query(revokeSetRoleSql(OWNER))).resolves.toBeDefined();
      expect(await maySet(source)).toBe(false);
    });
  });
});
