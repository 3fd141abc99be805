import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { closeLargeObjectsSql } from "../../components/large-objects-sql";
import { planMigrations } from "../../components/migration-plan";
import { closeSharedDatabasesSql, SHARED_DATABASES } from "../../components/shared-databases-sql";
import { quoteIdent } from "../../spec/naming";

/*
 * The server-setup and org-database SQL of finding 5 (issue 13), as rendered text. What it does
 * on a real server is in test/integration/shared-databases.test.ts and the proof's
 * shared-database claims.
 */

const lines = (sql: string, start: string) => sql.split("\n").filter((line) => line.startsWith(start));

describe("closeSharedDatabasesSql", () => {
  it("takes every privilege on postgres and template1 from PUBLIC, and nothing from anyone else", () => {
    expect(lines(closeSharedDatabasesSql([]), "REVOKE")).toEqual(["REVOKE ALL ON DATABASE \"postgres\" FROM PUBLIC;", "REVOKE ALL ON DATABASE \"template1\" FROM PUBLIC;"]);
  });

  it("grants CONNECT back only to a login whose configured database is a shared one, on that database alone, whatever the login's name", () => {
    const database = fc.oneof(fc.constantFrom(...SHARED_DATABASES), fc.stringMatching(/^[a-z_][a-z0-9_]{0,20}$/));
    fc.assert(fc.property(fc.array(fc.record({ login: fc.string({ minLength: 1, maxLength: 20 }), database }), { maxLength: 5 }), (admitted) => {
      const expected = admitted.filter((a) => (SHARED_DATABASES as readonly string[]).includes(a.database))
        .map((a) => `GRANT CONNECT ON DATABASE ${quoteIdent(a.database)} TO ${quoteIdent(a.login)};`);
      expect(lines(closeSharedDatabasesSql(admitted), "GRANT")).toEqual(expected);
    }));
  });
});

describe("the large-objects migration", () => {
  it("runs closeLargeObjectsSql in the org database, elevated, for any org", () => {
    const facts = { environments: ["dev"], workspaces: ["web"], lockTimeoutMs: 1000, statementTimeoutMs: 30000, idleInTransactionTimeoutMs: 60000, tempFileLimitMb: 512, providerDatabase: "postgres" };
    fc.assert(fc.property(fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/), (slug) => {
      expect(planMigrations({ ...facts, slug }).largeObjects).toEqual({ migration: `${slug}-large-objects`, database: `tn_${slug}`, sql: closeLargeObjectsSql(), elevated: true });
    }));
  });
});
