import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { copyTable, pinTextForms } from "../../fleet/move-copy";
import { refusedShapes, shapeRefusalsSql, type ShapeRefusalRow } from "../../fleet/move-shape";
import { localPaths } from "../../local/paths";
import { ensureProviderAdmin } from "../../local/provider-admin";
import { adminClient, type ServerInfo } from "../../local/server";
import { AUDIT_TRIGGER } from "../../spec/platform-names";
import { TwoDatabases } from "../helpers/two-databases";

/*
 * The adversary is "tenant migrations": the DDL login of one environment, which owns its
 * workspace schema and may create functions, operators, types, tables, indexes, policies and
 * triggers in it. Whatever it plants where COPY evaluates it would run inside the move, as the
 * session that copies (the provider login until the copy runs as each table's owner). The
 * tables here are made as a DDL-role-like role (SET ROLE), in databases owned by the provider
 * login (no superuser, as on RDS).
 */

const server = JSON.parse(readFileSync(localPaths(inject("localDir")).serverFile, "utf8")) as ServerInfo;
const SOURCE = "tn_mvrefuse_source";
const TARGET = "tn_mvrefuse_target";
const DDL = "tn_mvrefuse_dev_ddl";
const SCHEMAS = ["web_dev"];

/*
 * The tenant's code (web_dev.evil records who ran it), and the audit guard's part as the guard
 * makes it (audit-trigger-shapes-sql.ts): its trigger names and functions, enabled ORIGIN. The
 * guard itself is not installed here (it needs the migration's superuser): the exception is
 * matched on the names and functions the guard uses.
 */
const SHAPE = `
CREATE SCHEMA web_dev AUTHORIZATION ${DDL};
CREATE SCHEMA audit;
CREATE TABLE audit.events (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, table_name text NOT NULL, operation text NOT NULL);
CREATE FUNCTION audit.record_statement() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN INSERT INTO audit.events (table_name, operation) VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $fn$;
CREATE FUNCTION audit.record_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN INSERT INTO audit.events (table_name, operation) VALUES (TG_TABLE_NAME, TG_OP); RETURN NULL; END $fn$;
CREATE FUNCTION audit.refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN RAISE EXCEPTION 'no'; END $fn$;
SET ROLE ${DDL};
CREATE TABLE web_dev.seen (who text NOT NULL, at timestamptz NOT NULL DEFAULT clock_timestamp());
CREATE FUNCTION web_dev.evil(anyelement) RETURNS boolean LANGUAGE plpgsql AS $fn$
BEGIN INSERT INTO web_dev.seen (who) VALUES (current_user); RETURN true; END $fn$;
CREATE FUNCTION web_dev.evil_trigger() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN INSERT INTO web_dev.seen (who) VALUES (current_user); RETURN NEW; END $fn$;
CREATE FUNCTION web_dev.evil_eq(integer, integer) RETURNS boolean LANGUAGE plpgsql IMMUTABLE AS $fn$ BEGIN RETURN $1 = $2; END $fn$;
CREATE OPERATOR web_dev.=== (LEFTARG = integer, RIGHTARG = integer, FUNCTION = web_dev.evil_eq);
CREATE FUNCTION web_dev.evil_immutable(text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $fn$ BEGIN RETURN $1; END $fn$;
CREATE DOMAIN web_dev.checked_text AS text CHECK (web_dev.evil(VALUE));
CREATE DOMAIN web_dev.nested_text AS web_dev.checked_text;
CREATE TYPE web_dev.pair AS (label web_dev.checked_text, n integer);
RESET ROLE;
`;

/** Allowed: built-ins only, and the audit guard's triggers. */
const BUILT_IN_PARTS = [
  "name text NOT NULL CHECK (length(name) > 0)",
  "email text",
  "created timestamptz NOT NULL DEFAULT now()",
  "doc jsonb DEFAULT '{}'::jsonb",
  "parent bigint REFERENCES web_dev.control (id)",
  "tags text[] CHECK (cardinality(tags) < 10)",
  "total numeric GENERATED ALWAYS AS (length(email) * 2) STORED",
  "kind text CHECK (kind IN ('a', 'b'))",
];
const BUILT_IN_INDEXES = ["(lower(email))", "(created) WHERE name <> ''", "USING gin (doc)"];

/** One forbidden element each, and what its refusal names. */
const FORBIDDEN: readonly { readonly place: string; readonly column?: string; readonly after?: (t: string) => string; readonly names: RegExp }[] = [
  { place: "CHECK", column: "c text CHECK (web_dev.evil(c))", names: /constraint .* depends on function web_dev\.evil\(anyelement\)/ },
  { place: "domain CHECK", column: "c web_dev.checked_text", names: /table web_dev\.\w+ \(through constraint checked_text_check of domain web_dev\.checked_text\) depends on function web_dev\.evil/ },
  { place: "domain over a domain", column: "c web_dev.nested_text", names: /table web_dev\.\w+ \(through constraint checked_text_check of domain web_dev\.checked_text\) depends on function web_dev\.evil/ },
  { place: "array of a domain", column: "c web_dev.checked_text[]", names: /depends on function web_dev\.evil/ },
  { place: "composite type with a domain", column: "c web_dev.pair", names: /depends on function web_dev\.evil/ },
  { place: "generated column", column: "c text GENERATED ALWAYS AS (web_dev.evil_immutable(email)) STORED", names: /default value for column c .* depends on function web_dev\.evil_immutable\(text\)/ },
  { place: "column default", column: "c boolean DEFAULT web_dev.evil(1)", names: /default value for column c .* depends on function web_dev\.evil/ },
  { place: "index expression", after: (t) => `CREATE INDEX ON web_dev.${t} (web_dev.evil_immutable(email))`, names: /index .* depends on function web_dev\.evil_immutable\(text\)/ },
  { place: "partial index predicate", after: (t) => `CREATE INDEX ON web_dev.${t} (email) WHERE web_dev.evil_immutable(email) <> ''`, names: /index .* depends on function web_dev\.evil_immutable\(text\)/ },
  { place: "operator in a CHECK", column: "c integer CHECK (c OPERATOR(web_dev.===) c)", names: /depends on operator web_dev\.===\(integer,integer\)/ },
  { place: "RLS policy", after: (t) => `ALTER TABLE web_dev.${t} ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON web_dev.${t} USING (web_dev.evil(email))`, names: /policy p on table web_dev\.\w+ depends on function web_dev\.evil/ },
  { place: "RLS policy reading a view", after: (t) => `CREATE VIEW web_dev.${t}_view AS SELECT web_dev.evil(1) AS ok; ALTER TABLE web_dev.${t} ENABLE ROW LEVEL SECURITY; CREATE POLICY p ON web_dev.${t} USING (EXISTS (SELECT 1 FROM web_dev.${t}_view))`, names: /policy p on table web_dev\.\w+ \(through rule _RETURN on view web_dev\.\w+_view\) depends on function web_dev\.evil/ },
  { place: "ORIGIN trigger", after: (t) => `CREATE TRIGGER t BEFORE INSERT ON web_dev.${t} FOR EACH ROW EXECUTE FUNCTION web_dev.evil_trigger()`, names: /trigger t on table web_dev\.\w+ depends on function web_dev\.evil_trigger\(\)/ },
  { place: "ALWAYS trigger", after: (t) => `CREATE TRIGGER t BEFORE INSERT ON web_dev.${t} FOR EACH ROW EXECUTE FUNCTION web_dev.evil_trigger(); ALTER TABLE web_dev.${t} ENABLE ALWAYS TRIGGER t`, names: /trigger t on web_dev\.\w+ is enabled ALWAYS/ },
  { place: "REPLICA trigger", after: (t) => `CREATE TRIGGER t BEFORE INSERT ON web_dev.${t} FOR EACH ROW EXECUTE FUNCTION web_dev.evil_trigger(); ALTER TABLE web_dev.${t} ENABLE REPLICA TRIGGER t`, names: /trigger t on web_dev\.\w+ is enabled REPLICA/ },
  { place: "FORCE ROW LEVEL SECURITY", after: (t) => `ALTER TABLE web_dev.${t} ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY; CREATE POLICY p ON web_dev.${t} USING (length(email) > 3)`, names: /table web_dev\.\w+ forces row-level security on its owner/ },
  { place: "a built-in that runs SQL text", column: "c text CHECK (query_to_xml('SELECT web_dev.evil(1)', true, true, '') IS NOT NULL)", names: /constraint \w+_check on table web_dev\.\w+ calls query_to_xml\(text,boolean,boolean,text\), which runs SQL given as text/ },
  { place: "table inheritance", after: (t) => `CREATE TABLE web_dev.${t}_child () INHERITS (web_dev.${t})`, names: /inherits from or is inherited by/ },
];

let databases: TwoDatabases;
let admin: Client;

async function asTenant(client: Client, sql: string): Promise<void> {
  await client.query(`SET ROLE ${DDL}`);
  try {
    await client.query(sql);
  } finally {
    await client.query("RESET ROLE");
  }
}

async function refusals(client: Client): Promise<string[]> {
  return refusedShapes((await client.query(shapeRefusalsSql(SCHEMAS))).rows as ShapeRefusalRow[]);
}

/** The audit guard's triggers on a table, as cover() attaches them (a table with a primary key). */
function guardTriggersSql(table: string): string {
  const t = `web_dev.${table}`;
  return `CREATE TRIGGER ${AUDIT_TRIGGER.insert} AFTER INSERT ON ${t} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.record_statement('id');
CREATE TRIGGER ${AUDIT_TRIGGER.update} AFTER UPDATE ON ${t} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.record_statement('id');
CREATE TRIGGER ${AUDIT_TRIGGER.delete} AFTER DELETE ON ${t} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.record_statement('id');
CREATE TRIGGER ${AUDIT_TRIGGER.truncate} BEFORE TRUNCATE ON ${t} FOR EACH STATEMENT EXECUTE FUNCTION audit.refuse_truncate();`;
}

function tableSql(name: string, parts: readonly string[]): string {
  return `CREATE TABLE web_dev.${name} (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY${parts.map((p) => `, ${p}`).join("")})`;
}

const CONTROL = `${tableSql("control", BUILT_IN_PARTS)};
${BUILT_IN_INDEXES.map((ix) => `CREATE INDEX ON web_dev.control ${ix}`).join(";\n")};`;

describe("the shape check refuses tables whose copy would run tenant code", () => {
  beforeAll(async () => {
    const login = await ensureProviderAdmin(localPaths(inject("localDir")), server, "tenantry");
    admin = adminClient(server);
    await admin.connect();
    await admin.query(`DO $r$ BEGIN CREATE ROLE ${DDL} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $r$`);
    await admin.query(`GRANT ${DDL} TO tenantry WITH SET TRUE`);
    databases = new TwoDatabases(server, { source: SOURCE, target: TARGET }, SHAPE, login);
    await databases.reset();
    for (const client of [databases.source, databases.target]) {
      await asTenant(client, CONTROL);
      // The guard attaches its triggers as its own owner, not as the tenant (audit-guard-sql.ts).
      await client.query(guardTriggersSql("control"));
    }
  });
  afterAll(async () => {
    await databases?.drop();
    await admin?.end();
  });

  it("accepts a table using only built-ins (CHECK, lower() index, now() default, identity, jsonb, a foreign key) with the audit guard's triggers", async () => {
    expect(await refusals(databases.source)).toEqual([]);
  });

  it("refuses each place a tenant-written function or operator can hide, naming the table and the object", async () => {
    const client = databases.source;
    const expected: [string, RegExp][] = [];
    for (const [i, forbidden] of FORBIDDEN.entries()) {
      const table = `place_${i}`;
      await asTenant(client, `${tableSql(table, ["email text", ...(forbidden.column === undefined ? [] : [forbidden.column])])};
${forbidden.after?.(table) ?? ""}`);
      expected.push([table, forbidden.names]);
    }
    const found = await refusals(client);
    for (const [table, names] of expected) {
      const about = found.filter((line) => line.startsWith(`"web_dev"."${table}": `));
      expect(about, `${table} (${FORBIDDEN[Number(table.slice(6))]!.place})`).not.toEqual([]);
      expect(about.some((line) => names.test(line)), `${table}: ${about.join(" | ")}`).toBe(true);
    }
    // The control table stays accepted next to them; nothing else was named.
    const named = new Set(found.map((line) => /^"web_dev"\."(\w+)"/.exec(line)![1]));
    expect(named.has("control")).toBe(false);
    for (const table of named) expect(table === "seen" ? false : expected.some(([t]) => t === table || `${t}_child` === table)).toBe(true);
    for (const [table] of expected) await asTenant(client, `DROP TABLE web_dev.${table} CASCADE; DROP VIEW IF EXISTS web_dev.${table}_view`);
  });

  it("refuses every generated table holding one forbidden element among built-in ones, and accepts it without", async () => {
    const client = databases.source;
    const parts = fc.subarray(BUILT_IN_PARTS.filter((p) => !p.includes("REFERENCES") && !p.includes("GENERATED")));
    const indexes = fc.subarray(BUILT_IN_INDEXES.filter((ix) => !ix.includes("doc") && !ix.includes("created")));
    await fc.assert(fc.asyncProperty(parts, indexes, fc.option(fc.nat({ max: FORBIDDEN.length - 1 }), { nil: undefined }), fc.boolean(), async (builtIns, ixs, pick, guarded) => {
      const forbidden = pick === undefined ? undefined : FORBIDDEN[pick]!;
      const columns = ["email text", ...builtIns.filter((p) => !p.startsWith("email")), ...(forbidden?.column === undefined ? [] : [forbidden.column])];
      await asTenant(client, `DROP TABLE IF EXISTS web_dev.gen CASCADE; DROP VIEW IF EXISTS web_dev.gen_view; ${tableSql("gen", columns)};
${ixs.map((ix) => `CREATE INDEX ON web_dev.gen ${ix}`).join(";\n")};
${forbidden?.after?.("gen") ?? ""}`);
      if (guarded) await client.query(guardTriggersSql("gen"));
      const found = (await refusals(client)).filter((line) => line.startsWith('"web_dev"."gen'));
      if (forbidden === undefined) expect(found).toEqual([]);
      else expect(found.some((line) => forbidden.names.test(line)), `${forbidden.place}: ${found.join(" | ")}`).toBe(true);
    }), { numRuns: 60 });
    await asTenant(client, "DROP TABLE IF EXISTS web_dev.gen CASCADE; DROP VIEW IF EXISTS web_dev.gen_view");
  });

  it("allows the audit guard's exception only as the guard makes it: its trigger names, its functions, enabled ORIGIN", async () => {
    const client = databases.source;
    const cases: [string, string, RegExp][] = [
      ["guard_name_tenant_code", `CREATE TRIGGER ${AUDIT_TRIGGER.insert} AFTER INSERT ON web_dev.guard_name_tenant_code FOR EACH ROW EXECUTE FUNCTION web_dev.evil_trigger()`,
        /trigger tenantry__audit_insert on table web_dev\.guard_name_tenant_code depends on function web_dev\.evil_trigger\(\)/],
      ["guard_code_other_name", "CREATE TRIGGER mine AFTER INSERT ON web_dev.guard_code_other_name REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION audit.record_statement('id')",
        /trigger mine on table web_dev\.guard_code_other_name depends on function audit\.record_statement\(\)/],
      ["guard_always", `${guardTriggersSql("guard_always")} ALTER TABLE web_dev.guard_always ENABLE ALWAYS TRIGGER ${AUDIT_TRIGGER.insert}`,
        /trigger tenantry__audit_insert on web_dev\.guard_always is enabled ALWAYS/],
    ];
    for (const [table, triggerSql] of cases) {
      await asTenant(client, tableSql(table, ["email text"]));
      await client.query(triggerSql);
    }
    const found = await refusals(client);
    for (const [table, , names] of cases) {
      const about = found.filter((line) => line.startsWith(`"web_dev"."${table}": `));
      expect(about.some((line) => names.test(line)), `${table}: ${about.join(" | ")}`).toBe(true);
      await asTenant(client, `DROP TABLE web_dev.${table}`);
    }
  });

  it("accepts row-level security without FORCE when its policies use only built-ins: the owner's read is whole", async () => {
    const client = databases.source;
    await asTenant(client, `${tableSql("policed", ["email text"])}; ALTER TABLE web_dev.policed ENABLE ROW LEVEL SECURITY;
CREATE POLICY mine ON web_dev.policed USING (email = current_user)`);
    expect((await refusals(client)).filter((line) => line.includes("policed"))).toEqual([]);
    await asTenant(client, "DROP TABLE web_dev.policed");
  });

  it("refuses a partitioned table whose partition or partition key carries a tenant function, naming the parent it is copied through", async () => {
    const client = databases.source;
    await asTenant(client, `CREATE TABLE web_dev.parted (id bigint NOT NULL, email text) PARTITION BY RANGE (id);
CREATE TABLE web_dev.parted_low PARTITION OF web_dev.parted (CHECK (web_dev.evil(email))) FOR VALUES FROM (0) TO (100);
CREATE TABLE web_dev.parted_high PARTITION OF web_dev.parted FOR VALUES FROM (100) TO (200);`);
    expect((await refusals(client)).filter((line) => line.includes("parted"))).toEqual([
      '"web_dev"."parted": constraint parted_low_email_check on table web_dev.parted_low depends on function web_dev.evil(anyelement), which is not built into Postgres',
    ]);
    await asTenant(client, "DROP TABLE web_dev.parted");
    // The partition key is computed for every row COPY routes: a tenant function there runs too.
    await asTenant(client, `CREATE TABLE web_dev.keyed (id bigint NOT NULL, email text) PARTITION BY LIST (web_dev.evil_immutable(email));
CREATE TABLE web_dev.keyed_all PARTITION OF web_dev.keyed DEFAULT;`);
    expect((await refusals(client)).filter((line) => line.includes("keyed"))).toEqual([
      '"web_dev"."keyed": table web_dev.keyed depends on function web_dev.evil_immutable(text), which is not built into Postgres',
    ]);
    await asTenant(client, "DROP TABLE web_dev.keyed");
  });

  it("refuses a foreign table in a workspace schema: its rows are not in the database and the copy would not carry them", async () => {
    const client = databases.source;
    const owner = adminClient(server, SOURCE);
    await owner.connect();
    try {
      // A foreign-data wrapper needs the superuser; the tenant only needs USAGE on a server.
      await owner.query(`CREATE EXTENSION IF NOT EXISTS postgres_fdw; CREATE SERVER elsewhere FOREIGN DATA WRAPPER postgres_fdw OPTIONS (dbname 'nowhere');
GRANT USAGE ON FOREIGN SERVER elsewhere TO ${DDL}`);
      await asTenant(client, "CREATE FOREIGN TABLE web_dev.remote (id integer, note text) SERVER elsewhere");
      expect((await refusals(client)).filter((line) => line.includes("remote"))).toEqual([
        '"web_dev"."remote": foreign table web_dev.remote depends on server elsewhere, which is not built into Postgres',
        '"web_dev"."remote": web_dev.remote is a foreign table: its rows are not in this database, and the move does not copy them',
      ]);
      await asTenant(client, "DROP FOREIGN TABLE web_dev.remote");
      await owner.query("DROP SERVER elsewhere");
    } finally {
      await owner.end();
    }
  });

  it("control: with the refusal not run, a tenant function in a CHECK runs during the copy's COPY ... FROM under replica, as the copying login", async () => {
    const { source, target } = databases;
    const table = "planted";
    for (const client of [source, target]) await asTenant(client, `${tableSql(table, ["email text CHECK (web_dev.evil(email))"])}`);
    await source.query(`INSERT INTO web_dev.${table} (email) VALUES ('a@example.com'), ('b@example.com')`);
    await target.query("DELETE FROM web_dev.seen");
    expect((await refusals(source)).filter((line) => line.includes(table))).toEqual([expect.stringMatching(/^"web_dev"\."planted": constraint planted_email_check on table web_dev\.planted depends on function web_dev\.evil\(anyelement\)/)]);
    await Promise.all([pinTextForms(source), pinTextForms(target)]);
    expect(await copyTable(source, target, { schema: "web_dev", table })).toBe(2);
    const { rows } = await target.query("SELECT who FROM web_dev.seen");
    expect(rows).toEqual([{ who: "tenantry" }, { who: "tenantry" }]);
    for (const client of [source, target]) await asTenant(client, `DROP TABLE web_dev.${table}`);
  });

  it("control: a CHECK calling only a built-in (query_to_xml) runs the tenant function it names during the copy too, so such built-ins are out of the allowlist", async () => {
    const { source, target } = databases;
    const table = "planted_text";
    const check = "email text CHECK (query_to_xml('SELECT web_dev.evil(1)', true, true, '') IS NOT NULL)";
    for (const client of [source, target]) await asTenant(client, tableSql(table, [check]));
    await source.query(`INSERT INTO web_dev.${table} (email) VALUES ('a@example.com')`);
    await target.query("DELETE FROM web_dev.seen");
    await Promise.all([pinTextForms(source), pinTextForms(target)]);
    expect(await copyTable(source, target, { schema: "web_dev", table })).toBe(1);
    expect((await target.query("SELECT who FROM web_dev.seen")).rows).toEqual([{ who: "tenantry" }]);
    expect((await refusals(source)).filter((line) => line.includes(table))).toEqual([
      '"web_dev"."planted_text": constraint planted_text_check on table web_dev.planted_text calls query_to_xml(text,boolean,boolean,text), which runs SQL given as text or changes the copying session',
    ]);
    for (const client of [source, target]) await asTenant(client, `DROP TABLE web_dev.${table}`);
  });

  it("the audit guard's triggers, enabled ORIGIN, do not fire while the copy restores rows, and do fire for an ordinary insert", async () => {
    const { source, target } = databases;
    await source.query("INSERT INTO web_dev.control (name, email, kind) VALUES ('x', 'x@example.com', 'a'), ('y', 'y@example.com', 'b')");
    const before = Number((await target.query("SELECT count(*) AS n FROM audit.events")).rows[0].n);
    await Promise.all([pinTextForms(source), pinTextForms(target)]);
    expect(await copyTable(source, target, { schema: "web_dev", table: "control" })).toBe(2);
    expect(Number((await target.query("SELECT count(*) AS n FROM audit.events")).rows[0].n)).toBe(before);
    await target.query("INSERT INTO web_dev.control (id, name, email) OVERRIDING SYSTEM VALUE VALUES (1000, 'z', 'z@example.com')");
    expect(Number((await target.query("SELECT count(*) AS n FROM audit.events")).rows[0].n)).toBe(before + 1);
  });

  it("COPY ... FROM ignores a table's rules: a DO INSTEAD NOTHING rule does not drop restored rows", async () => {
    const { source, target } = databases;
    for (const client of [source, target]) await asTenant(client, tableSql("ruled", ["note text"]));
    await asTenant(target, "CREATE RULE swallow AS ON INSERT TO web_dev.ruled DO INSTEAD NOTHING");
    await source.query("INSERT INTO web_dev.ruled (note) VALUES ('kept'), ('kept too')");
    await Promise.all([pinTextForms(source), pinTextForms(target)]);
    expect(await copyTable(source, target, { schema: "web_dev", table: "ruled" })).toBe(2);
    expect((await target.query("SELECT note FROM web_dev.ruled ORDER BY note")).rows).toEqual([{ note: "kept" }, { note: "kept too" }]);
    expect((await refusals(target)).filter((line) => line.includes("ruled"))).toEqual([]);
    for (const client of [source, target]) await asTenant(client, "DROP TABLE web_dev.ruled");
  });
});
