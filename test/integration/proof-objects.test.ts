import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { attempt } from "../../local/attempt";
import { localPaths } from "../../local/paths";
import { dropProofObjects, recordProofObject, type ProofObject } from "../../local/proof-objects";
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
      await dropProofObjects(server, journal);
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
    await expect(dropProofObjects(server, journal)).resolves.toBe(1);
    expect(existsSync(journal)).toBe(false);
  });
});
