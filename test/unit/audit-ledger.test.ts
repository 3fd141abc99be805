import { beforeAll, describe, expect, it } from "vitest";
import { APPLICATION_EVENT_COLUMNS, AUDIT_EVENT_PRIVILEGES, coveredSchemas, planAuditAcl, planLedgerSegregation } from "../../components/audit-plan";
import { auditGuardSql } from "../../components/audit-guard-sql";
import { auditLedgerSql, EVENTS_ID_INDEX, LEDGER_LOCK_TIMEOUT } from "../../components/audit-sql";
import { parseOrgSpec } from "../../spec/spec";
import { SQL_MIGRATION_KIND } from "../../components/sql-migration";
import type { ProgramRun } from "../../harness/run-program";
import { aclChanges, input, ofType, runOrg, TYPES } from "../helpers/program";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/*
 * The audit ledger as the program declares it. Its behaviour on a real Postgres (append-only,
 * field-level diffs, automatic coverage, refusal to switch it off) is proven by the integration tests.
 */

const spec = parseOrgSpec(validOrgInput(), { now: NOW });
const org = { slug: spec.slug, environments: spec.environments, workspaces: spec.workspaces.map((w) => w.slug) };
let run: ProgramRun;

beforeAll(async () => {
  run = await runOrg(validOrgInput());
});

describe("the audit ledger", () => {
  it("lives in an audit schema owned by a NOLOGIN audit owner, never dropped with CASCADE", () => {
    const schema = ofType(run, TYPES.schema).find((s) => input(s, "name") === "audit");
    expect(schema?.inputs).toMatchObject({ database: "tn_acme", owner: "tn_acme_audit", dropCascade: false });
    const owner = ofType(run, TYPES.role).find((r) => input(r, "name") === "tn_acme_audit");
    expect(owner?.inputs).toMatchObject({ login: false, superuser: false });
  });

  it("gives every login role USAGE on the schema, SELECT on the events, INSERT of the descriptive columns only", () => {
    const auditGrants = aclChanges(run).filter((g) => input(g, "schema") === "audit");
    expect(auditGrants).toHaveLength(spec.environments.length * 2 * 3);
    const byType = (type: string) => auditGrants.filter((g) => input(g, "objectType") === type);
    for (const grant of byType("schema")) expect(input(grant, "privileges")).toEqual(["USAGE"]);
    for (const grant of byType("table")) expect(grant.inputs).toMatchObject({ objects: ["events"], privileges: ["SELECT"] });
    for (const grant of byType("column")) expect(grant.inputs).toMatchObject({ objects: ["events"], privileges: ["INSERT"], columns: [...APPLICATION_EVENT_COLUMNS] });
    expect(APPLICATION_EVENT_COLUMNS).not.toContain("actor");
    expect(APPLICATION_EVENT_COLUMNS).not.toContain("operation");
    expect(new Set(planAuditAcl(spec).flatMap((p) => p.privileges))).toEqual(new Set([...AUDIT_EVENT_PRIVILEGES, "USAGE"]));
  });

  it("is installed by an elevated migration in the org database, after every schema it covers", () => {
    const ledger = run.resources.find((r) => r.inputs["kind"] === SQL_MIGRATION_KIND && r.inputs["migration"] === "acme-audit-ledger")!;
    expect(ledger.inputs).toMatchObject({ database: "tn_acme", elevated: true });
    const schemaUrns = ofType(run, TYPES.schema).filter((s) => input(s, "name") !== "audit").map((s) => s.urn);
    expect(ledger.dependsOn).toEqual(expect.arrayContaining(schemaUrns));
  });

  it("covers every workspace schema of every environment, and nothing else", () => {
    const covered = coveredSchemas(org);
    expect(covered).toEqual(["web_dev", "billing_dev", "web_test", "billing_test", "web_prod", "billing_prod"]);
    expect(auditLedgerSql({ owner: "tn_acme_audit", guardOwner: "tn_acme_owner", breakGlassRole: "tn_acme_breakglass", ddlRoles: ["tn_acme_dev_ddl"], coveredSchemas: covered, environments: planLedgerSegregation(org) }))
      .toContain("ARRAY['web_dev', 'billing_dev', 'web_test', 'billing_test', 'web_prod', 'billing_prod']::text[]");
  });

  it("pins the search_path of every function it defines and makes the row trigger SECURITY DEFINER", () => {
    const sql = auditLedgerSql({ owner: "tn_acme_audit", guardOwner: "tn_acme_owner", breakGlassRole: "tn_acme_breakglass", ddlRoles: ["tn_acme_dev_ddl"], coveredSchemas: ["web_dev"], environments: planLedgerSegregation({ slug: "acme", environments: ["dev"], workspaces: ["web"] }) });
    const functions = sql.match(/CREATE OR REPLACE FUNCTION [^\n]+\n[^\n]+/g) ?? [];
    expect(functions.length).toBeGreaterThanOrEqual(8);
    for (const definition of functions) expect(definition).toContain("SET search_path = pg_catalog, pg_temp");
    expect(sql).toMatch(/FUNCTION audit\.record_change\(\) RETURNS trigger\nLANGUAGE plpgsql SECURITY DEFINER/);
  });

  it("bounds every lock wait of its transaction first, and hands audit.events to its owner only when it is not already (ALTER TABLE locks it exclusively)", () => {
    const sql = auditLedgerSql({ owner: "tn_acme_audit", guardOwner: "tn_acme_owner", breakGlassRole: "tn_acme_breakglass", ddlRoles: ["tn_acme_dev_ddl"], coveredSchemas: ["web_dev"], environments: planLedgerSegregation({ slug: "acme", environments: ["dev"], workspaces: ["web"] }) });
    expect(sql.split("\n")[0]).toBe(`SET LOCAL lock_timeout = '${LEDGER_LOCK_TIMEOUT}';`);
    expect(sql).toContain(`IF (SELECT pg_get_userbyid(relowner) FROM pg_class WHERE oid = 'audit.events'::regclass) <> 'tn_acme_audit' THEN\n    ALTER TABLE audit.events OWNER TO "tn_acme_audit";`);
    expect(sql.match(/ALTER TABLE audit\.events OWNER/g)).toHaveLength(1);
  });

  it("runs nothing a tenant or the audit owner owns in the guard's coverage code, and hands its schema to the org's owner role", () => {
    const guard = auditGuardSql(["web_dev"], "tn_acme_owner");
    // The audit owner can replace its own functions; the guard's code must never call them.
    expect(guard).not.toMatch(/audit\.(actor|redact|correlation_id|covered_schemas|cover)\(/);
    expect(guard).toContain("CREATE SCHEMA IF NOT EXISTS audit__guard;\nALTER SCHEMA audit__guard OWNER TO \"tn_acme_owner\";\nREVOKE ALL ON SCHEMA audit__guard FROM PUBLIC;");
    expect(guard).toMatch(/ON ddl_command_start\s+WHEN TAG IN \('CREATE CAST'\)/);
  });

  it("gives every format() in the ledger and guard SQL a constant format string, so a name only ever arrives as an argument", () => {
    const sql = auditLedgerSql({ owner: "tn_acme_audit", guardOwner: "tn_acme_owner", breakGlassRole: "tn_acme_breakglass", ddlRoles: ["tn_acme_dev_ddl"], coveredSchemas: ["web_dev", "billing_dev"], environments: planLedgerSegregation({ slug: "acme", environments: ["dev"], workspaces: ["web", "billing"] }) });
    // The plpgsql constants that may stand for a format string; each must be declared constant, with a literal.
    const constants = [...sql.matchAll(/^\s*(\w+) constant text := '/gm)].map((m) => m[1]);
    const calls = [...sql.matchAll(/format\(\s*([^\s,)]+)/g)].map((m) => m[1] ?? "");
    expect(calls.length).toBeGreaterThan(15);
    const templated = calls.filter((first) => !first.startsWith("'") && !constants.includes(first));
    // Before issue 13 the statement trigger formatted templates built from key names: format(key_json, 'n').
    expect(templated).toEqual([]);
  });
});

describe("the ledger's index", () => {
  const sql = auditLedgerSql({ owner: "tn_acme_audit", guardOwner: "tn_acme_owner", breakGlassRole: "tn_acme_breakglass", ddlRoles: ["tn_acme_dev_ddl"], coveredSchemas: ["web_dev"], environments: planLedgerSegregation({ slug: "acme", environments: ["dev"], workspaces: ["web"] }) });

  it("makes audit.events without a b-tree on id, and gives it a BRIN range index only when it has none", () => {
    const table = sql.slice(sql.indexOf("CREATE TABLE IF NOT EXISTS audit.events"), sql.indexOf(");", sql.indexOf("CREATE TABLE IF NOT EXISTS audit.events")));
    expect(table).toContain("id bigint GENERATED ALWAYS AS IDENTITY,");
    expect(table).not.toMatch(/PRIMARY KEY|UNIQUE/);
    expect(sql).toContain(`IF to_regclass('audit.${EVENTS_ID_INDEX}') IS NULL THEN\n    CREATE INDEX ${EVENTS_ID_INDEX} ON audit.events USING brin (id);`);
  });

  it("drops an earlier ledger's primary key only when there is one, while the guard's event triggers are dropped (its sql_drop trigger refuses drops in audit)", () => {
    expect(sql).toContain("IF key_constraint IS NOT NULL THEN\n    EXECUTE format('ALTER TABLE audit.events DROP CONSTRAINT %I', key_constraint);");
    const dropped = sql.indexOf("DROP EVENT TRIGGER IF EXISTS");
    const made = sql.lastIndexOf("CREATE EVENT TRIGGER");
    const drop = sql.indexOf("DROP CONSTRAINT %I");
    expect(dropped).toBeGreaterThan(-1);
    expect(drop).toBeGreaterThan(dropped);
    expect(drop).toBeLessThan(made);
  });
});
