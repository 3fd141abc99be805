import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { auditLedgerSql } from "../../components/audit-sql";
import { planLedgerSegregation } from "../../components/audit-plan";
import { planChanges } from "../../local/changes";
import { splitBySuperuser } from "../../local/managed-server";
import { translationFor } from "../../local/provider-sql";
import { hashInputs, type AppliedResource } from "../../local/state";

/*
 * The local engine's managed-server model: an elevated step runs as the provider login, and only
 * event-trigger statements, which RDS lets rds_superuser run, go to the superuser. And the
 * provider's GrantRole read, which the next diff compares with (issue 14, finding 2).
 */

describe("splitting an elevated step by who runs each statement", () => {
  it("sends only event-trigger statements to the superuser, keeping dollar-quoted bodies and their semicolons whole", async () => {
    const sql = `CREATE SCHEMA IF NOT EXISTS g;
CREATE OR REPLACE FUNCTION g.f() RETURNS event_trigger LANGUAGE plpgsql AS $fn$ BEGIN RAISE NOTICE 'a;b → c'; END $fn$;
DROP EVENT TRIGGER IF EXISTS e;
CREATE EVENT TRIGGER e ON ddl_command_end EXECUTE FUNCTION g.f();
ALTER EVENT TRIGGER e ENABLE;
DO $x$ BEGIN PERFORM 1; END $x$;`;
    const runs = await splitBySuperuser(sql);
    expect(runs.map((r) => r.superuser)).toEqual([false, true, false]);
    expect(runs[0]?.sql).toContain("RAISE NOTICE 'a;b → c'; END $fn$");
    expect(runs[1]?.sql.split(";\n")).toEqual(["DROP EVENT TRIGGER IF EXISTS e", "CREATE EVENT TRIGGER e ON ddl_command_end EXECUTE FUNCTION g.f()", "ALTER EVENT TRIGGER e ENABLE"]);
    expect(runs[2]?.sql).toBe("DO $x$ BEGIN PERFORM 1; END $x$");
  });

  it("loses no statement of the real audit-ledger migration, and lends the superuser only its event triggers", async () => {
    const sql = auditLedgerSql({
      owner: "tn_acme_audit", guardOwner: "tn_acme_owner", breakGlassRole: "tn_acme_breakglass", ddlRoles: ["tn_acme_dev_ddl"], coveredSchemas: ["web_dev"],
      environments: planLedgerSegregation({ slug: "acme", environments: ["dev"], workspaces: ["web"] }),
    });
    const runs = await splitBySuperuser(sql);
    const elevated = runs.filter((r) => r.superuser).flatMap((r) => r.sql.split(";\n"));
    expect(elevated.length).toBeGreaterThan(4);
    expect(elevated.every((s) => /^(CREATE|DROP) EVENT TRIGGER /.test(s))).toBe(true);
    // Whitespace and the comments between statements aside, the runs put back together are the migration.
    const squash = (s: string) => s.replace(/^\s*--.*$/gm, "").replace(/\s+/g, "").replace(/;/g, "");
    expect(squash(runs.map((r) => r.sql).join(";\n"))).toBe(squash(sql));
  });

  it("never sends a statement that is not an event trigger's to the superuser, whatever its text (generated)", async () => {
    const names = fc.stringMatching(/^[a-z][a-z0-9_]{0,20}$/);
    await fc.assert(fc.asyncProperty(names, fc.string({ maxLength: 30 }), async (name, text) => {
      const literal = `'${text.replace(/'/g, "''")}'`;
      // Quoted: a generated name may be a reserved word (`as`), which Postgres would not parse bare.
      const sql = `CREATE TABLE "${name}" (note text DEFAULT ${literal}); COMMENT ON TABLE "${name}" IS ${literal}; SELECT ${literal} AS "event trigger"`;
      return (await splitBySuperuser(sql)).every((r) => !r.superuser);
    }));
  });
});

describe("the provider's GrantRole read, as the next diff sees it", () => {
  const membership = (read: Record<string, unknown> | undefined, options: Partial<AppliedResource> = {}): AppliedResource => {
    const inputs = { role: "tenantry", grantRole: "tn_acme_owner", withAdminOption: false };
    return {
      urn: "urn:admin-owns", type: "postgresql:index/grantRole:GrantRole", name: "admin-owns", inputs, inputsHash: hashInputs(inputs),
      protect: false, retainOnDelete: false, dependsOn: [], ...(read === undefined ? {} : { outputs: { read } }), ...options,
    };
  };
  const plan = (desired: AppliedResource, applied: AppliedResource) => planChanges([desired], [applied], translationFor).map((c) => c.kind);

  it("replaces the membership, creating the new one before deleting the old, when the provider read the automatic ADMIN row", () => {
    expect(plan(membership(undefined), membership({ withAdminOption: true }))).toEqual(["create", "delete"]);
  });

  it("changes nothing when the read matches, or when withAdminOption is under ignoreChanges", () => {
    expect(plan(membership(undefined), membership({ withAdminOption: false }))).toEqual([]);
    expect(plan(membership(undefined, { ignoreChanges: ["withAdminOption"] }), membership({ withAdminOption: true }))).toEqual([]);
  });

  it("deletes first when the resource asks for deleteBeforeReplace", () => {
    expect(plan(membership(undefined, { deleteBeforeReplace: true }), membership({ withAdminOption: true }))).toEqual(["delete", "create"]);
  });
});
