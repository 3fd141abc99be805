import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { closeLargeObjectsSql, largeObjectsDriftSql } from "../../components/large-objects-sql";
import { planMigrations } from "../../components/migration-plan";
import { ENFORCER_DATABASE } from "../../components/enforcer-sql";
import { closeSharedDatabasesSql } from "../../components/shared-databases-sql";

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

  it("grants CONNECT back on a login's configured database only when that database is a shared one", () => {
    expect(lines(closeSharedDatabasesSql([{ login: "on_template1", database: "template1" }]), "GRANT")).toContain("GRANT CONNECT ON DATABASE \"template1\" TO \"on_template1\";");
    expect(lines(closeSharedDatabasesSql([{ login: "on_org", database: "tn_x" }]), "GRANT")).not.toContain("GRANT CONNECT ON DATABASE \"tn_x\" TO \"on_org\";");
  });

  it("keeps CONNECT on the enforcer's database (postgres) for every provider login, whatever its configured database: the guardrails migration connects there", () => {
    expect(ENFORCER_DATABASE).toBe("postgres");
    expect(lines(closeSharedDatabasesSql([
      { login: "on_postgres", database: "postgres" },
      { login: "on_template1", database: "template1" },
      { login: "on_org", database: "tn_x" },
    ]), "GRANT")).toEqual([
      "GRANT CONNECT ON DATABASE \"postgres\" TO \"on_postgres\";",
      "GRANT CONNECT ON DATABASE \"template1\" TO \"on_template1\";",
      "GRANT CONNECT ON DATABASE \"postgres\" TO \"on_template1\";",
      "GRANT CONNECT ON DATABASE \"postgres\" TO \"on_org\";",
      // And CREATE there, where each org's guardrails migration makes the enforcer's schema as the login.
      "GRANT CREATE ON DATABASE \"postgres\" TO \"on_postgres\";",
      "GRANT CREATE ON DATABASE \"postgres\" TO \"on_template1\";",
      "GRANT CREATE ON DATABASE \"postgres\" TO \"on_org\";",
    ]);
  });

  it("quotes a login's name, whatever it is", () => {
    expect(lines(closeSharedDatabasesSql([{ login: "We\"ird name", database: "tn_x" }]), "GRANT")).toEqual([
      "GRANT CONNECT ON DATABASE \"postgres\" TO \"We\"\"ird name\";", "GRANT CREATE ON DATABASE \"postgres\" TO \"We\"\"ird name\";",
    ]);
  });
});

describe("the large-objects migration", () => {
  it("runs closeLargeObjectsSql in the org database, elevated, for any org, reading drift for every role of the org", () => {
    const facts = { environments: ["dev"], workspaces: ["web"], lockTimeoutMs: 1000, statementTimeoutMs: 30000, idleInTransactionTimeoutMs: 60000, tempFileLimitMb: 512, providerDatabase: "postgres" };
    fc.assert(fc.property(fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/), (slug) => {
      const { drift, ...plan } = planMigrations({ ...facts, slug }).largeObjects;
      expect(plan).toEqual({ migration: `${slug}-large-objects`, database: `tn_${slug}`, sql: closeLargeObjectsSql(), elevated: true });
      expect(drift).toBe(largeObjectsDriftSql(slug, [`tn_${slug}_owner`, `tn_${slug}_audit`, `tn_${slug}_breakglass`, `tn_${slug}_dev_runtime`, `tn_${slug}_dev_ddl`]));
    }));
  });
});
