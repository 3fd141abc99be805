import { existsSync, readFileSync } from "node:fs";
import { Client } from "pg";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { attempt } from "../../local/attempt";
import { localPaths } from "../../local/paths";
import { dropProofObjects, leftoverWarning, recordedProofObjects, recordProofObject, type ProofObject } from "../../local/proof-objects";
import type { ServerInfo } from "../../local/server";

/*
 * The clean-up after a proof, on the test run's real server: exactly what the journal lists goes,
 * so a tenant's table or role that merely looks like a proof's is never touched.
 */

const dir = inject("localDir");
const server = JSON.parse(readFileSync(localPaths(dir).serverFile, "utf8")) as ServerInfo;
const superuser = { user: server.user, password: server.password };
const asSuperuser = (sql: string[], database = "postgres") => attempt(server, superuser, database, sql);
let runs = 0;

describe("dropping what a proof left", () => {
  it("drops exactly the tables and roles its journal lists, never a tenant's of a similar name", async () => {
    const suffixes = fc.uniqueArray(fc.stringMatching(/^[a-z0-9]{1,8}$/), { minLength: 1, maxLength: 4 });
    await fc.assert(fc.asyncProperty(suffixes, fc.array(fc.boolean(), { minLength: 4, maxLength: 4 }), async (names, listed) => {
      const run = (runs += 1);
      const schema = `journal_${run}`;
      const journal = join(dir, `proof-journal-${run}.json`);
      const tables = names.map((n) => `tenantry__proof_${n}`);
      const roles = names.map((n) => `tenantry__proof_${run}_${n}`);
      await asSuperuser([`CREATE SCHEMA ${schema}`, ...tables.map((t) => `CREATE TABLE ${schema}."${t}" (id int)`), ...roles.map((r) => `CREATE ROLE "${r}"`)]);
      const objects: ProofObject[] = names.flatMap((_, i) => (listed[i] === true
        ? [{ kind: "table", database: "postgres", schema, table: tables[i] ?? "" } as const, { kind: "role", role: roles[i] ?? "" } as const]
        : []));
      for (const object of objects) recordProofObject(journal, object);
      expect(await dropProofObjects(server, journal)).toEqual({ listed: objects.length, leftovers: [] });
      const left = await asSuperuser([
        `SELECT coalesce(array_agg(relname::text ORDER BY relname), '{}') AS tables FROM pg_class WHERE relnamespace = '${schema}'::regnamespace AND relkind = 'r'`,
      ]);
      const leftRoles = await asSuperuser([`SELECT coalesce(array_agg(rolname::text ORDER BY rolname), '{}') AS roles FROM pg_roles WHERE starts_with(rolname, 'tenantry__proof_${run}_')`]);
      expect(left.rows[0]?.["tables"]).toEqual(tables.filter((_, i) => listed[i] !== true).sort());
      expect(leftRoles.rows[0]?.["roles"]).toEqual(roles.filter((_, i) => listed[i] !== true).sort());
      expect(existsSync(journal)).toBe(false);
      await asSuperuser([`DROP SCHEMA ${schema} CASCADE`, ...roles.map((r) => `DROP ROLE IF EXISTS "${r}"`)]);
    }), { numRuns: 6 });
  });

  it("counts a table whose database is gone as dropped", async () => {
    const journal = join(dir, "proof-journal-gone.json");
    recordProofObject(journal, { kind: "table", database: "tn_no_such_org", schema: "web_dev", table: "tenantry__proof_gone" });
    await expect(dropProofObjects(server, journal)).resolves.toEqual({ listed: 1, leftovers: [] });
    expect(existsSync(journal)).toBe(false);
  });
});

/*
 * As tenant migrations: the DDL login owns its schema's objects and may grant on them to any
 * role it sees, the proof's included, in the moment between the proof creating a role and
 * dropping it. Those grants must not keep the role alive, nor make a later run fail.
 */
describe("a proof role a tenant has granted privileges to", () => {
  const OTHER_DATABASE = "tn_journal_other";
  const DEPENDENCIES = ["table", "schema", "sequence", "function", "default privileges", "policy", "database"] as const;
  type Dependency = (typeof DEPENDENCIES)[number];

  /** What the tenant's owner role runs to make `role` depend on its objects in `schema`. */
  function grants(dependency: Dependency, schema: string, role: string, database: string): string[] {
    switch (dependency) {
      case "table": return [`GRANT SELECT ON ${schema}.mine TO "${role}"`];
      case "schema": return [`GRANT USAGE ON SCHEMA ${schema} TO "${role}"`];
      case "sequence": return [`GRANT USAGE ON SEQUENCE ${schema}.counter TO "${role}"`];
      case "function": return [`GRANT EXECUTE ON FUNCTION ${schema}.answer() TO "${role}"`];
      case "default privileges": return [`ALTER DEFAULT PRIVILEGES IN SCHEMA ${schema} GRANT SELECT ON TABLES TO "${role}"`];
      case "policy": return [`CREATE POLICY "p_${role}" ON ${schema}.mine TO "${role}" USING (true)`];
      case "database": return [`GRANT CONNECT ON DATABASE ${database} TO "${role}"`];
    }
  }

  const tenantObjects = (schema: string, owner: string) => [
    `CREATE ROLE ${owner} NOLOGIN`,
    `CREATE SCHEMA ${schema} AUTHORIZATION ${owner}`,
    `SET ROLE ${owner}`,
    `CREATE TABLE ${schema}.mine (id int)`,
    `CREATE SEQUENCE ${schema}.counter`,
    `CREATE FUNCTION ${schema}.answer() RETURNS int LANGUAGE sql AS 'SELECT 42'`,
    "RESET ROLE",
  ];
  const TENANT_OBJECTS_LEFT = (schema: string) =>
    `SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = '${schema}'::regnamespace)::int + (SELECT count(*) FROM pg_proc WHERE pronamespace = '${schema}'::regnamespace)::int AS n`;

  it("is dropped, whatever the tenant granted it in whichever database, and the tenant's objects stay (generated)", async () => {
    await asSuperuser([`CREATE DATABASE ${OTHER_DATABASE}`]);
    // postgres is closed to PUBLIC (docs/shared-databases.md): a tenant holds no privilege there
    // to grant, and the server refuses GRANT CONNECT on it with 42501, so that one is not generated.
    const dependency = fc.record({ kind: fc.constantFrom(...DEPENDENCIES), database: fc.constantFrom("postgres", OTHER_DATABASE) })
      .filter((d) => !(d.kind === "database" && d.database === "postgres"));
    await fc.assert(fc.asyncProperty(fc.uniqueArray(dependency, { minLength: 1, maxLength: 5, selector: (d) => `${d.kind}@${d.database}` }), async (dependencies) => {
      const run = (runs += 1);
      const [schema, owner, role] = [`granted_${run}`, `granted_owner_${run}`, `tenantry__proof_granted_${run}`];
      const journal = join(dir, `proof-journal-${run}.json`);
      const databases = [...new Set(dependencies.map((d) => d.database))];
      await asSuperuser([`CREATE ROLE "${role}" LOGIN`]);
      recordProofObject(journal, { kind: "role", role });
      for (const [i, database] of databases.entries()) {
        const setup = i === 0 ? tenantObjects(schema, owner) : tenantObjects(schema, owner).slice(1);
        const granted = dependencies.filter((d) => d.database === database).flatMap((d) => grants(d.kind, schema, role, database));
        const outcome = await asSuperuser([...setup, `SET ROLE ${owner}`, ...granted], database);
        expect(outcome.code, outcome.message).toBeUndefined();
      }
      expect(await dropProofObjects(server, journal)).toEqual({ listed: 1, leftovers: [] });
      expect((await asSuperuser([`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = '${role}'`])).rows[0]?.["n"]).toBe(0);
      for (const database of databases) {
        // The table, its sequence, the function: all still there, the tenant's own.
        expect((await asSuperuser([TENANT_OBJECTS_LEFT(schema)], database)).rows[0]?.["n"]).toBe(3);
        await asSuperuser([`DROP SCHEMA ${schema} CASCADE`], database);
      }
      await asSuperuser([`DROP ROLE ${owner}`]);
    }), { numRuns: 8 });
    await asSuperuser([`DROP DATABASE ${OTHER_DATABASE}`]);
  });

  const roleCount = async (role: string) => (await asSuperuser([`SELECT count(*)::int AS n FROM pg_roles WHERE rolname = '${role}'`])).rows[0]?.["n"];

  /**
   * A journaled proof role, and a tenant session that grants SELECT on its own table to every
   * proof role it sees, pausing `pauseMs` between rounds. Runs `clean` (the clean-up under test)
   * once the role holds the grant, stops the tenant, then removes the tenant's objects.
   */
  async function underRegrants<T>(pauseMs: number, clean: (role: string, journal: string) => Promise<T>): Promise<T> {
    const run = (runs += 1);
    const [schema, owner, role] = [`regrant_${run}`, `regrant_owner_${run}`, `tenantry__proof_regrant_${run}`];
    const journal = join(dir, `proof-journal-${run}.json`);
    await asSuperuser([...tenantObjects(schema, owner), `CREATE ROLE "${role}" LOGIN`]);
    recordProofObject(journal, { kind: "role", role });
    const tenant = new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: "postgres" });
    await tenant.connect();
    await tenant.query(`SET ROLE ${owner}`);
    let granting = true;
    const loop = (async () => {
      while (granting) {
        // The role can vanish between the lookup and the grant: that round fails, the next goes on.
        await tenant.query(`DO $$ DECLARE r text; BEGIN FOR r IN SELECT rolname FROM pg_roles WHERE starts_with(rolname, 'tenantry__proof_regrant_') LOOP
          EXECUTE format('GRANT SELECT ON ${schema}.mine TO %I', r); END LOOP; END $$`).catch(() => undefined);
        if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
      }
    })();
    try {
      const holds = async () => (await asSuperuser([`SELECT has_table_privilege('${role}', '${schema}.mine', 'SELECT') AS held`])).rows[0]?.["held"] === true;
      for (const deadline = Date.now() + 10_000; !(await holds());) {
        if (Date.now() > deadline) throw new Error(`the tenant's loop never granted to ${role}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return await clean(role, journal);
    } finally {
      granting = false;
      await loop;
      await tenant.end();
      await asSuperuser([`DROP SCHEMA ${schema} CASCADE`, `DROP OWNED BY ${owner}`, `DROP ROLE ${owner}`]);
    }
  }

  it("is dropped while a tenant session re-grants to every proof role it sees, every few milliseconds", async () => {
    const role = await underRegrants(5, async (proofRole, journal) => {
      expect(await dropProofObjects(server, journal)).toEqual({ listed: 1, leftovers: [] });
      return proofRole;
    });
    expect(await roleCount(role)).toBe(0);
  });

  it("never fails the run while a tenant re-grants without pause: the role is dropped, or reported and kept listed", async () => {
    const { role, journal, report } = await underRegrants(0, async (proofRole, file) => ({ role: proofRole, journal: file, report: await dropProofObjects(server, file) }));
    const left = await roleCount(role);
    expect(report.leftovers.map((l) => l.object)).toEqual(left === 0 ? [] : [{ kind: "role", role }]);
    expect(recordedProofObjects(journal)).toEqual(left === 0 ? [] : [{ kind: "role", role }]);
    // Once the tenant stops, the next run drops it.
    expect(await dropProofObjects(server, journal)).toEqual({ listed: left === 0 ? 0 : 1, leftovers: [] });
    expect(await roleCount(role)).toBe(0);
  });

  it("that cannot be dropped is reported in one line and stays listed for the next run; the rest is dropped", async () => {
    const run = (runs += 1);
    const [schema, table, role] = [`blocked_${run}`, `tenantry__proof_blocked_${run}`, `tenantry__proof_blocked_role_${run}`];
    const journal = join(dir, `proof-journal-${run}.json`);
    // A tenant's view on the proof's table: dropping the table would need CASCADE, which would take the tenant's view.
    await asSuperuser([`CREATE SCHEMA ${schema}`, `CREATE TABLE ${schema}."${table}" (id int)`, `CREATE VIEW ${schema}.theirs AS SELECT * FROM ${schema}."${table}"`, `CREATE ROLE "${role}"`]);
    const blocked: ProofObject = { kind: "table", database: "postgres", schema, table };
    recordProofObject(journal, blocked);
    recordProofObject(journal, { kind: "role", role });
    const report = await dropProofObjects(server, journal);
    expect(report).toEqual({ listed: 2, leftovers: [{ object: blocked, reason: expect.stringContaining("other objects depend on it") }] });
    expect(recordedProofObjects(journal)).toEqual([blocked]);
    const warning = leftoverWarning(report.leftovers);
    expect(warning).toMatch(new RegExp(`^could not drop 1 object\\(s\\) a proof created: table ${schema}\\.${table} in postgres \\(cannot drop table [^)]*\\); it stays listed and the next prove or up tries again$`));
    expect(leftoverWarning([])).toBeUndefined();
    expect((await asSuperuser([`SELECT count(*)::int AS n FROM ${schema}.theirs`])).code).toBeUndefined();
    await asSuperuser([`DROP SCHEMA ${schema} CASCADE`]);
  });
});
