import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Client } from "pg";
import { describe, expect, inject, it } from "vitest";
import { closeLargeObjectsSql, LARGE_OBJECT_FUNCTION } from "../../components/large-objects-sql";
import { closeSharedDatabasesSql, SHARED_DATABASES } from "../../components/shared-databases-sql";
import { localPaths } from "../../local/paths";
import type { ServerInfo } from "../../local/server";
import { SQLSTATE } from "../../local/sqlstate";
import { planMigrations } from "../../components/migration-plan";
import { environmentRoleName, orgRoleName, quoteIdent, quoteLiteral } from "../../spec/naming";

/*
 * The server-setup script and the org database's large-object migration on the test run's real
 * server, as the superuser that runs them and as a login that owns neither the shared databases
 * nor pg_catalog (the position of a managed server's master user). Each case runs in one
 * transaction that is rolled back, so the shared server other test files use is never left
 * reopened: what a case grants is invisible to every other session and gone when it ends.
 */

const server = JSON.parse(readFileSync(localPaths(inject("localDir")).serverFile, "utf8")) as ServerInfo;

/** Runs `body` as the superuser in `postgres`, inside a transaction that is always rolled back. */
async function inRolledBackTransaction<T>(body: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database: "postgres" });
  await client.connect();
  try {
    await client.query("BEGIN");
    return await body(client);
  } finally {
    await client.query("ROLLBACK").catch(() => undefined);
    await client.end();
  }
}

/** The SQLSTATE and message `sql` fails with, or undefined if it succeeds. */
async function failure(client: Client, sql: string): Promise<{ code: string; message: string } | undefined> {
  await client.query("SAVEPOINT attempt");
  try {
    await client.query(sql);
    return undefined;
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  } finally {
    await client.query("ROLLBACK TO SAVEPOINT attempt");
  }
}

/** Reopens the shared databases as Postgres ships them, in the order the script closes them (no lock cycle with a concurrent run). */
const reopen = `GRANT CONNECT, TEMPORARY ON DATABASE ${SHARED_DATABASES.map(quoteIdent).join(", ")} TO PUBLIC`;

async function databasePrivilege(client: Client, role: string, database: string, privilege: string): Promise<boolean> {
  const { rows } = await client.query<{ held: boolean }>("SELECT pg_catalog.has_database_privilege($1, $2, $3) AS held", [role, database, privilege]);
  return rows[0]!.held;
}

/** Who, besides its owner, may execute each large-object function. */
async function largeObjectGrantees(client: Client): Promise<string[]> {
  const { rows } = await client.query<{ held: string }>(`SELECT p.oid::pg_catalog.regprocedure || ' to ' ||
      CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_catalog.pg_get_userbyid(a.grantee) END AS held
    FROM pg_catalog.pg_proc p CROSS JOIN LATERAL pg_catalog.aclexplode(COALESCE(p.proacl, pg_catalog.acldefault('f', p.proowner))) a
    WHERE ${LARGE_OBJECT_FUNCTION} AND a.grantee <> p.proowner ORDER BY 1`);
  return rows.map((r) => r.held);
}

/** An org of the test's own, and the large-objects migration the platform plans for it. */
const ORG = "lofixtest";
const TENANT = environmentRoleName(ORG, "dev", "runtime");
const LARGE_OBJECTS = planMigrations({ slug: ORG, environments: ["dev"], workspaces: ["web"], lockTimeoutMs: 1000, statementTimeoutMs: 30000,
  idleInTransactionTimeoutMs: 60000, tempFileLimitMb: 512, providerDatabase: "postgres" }).largeObjects;

/** What the migration's drift query lists, as SqlMigration reads it (the first column of each row). */
async function drift(client: Client): Promise<string[]> {
  return (await client.query<Record<string, unknown>>(LARGE_OBJECTS.drift!)).rows.map((row) => String(Object.values(row)[0]));
}

/** Role names a stack file could give a provider login: quotes, spaces, unicode, upper case, reserved words. */
const RESERVED_OR_TAKEN = ["public", "none", "current_user", "current_role", "session_user", "postgres", "tenantry"];
const loginName = fc.stringMatching(/^[a-zA-Z_"' \-%\\é€]{1,20}$/).filter((name) => !name.startsWith("pg_") && !RESERVED_OR_TAKEN.includes(name));

describe("closing postgres and template1 (server setup)", () => {
  it("leaves PUBLIC no privilege on either, and CONNECT on postgres to exactly the admitted logins, whatever their names and configured databases", async () => {
    // A login configured on its own database still connects to postgres: the guardrails migration runs there.
    const configured = fc.constantFrom("postgres", "tn_elsewhere");
    await fc.assert(fc.asyncProperty(fc.uniqueArray(loginName, { minLength: 2, maxLength: 4 }), configured, async ([outsider, ...admitted], database) => {
      await inRolledBackTransaction(async (client) => {
        for (const role of [outsider!, ...admitted]) await client.query(`CREATE ROLE ${quoteIdent(role)} LOGIN`);
        await client.query(reopen);
        await client.query(closeSharedDatabasesSql(admitted.map((login) => ({ login, database }))));
        for (const database of SHARED_DATABASES) {
          for (const privilege of ["CONNECT", "TEMPORARY", "CREATE"]) expect(await databasePrivilege(client, "public", database, privilege)).toBe(false);
          expect(await databasePrivilege(client, outsider!, database, "CONNECT")).toBe(false);
        }
        for (const login of admitted) {
          expect(await databasePrivilege(client, login, "postgres", "CONNECT")).toBe(true);
          expect(await databasePrivilege(client, login, "template1", "CONNECT")).toBe(false);
        }
      });
    }), { numRuns: 10 });
  });

  it("stops with 42501, naming what PUBLIC still holds, when run by a login that does not own them (no silent no-op)", async () => {
    await inRolledBackTransaction(async (client) => {
      await client.query(reopen);
      await client.query("CREATE ROLE tenantry__test_master NOSUPERUSER CREATEDB CREATEROLE");
      await client.query("SET ROLE tenantry__test_master");
      const refused = await failure(client, closeSharedDatabasesSql([{ login: "tenantry__test_master", database: "postgres" }]));
      expect(refused?.code).toBe(SQLSTATE.insufficientPrivilege);
      expect(refused?.message).toBe("PUBLIC still holds CONNECT on postgres, TEMPORARY on postgres, CONNECT on template1, TEMPORARY on template1: "
        + "only the databases' owner can revoke it, and tenantry__test_master does not own them");
    });
  });
});

describe("taking the large-object functions from PUBLIC (an org database's elevated migration)", () => {
  it("leaves no one but their owner able to execute any of them, a grant made since the last run included", async () => {
    await inRolledBackTransaction(async (client) => {
      expect(await largeObjectGrantees(client)).toEqual(expect.arrayContaining(["lo_create(oid) to PUBLIC", "lo_from_bytea(oid,bytea) to PUBLIC"]));
      await client.query("CREATE ROLE tenantry__test_tenant");
      await client.query("GRANT EXECUTE ON FUNCTION pg_catalog.lo_put(oid, bigint, bytea) TO tenantry__test_tenant");
      await client.query(closeLargeObjectsSql());
      expect(await largeObjectGrantees(client)).toEqual([]);
      await client.query("SET ROLE tenantry__test_tenant");
      for (const call of ["SELECT pg_catalog.lo_create(0)", "SELECT pg_catalog.lo_from_bytea(0, '\\x00')", "SELECT pg_catalog.lo_put(1, 0, '\\x00')"]) {
        expect((await failure(client, call))?.code).toBe(SQLSTATE.insufficientPrivilege);
      }
    });
  });

  it("control: before it runs, a role with no grant at all creates a large object", async () => {
    await inRolledBackTransaction(async (client) => {
      await client.query("CREATE ROLE tenantry__test_tenant");
      await client.query("SET ROLE tenantry__test_tenant");
      expect(await failure(client, "SELECT pg_catalog.lo_create(0)")).toBeUndefined();
    });
  });

  it("as a login that does not own pg_catalog (a managed server's master user) succeeds, and its drift query then lists a large object a tenant role creates", async () => {
    await inRolledBackTransaction(async (client) => {
      await client.query(`CREATE ROLE ${quoteIdent(TENANT)}`);
      await client.query("CREATE ROLE tenantry__test_master NOSUPERUSER CREATEDB CREATEROLE");
      await client.query("SET ROLE tenantry__test_master");
      expect(await failure(client, LARGE_OBJECTS.sql)).toBeUndefined();
      // It could revoke nothing: the tenant still can, and only what it creates is reported.
      expect(await drift(client)).toEqual([]);
      await client.query(`RESET ROLE; SET ROLE ${quoteIdent(TENANT)}`);
      const { rows } = await client.query<{ oid: string }>("SELECT pg_catalog.lo_from_bytea(0, '\\x00')::text AS oid");
      await client.query("RESET ROLE; SET ROLE tenantry__test_master");
      expect(await drift(client)).toEqual([`large object ${rows[0]!.oid} is owned by ${TENANT}, a role of org ${ORG}: large objects live outside the ledger`]);
    });
  });
});

describe("the large-objects migration's drift query, as a superuser runs it", () => {
  it("lists each org role able to execute a large-object function before the migration, and nothing after it", async () => {
    await inRolledBackTransaction(async (client) => {
      await client.query(`CREATE ROLE ${quoteIdent(TENANT)}`);
      const before = await drift(client);
      expect(before).toContain(`${TENANT} can execute lo_create(oid)`);
      expect(before.every((line) => line.startsWith(`${TENANT} can execute lo`))).toBe(true);
      await client.query(LARGE_OBJECTS.sql);
      expect(await drift(client)).toEqual([]);
    });
  });

  it("lists a large object owned by an org role, and none owned by a role of no org (control)", async () => {
    await inRolledBackTransaction(async (client) => {
      await client.query(`CREATE ROLE ${quoteIdent(TENANT)}; CREATE ROLE tenantry__test_outsider`);
      await client.query(LARGE_OBJECTS.sql);
      const { rows } = await client.query<{ mine: string; theirs: string }>(`SELECT pg_catalog.lo_create(0)::text AS mine, pg_catalog.lo_create(0)::text AS theirs`);
      await client.query(`ALTER LARGE OBJECT ${rows[0]!.mine} OWNER TO ${quoteIdent(TENANT)}; ALTER LARGE OBJECT ${rows[0]!.theirs} OWNER TO tenantry__test_outsider`);
      expect(await drift(client)).toEqual([`large object ${rows[0]!.mine} is owned by ${TENANT}, a role of org ${ORG}: large objects live outside the ledger`]);
    });
  });
});

describe("the large-objects drift query, against a tenant hiding data in a large object", () => {
  it("lists an object owned by any role of the org, whatever the org and environment, and none owned by a role of an org whose name extends it", async () => {
    const slug = fc.stringMatching(/^[a-z][a-z0-9]{0,6}(-[a-z0-9]{1,4})?$/);
    const env = fc.constantFrom("dev", "test", "stage", "prod");
    const role = fc.oneof(
      fc.constantFrom("owner", "audit", "breakglass").map((kind) => (org: string) => orgRoleName(org, kind as "owner" | "audit" | "breakglass")),
      fc.constantFrom("runtime", "ddl").map((kind) => (org: string, environment: string) => environmentRoleName(org, environment, kind as "runtime" | "ddl")),
    );
    await fc.assert(fc.asyncProperty(slug, env, role, async (org, environment, roleOf) => {
      const plan = planMigrations({ slug: org, environments: [environment], workspaces: ["web"], lockTimeoutMs: 1000, statementTimeoutMs: 30000,
        idleInTransactionTimeoutMs: 60000, tempFileLimitMb: 512, providerDatabase: "postgres" }).largeObjects;
      const [insider, outsider] = [roleOf(org, environment), roleOf(`${org}-x`, environment)];
      await inRolledBackTransaction(async (client) => {
        await client.query(`CREATE ROLE ${quoteIdent(insider)}; CREATE ROLE ${quoteIdent(outsider)}`);
        await client.query(plan.sql);
        const { rows } = await client.query<{ mine: string; theirs: string }>("SELECT pg_catalog.lo_create(0)::text AS mine, pg_catalog.lo_create(0)::text AS theirs");
        await client.query(`ALTER LARGE OBJECT ${rows[0]!.mine} OWNER TO ${quoteIdent(insider)}; ALTER LARGE OBJECT ${rows[0]!.theirs} OWNER TO ${quoteIdent(outsider)}`);
        const listed = (await client.query<Record<string, unknown>>(plan.drift!)).rows.map((row) => String(Object.values(row)[0]));
        expect(listed).toEqual([`large object ${rows[0]!.mine} is owned by ${insider}, a role of org ${org}: large objects live outside the ledger`]);
      });
    }), { numRuns: 12 });
  });
});

describe("quoteLiteral", () => {
  it("renders any string as a constant Postgres reads back unchanged", async () => {
    await fc.assert(fc.asyncProperty(fc.string({ unit: "grapheme", maxLength: 20 }).filter((s) => !s.includes("\0")), async (value) => {
      await inRolledBackTransaction(async (client) => {
        const { rows } = await client.query<{ v: string }>(`SELECT ${quoteLiteral(value)}::text AS v`);
        expect(rows[0]!.v).toBe(value);
      });
    }), { numRuns: 30 });
  });
});
