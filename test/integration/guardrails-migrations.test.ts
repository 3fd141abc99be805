import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import { enforcerClusterSql } from "../../components/enforcer-sql";
import { planMigrations, type MigrationFacts } from "../../components/migration-plan";
import { localPaths } from "../../local/paths";
import type { ServerInfo } from "../../local/server";
import { SQLSTATE } from "../../local/sqlstate";
import { environmentRoleName, quoteIdent } from "../../spec/naming";

/*
 * The org's two role-setting migrations (`lock-timeouts`, `guardrails`) on the test run's real
 * server, as a real `pulumi up` runs them: their SQL and their drift queries, nothing of the local
 * engine's repair. Everything runs in a scratch database nobody bootstrapped (no enforcer schema,
 * no pg_cron), each case inside one transaction that is rolled back: the org's roles and whatever
 * they set on themselves are gone afterwards, and the shared enforcer in `postgres` is never touched.
 */

const server = JSON.parse(readFileSync(localPaths(inject("localDir")).serverFile, "utf8")) as ServerInfo;
const nonce = randomBytes(4).toString("hex");
const scratch = `test_guardrails_${nonce}`;
const slug = `gf${nonce}`;

const facts: MigrationFacts = {
  slug, environments: ["dev", "prod"], workspaces: ["web"], providerDatabase: scratch,
  statementTimeoutMs: 5000, lockTimeoutMs: 2000, idleInTransactionTimeoutMs: 10000, tempFileLimitMb: 64,
};
const plan = planMigrations(facts);
const roles = facts.environments.flatMap((env) => [environmentRoleName(slug, env, "runtime"), environmentRoleName(slug, env, "ddl")]);
/** Stands for the stack's provider login: CREATEROLE, not a superuser (as on a managed server). */
const provider = `test_provider_${nonce}`;

function superuserClient(database: string): Client {
  return new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
}

beforeAll(async () => {
  const admin = superuserClient("postgres");
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${quoteIdent(scratch)}`);
  } finally {
    await admin.end();
  }
});

afterAll(async () => {
  const admin = superuserClient("postgres");
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(scratch)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
});

/**
 * Runs `body` as the superuser in the scratch database, inside a transaction always rolled back,
 * after the provider login has created the org's login roles (so it administers them, as the
 * Postgres provider's roles are administered by the login that made them).
 */
async function withOrgRoles<T>(body: (client: Client) => Promise<T>): Promise<T> {
  const client = superuserClient(scratch);
  await client.connect();
  try {
    await client.query("BEGIN");
    await client.query(`CREATE ROLE ${quoteIdent(provider)} CREATEROLE NOSUPERUSER`);
    await client.query(`SET ROLE ${quoteIdent(provider)}`);
    for (const role of roles) await client.query(`CREATE ROLE ${quoteIdent(role)} LOGIN`);
    // The owner role the lock-timeouts migration keeps the login a member of.
    await client.query(`CREATE ROLE ${quoteIdent(`tn_${slug}_owner`)} NOLOGIN`);
    await client.query("RESET ROLE");
    return await body(client);
  } finally {
    await client.query("ROLLBACK").catch(() => undefined);
    await client.end();
  }
}

/** What a real apply runs: the lock-timeouts SQL as the provider login, the elevated guardrails SQL as the superuser. */
async function applyBoth(client: Client): Promise<void> {
  await client.query(`SET ROLE ${quoteIdent(provider)}`);
  await client.query(plan.lockTimeouts.sql);
  await client.query("RESET ROLE");
  await client.query(plan.guardrails.sql);
}

async function listed(client: Client, query: string | undefined): Promise<string[]> {
  if (query === undefined) throw new Error("the migration declares no drift query");
  return (await client.query<Record<string, unknown>>(query)).rows.map((row) => String(Object.values(row)[0]));
}

async function drift(client: Client): Promise<{ lockTimeouts: string[]; guardrails: string[] }> {
  return { lockTimeouts: await listed(client, plan.lockTimeouts.drift), guardrails: await listed(client, plan.guardrails.drift) };
}

const noDrift = { lockTimeouts: [], guardrails: [] };

describe("the guardrails migration on a server where nobody bootstrapped the enforcer", () => {
  it("installs the enforcer itself, skips the pg_cron job where pg_cron is not installed, and registers every login role", async () => {
    await withOrgRoles(async (client) => {
      const before = await client.query("SELECT 1 FROM pg_namespace WHERE nspname = 'guardrails'");
      expect(before.rowCount).toBe(0);
      await applyBoth(client);
      const { rows } = await client.query<{ role: string }>(`SELECT role FROM guardrails.limits WHERE org = $1 ORDER BY role`, [slug]);
      expect(rows.map((r) => r.role)).toEqual([...roles].sort());
      const enforced = await client.query("SELECT * FROM guardrails.enforce()");
      expect(enforced.rowCount).toBe(0);
    });
  });

  it("refuses an enforcer schema someone else owns, rather than adopting it", async () => {
    await withOrgRoles(async (client) => {
      await client.query(`CREATE SCHEMA guardrails AUTHORIZATION ${quoteIdent(roles[0]!)}`);
      await expect(client.query(plan.guardrails.sql)).rejects.toMatchObject({ code: SQLSTATE.insufficientPrivilege });
    });
  });
});

describe("the enforcer's installation, by two orgs' migrations at once", () => {
  it("is serialized: the second waits for the first and then finds everything in place, rather than failing", async () => {
    // Its own database, committed for real: the race is between two transactions.
    const database = `${scratch}_race`;
    const admin = superuserClient("postgres");
    await admin.connect();
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
    const [first, second] = [superuserClient(database), superuserClient(database)];
    try {
      await Promise.all([first.connect(), second.connect()]);
      await first.query("BEGIN");
      await first.query(enforcerClusterSql());
      await second.query("BEGIN");
      const racing = second.query(enforcerClusterSql()).then(() => undefined, (error: { code?: string; message?: string }) => error);
      await new Promise((resolve) => setTimeout(resolve, 300));
      await first.query("COMMIT");
      expect(await racing).toBeUndefined();
      await second.query("COMMIT");
    } finally {
      await Promise.all([first.end(), second.end()]);
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
      await admin.end();
    }
  });
});

/**
 * What a tenant role can do to its own settings, as itself. Some changes put back the declared
 * value (`SET lock_timeout = '2000'`): no drift role-wide, still drift `IN DATABASE`.
 */
const selfAlteration = fc.oneof(
  fc.record({ kind: fc.constant("set" as const), pair: fc.constantFrom(
    ["statement_timeout", "0"], ["statement_timeout", "5000"], ["lock_timeout", "0"], ["lock_timeout", "2000"],
    ["idle_in_transaction_session_timeout", "0"], ["work_mem", "1GB"], ["search_path", "public"]) }),
  fc.record({ kind: fc.constant("reset" as const), pair: fc.constantFrom(["statement_timeout", ""], ["lock_timeout", ""], ["idle_in_transaction_session_timeout", ""]) }),
  fc.record({ kind: fc.constant("in-database" as const), pair: fc.constantFrom(["statement_timeout", "0"], ["lock_timeout", "2000"], ["work_mem", "1GB"]) }),
);
type SelfAlteration = typeof selfAlteration extends fc.Arbitrary<infer T> ? T : never;

function alterationSql(self: string, { kind, pair: [setting, value] }: SelfAlteration): string {
  switch (kind) {
    case "set": return `ALTER ROLE ${quoteIdent(self)} SET ${setting} = '${value}'`;
    case "reset": return `ALTER ROLE ${quoteIdent(self)} RESET ${setting}`;
    case "in-database": return `ALTER ROLE ${quoteIdent(self)} IN DATABASE ${quoteIdent(scratch)} SET ${setting} = '${value}'`;
  }
}

/** A role's settings in every database, order aside: what "changed" means. */
async function settingsOf(client: Client, role: string): Promise<string[]> {
  const { rows } = await client.query<{ entry: string }>(
    "SELECT s.setdatabase || ':' || c AS entry FROM pg_db_role_setting s JOIN pg_roles r ON r.oid = s.setrole, unnest(s.setconfig) c WHERE r.rolname = $1", [role]);
  return rows.map((r) => r.entry).sort();
}

describe("the drift queries of the role-setting migrations, on a real server", () => {
  it("list nothing once both migrations ran", async () => {
    await withOrgRoles(async (client) => {
      await applyBoth(client);
      expect(await drift(client)).toEqual(noDrift);
    });
  });

  it("list a role that changed its own settings, whatever it changed, and nothing after the migration's SQL ran again", async () => {
    await withOrgRoles(async (client) => {
      await applyBoth(client);
      await fc.assert(fc.asyncProperty(fc.constantFrom(...roles), fc.array(selfAlteration, { minLength: 1, maxLength: 4 }), async (self, changes) => {
        await client.query("SAVEPOINT tenant");
        try {
          const before = await settingsOf(client, self);
          await client.query(`SET ROLE ${quoteIdent(self)}`);
          for (const change of changes) await client.query(alterationSql(self, change));
          await client.query("RESET ROLE");
          const changed = JSON.stringify(await settingsOf(client, self)) !== JSON.stringify(before);
          expect((await drift(client)).lockTimeouts).toEqual(changed ? [self] : []);
          await client.query(`SET ROLE ${quoteIdent(provider)}`);
          await client.query(plan.lockTimeouts.sql);
          await client.query("RESET ROLE");
          expect(await drift(client)).toEqual(noDrift);
        } finally {
          await client.query("RESET ROLE");
          await client.query("ROLLBACK TO SAVEPOINT tenant");
        }
      }), { numRuns: 25 });
    });
  });

  it("list a role whose temp_file_limit was lifted, role-wide or in one database, and nothing after the guardrails SQL ran again", async () => {
    await withOrgRoles(async (client) => {
      await applyBoth(client);
      const [first, second] = roles as [string, string];
      await client.query(`ALTER ROLE ${quoteIdent(first)} SET temp_file_limit = -1`);
      await client.query(`ALTER ROLE ${quoteIdent(second)} IN DATABASE ${quoteIdent(scratch)} SET temp_file_limit = -1`);
      expect(await drift(client)).toEqual({ lockTimeouts: [], guardrails: [first, second].sort() });
      await client.query(plan.guardrails.sql);
      expect(await drift(client)).toEqual(noDrift);
    });
  });

  it("list a role whose row in the enforcer's table is missing or changed, and nothing after the guardrails SQL ran again", async () => {
    await withOrgRoles(async (client) => {
      await applyBoth(client);
      const [first, second] = roles as [string, string];
      await client.query("DELETE FROM guardrails.limits WHERE role = $1", [first]);
      await client.query("UPDATE guardrails.limits SET statement_ms = 600000 WHERE role = $1", [second]);
      expect((await drift(client)).guardrails).toEqual([first, second].sort());
      await client.query(plan.guardrails.sql);
      expect(await drift(client)).toEqual(noDrift);
    });
  });
});
