import * as postgresql from "@pulumi/postgresql";
import { describe, expect, it } from "vitest";
import { isProviderType } from "../../components/provider-plan";
import tenantry from "../../index";
import { runProgram } from "../../harness/run-program";
import { hashInputs } from "../../local/state";
import { planChanges, RefusedChangeError, type DesiredResource } from "../../local/changes";
import { translationFor } from "../../local/provider-sql";
import { desiredResources } from "../../local/changes";
import { renderSqlScript } from "../../local/sql-script";
import { runOrg } from "../helpers/program";
import { stackConfigFor, validOrgInput } from "../helpers/spec-builder";

/*
 * The local apply's translations, pinned to the statements terraform-provider-postgresql
 * (ff936b9, behind pulumi-postgresql 3.18) issues for the same inputs.
 */

const provider = { adminUser: "tenantry" };
const steps = (type: string, inputs: Record<string, unknown>) => translationFor(type).create(inputs, provider);
const statements = (type: string, inputs: Record<string, unknown>) => steps(type, inputs).flatMap((step) => step.statements);
const LOCK_ROLE = (role: string) => [
  "SET statement_timeout = 0",
  `SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_roles WHERE rolname = '${role}'`,
  `SELECT pg_advisory_xact_lock(member::bigint) FROM pg_auth_members JOIN pg_roles ON roleid = pg_roles.oid WHERE rolname = '${role}'`,
];

describe("the provider's SQL, as the local apply issues it", () => {
  it("creates a login role in one statement with every attribute spelled out, then sets its timeouts", () => {
    expect(statements("postgresql:index/role:Role", {
      name: "tn_acme_dev_runtime", login: true, password: "pw", connectionLimit: 5, statementTimeout: 5000,
      idleInTransactionSessionTimeout: 10000, superuser: false, createDatabase: false, createRole: false, replication: false, bypassRowLevelSecurity: false,
    })).toEqual([
      `CREATE ROLE "tn_acme_dev_runtime" WITH ENCRYPTED PASSWORD 'pw' VALID UNTIL 'infinity' CONNECTION LIMIT 5 NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT LOGIN NOBYPASSRLS NOREPLICATION`,
      `ALTER ROLE "tn_acme_dev_runtime" SET search_path TO DEFAULT`,
      `ALTER ROLE "tn_acme_dev_runtime" SET statement_timeout TO 5000`,
      `ALTER ROLE "tn_acme_dev_runtime" SET idle_in_transaction_session_timeout TO 10000`,
    ]);
  });

  it("creates a database with its owner, template, encoding and collation in the provider's order", () => {
    expect(statements("postgresql:index/database:Database", {
      name: "tn_acme", owner: "tn_acme_owner", template: "template0", encoding: "UTF8", lcCollate: "C", lcCtype: "C", connectionLimit: 20, allowConnections: true, isTemplate: false,
    })).toEqual([
      `CREATE DATABASE "tn_acme" OWNER "tn_acme_owner" TEMPLATE "template0" ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C' ALLOW_CONNECTIONS true CONNECTION LIMIT 20 IS_TEMPLATE false`,
    ]);
  });

  it("applies a Grant as REVOKE ALL then GRANT in one transaction, locking the role first and borrowing the schema's owners", () => {
    expect(steps("postgresql:index/grant:Grant", {
      role: "tn_acme_dev_runtime", database: "tn_acme", schema: "web_dev", objectType: "table", privileges: ["SELECT", "INSERT"],
    })).toEqual([{
      database: "tn_acme",
      transaction: true,
      prelude: LOCK_ROLE("tn_acme_dev_runtime"),
      statements: [
        `REVOKE ALL PRIVILEGES ON ALL TABLES IN SCHEMA "web_dev" FROM "tn_acme_dev_runtime"`,
        `GRANT SELECT,INSERT ON ALL TABLES IN SCHEMA "web_dev" TO "tn_acme_dev_runtime"`,
      ],
      membership: { roles: [{ ownersOfTablesIn: "web_dev" }, { ownerOfSchema: "web_dev" }], style: "withRolesGranted" },
    }]);
  });

  it("turns an empty privilege list into a revoke only, and borrows no owner for a database grant", () => {
    expect(steps("postgresql:index/grant:Grant", { role: "public", database: "tn_acme", objectType: "database", privileges: [] })).toEqual([{
      database: "tn_acme",
      transaction: true,
      prelude: [...LOCK_ROLE("public"), "SET statement_timeout = 0", "SELECT pg_advisory_xact_lock(oid::bigint) FROM pg_database WHERE datname = 'tn_acme'"],
      statements: [`REVOKE ALL PRIVILEGES ON DATABASE "tn_acme" FROM "public"`],
      membership: { roles: [], style: "withRolesGranted" },
    }]);
  });

  it("sets default privileges for the creating owner: revoke all, then grant, as a member of that owner", () => {
    expect(steps("postgresql:index/defaultPrivileges:DefaultPrivileges", {
      role: "tn_acme_dev_runtime", owner: "tn_acme_dev_ddl", database: "tn_acme", schema: "web_dev", objectType: "sequence", privileges: ["USAGE", "SELECT"],
    })).toEqual([{
      database: "tn_acme",
      transaction: true,
      prelude: LOCK_ROLE("tn_acme_dev_ddl"),
      statements: [
        `ALTER DEFAULT PRIVILEGES FOR ROLE "tn_acme_dev_ddl" IN SCHEMA "web_dev" REVOKE ALL ON SEQUENCES FROM "tn_acme_dev_runtime"`,
        `ALTER DEFAULT PRIVILEGES FOR ROLE "tn_acme_dev_ddl" IN SCHEMA "web_dev" GRANT USAGE,SELECT ON SEQUENCES TO "tn_acme_dev_runtime"`,
      ],
      membership: { roles: [{ role: "tn_acme_dev_ddl" }], style: "withRolesGranted" },
    }]);
  });

  it("updates a role in the provider's order, superuser last, and resets memberships", () => {
    const previous = { name: "r", login: true, connectionLimit: 5, superuser: false, createDatabase: false, statementTimeout: 5000 };
    const next = { ...previous, connectionLimit: 4, createDatabase: true, statementTimeout: 0 };
    expect(translationFor("postgresql:index/role:Role").update(previous, next, provider)).toEqual([{
      database: undefined,
      transaction: true,
      prelude: LOCK_ROLE("r"),
      statements: [`ALTER ROLE "r" CONNECTION LIMIT 4`, `ALTER ROLE "r" WITH CREATEDB`],
      revokeMembershipsOf: "r",
      epilogue: [`ALTER ROLE "r" SET search_path TO DEFAULT`, `ALTER ROLE "r" RESET statement_timeout`],
    }]);
  });

  it("deletes a role in one transaction: reassign and drop what it owns as its member, then drop it", () => {
    expect(translationFor("postgresql:index/role:Role").delete({ name: "r" }, provider)).toEqual([{
      database: undefined,
      transaction: true,
      prelude: LOCK_ROLE("r"),
      statements: [`REASSIGN OWNED BY "r" TO "tenantry"`, `DROP OWNED BY "r"`],
      membership: { roles: [{ role: "r" }], style: "withRolesGranted" },
      epilogue: [`DROP ROLE "r"`],
    }]);
  });

  it("creates a schema only when absent, and otherwise only sets its owner", () => {
    expect(translationFor("postgresql:index/schema:Schema").create({ name: "web_dev", database: "tn_acme", owner: "tn_acme_dev_ddl" }, provider)[0]?.branch)
      .toEqual({
        exists: "SELECT TRUE FROM pg_catalog.pg_namespace WHERE nspname = $1",
        params: ["web_dev"],
        whenAbsent: [`CREATE SCHEMA IF NOT EXISTS "web_dev" AUTHORIZATION "tn_acme_dev_ddl"`],
        whenPresent: [`ALTER SCHEMA "web_dev" OWNER TO "tn_acme_dev_ddl"`],
      });
  });

  it("drops a schema with RESTRICT unless told to cascade, so tables are never taken along", () => {
    expect(translationFor("postgresql:index/schema:Schema").delete({ name: "web_dev", database: "tn_acme", owner: "tn_acme_dev_ddl", dropCascade: false }, provider)[0]?.branch?.whenPresent)
      .toEqual([`DROP SCHEMA "web_dev" RESTRICT`]);
  });
});

function resource(name: string, type: string, inputs: Record<string, unknown>, options: Partial<DesiredResource> = {}): DesiredResource {
  return { urn: `urn:${name}`, type, name, inputs, inputsHash: hashInputs(inputs), protect: false, retainOnDelete: false, dependsOn: [], ...options };
}

describe("planning changes", () => {
  const replacesOn = translationFor;
  const database = resource("db", "postgresql:index/database:Database", { name: "tn_x", lcCollate: "C" }, { protect: true, retainOnDelete: true });
  const role = resource("role", "postgresql:index/role:Role", { name: "tn_x_owner" });

  it("puts a resource after the resources it depends on, whatever order they come in", () => {
    const grant = resource("grant", "postgresql:index/grant:Grant", { role: "r" }, { dependsOn: ["urn:role"] });
    expect(planChanges([grant, role], [], replacesOn).map((c) => ("desired" in c ? c.desired.name : ""))).toEqual(["role", "grant"]);
  });

  it("refuses to delete a protected resource, naming it", () => {
    expect(() => planChanges([], [database], replacesOn)).toThrowError(RefusedChangeError);
    expect(() => planChanges([], [database], replacesOn)).toThrowError(/^db: it is protected/);
  });

  it("replaces a grant whose role changed by deleting the old one first", () => {
    const old = resource("grant", "postgresql:index/grant:Grant", { role: "a", privileges: [] });
    const changed = resource("grant", "postgresql:index/grant:Grant", { role: "b", privileges: [] });
    expect(planChanges([changed], [old], replacesOn).map((c) => c.kind)).toEqual(["delete", "create"]);
  });

  it("renders the psql script with every generated password as a psql variable, never its value", async () => {
    const script = await renderSqlScript([resource("r", "postgresql:index/role:Role", { name: "tn_x_dev_runtime", login: true, password: "s3cr3t-pw" })], provider, "postgres");
    expect(script).toContain("ENCRYPTED PASSWORD :'tn_x_dev_runtime_password'");
    expect(script).not.toContain("s3cr3t-pw");
  });

  it("renders the org's script stopping at the first error, with only the elevated migrations (the guardrails' temp_file_limit and enforcer limits, large objects, the ledger's event triggers) as :superuser", async () => {
    const run = await runOrg(validOrgInput());
    const script = await renderSqlScript(desiredResources(run.resources), provider, "postgres");
    expect(script).toContain("\\set ON_ERROR_STOP on\n");
    const connects = script.split("\n").filter((line) => line.startsWith("\\connect "));
    const elevated = connects.filter((line) => line.endsWith(" :superuser"));
    expect([...elevated].sort()).toEqual(["\\connect postgres :superuser", "\\connect tn_acme :superuser", "\\connect tn_acme :superuser"]);
    const elevatedBlocks = script.split("\\connect ").filter((block) => /^\w+ :superuser\n/.test(block));
    expect(elevatedBlocks.map((block) => [block.startsWith("postgres"), block.includes("SET temp_file_limit"), block.includes("REVOKE EXECUTE ON FUNCTION pg_catalog."), block.includes("CREATE EVENT TRIGGER")]).sort())
      .toEqual([[false, false, false, true], [false, false, true, false], [true, true, false, false]]);
    expect(connects.filter((line) => !line.endsWith(" :superuser")).every((line) => line.endsWith(` ${provider.adminUser}`))).toBe(true);
  });

  it("runs an elevated step's statements as the provider login, and only its event-trigger statements as the superuser, as up --local does", async () => {
    const script = await renderSqlScript(desiredResources((await runOrg(validOrgInput())).resources), provider, "postgres");
    const elevatedBlocks = script.split("\\connect ").filter((block) => /^\w+ :superuser\n/.test(block));
    const roleBefore = (block: string, statement: RegExp): string | undefined => {
      const at = block.search(statement);
      return at < 0 ? undefined : [...block.slice(0, at).matchAll(/SET LOCAL ROLE ([^;]+);/g)].pop()?.[1];
    };
    const login = `"${provider.adminUser}"`;
    const eventTriggers = elevatedBlocks.find((block) => block.includes("CREATE EVENT TRIGGER"));
    expect(roleBefore(eventTriggers ?? "", /CREATE EVENT TRIGGER/)).toBe("NONE");
    expect(roleBefore(eventTriggers ?? "", /CREATE (OR REPLACE )?FUNCTION/)).toBe(login);
    const largeObjects = elevatedBlocks.find((block) => block.includes("REVOKE EXECUTE ON FUNCTION pg_catalog."));
    expect(roleBefore(largeObjects ?? "", /REVOKE EXECUTE ON FUNCTION pg_catalog\./)).toBe(login);
    for (const block of elevatedBlocks) expect(block.trimEnd().endsWith("SET LOCAL ROLE NONE;\nCOMMIT;"), block.slice(0, 80)).toBe(true);
  });

  it("applies no provider resource, and refuses a Postgres resource on any provider but the org's own", async () => {
    const run = await runOrg(validOrgInput());
    expect(desiredResources(run.resources).filter((r) => isProviderType(r.type))).toEqual([]);
    const rogue = await runProgram(stackConfigFor(validOrgInput()), {
      program: async () => {
        const outputs = await tenantry();
        new postgresql.Role("org-acme-rogue", { name: "tn_acme_rogue", login: false });
        const elsewhere = new postgresql.Provider("org-acme-elsewhere", { host: "pg.elsewhere.example", sslmode: "require", superuser: false });
        new postgresql.Role("org-acme-rogue-elsewhere", { name: "tn_acme_rogue2", login: false }, { provider: elsewhere });
        return outputs;
      },
    });
    expect(() => desiredResources(rogue.resources)).toThrowError(RefusedChangeError);
    expect(() => desiredResources(rogue.resources)).toThrowError(/^org-acme-rogue, org-acme-rogue-elsewhere: not on the org's own Postgres provider/);
  });
});
