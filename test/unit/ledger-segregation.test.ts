import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { coveredSchemas, planLedgerSegregation } from "../../components/audit-plan";
import { auditLedgerSql } from "../../components/audit-sql";
import { planEnvironmentSchemas, planLoginRoles } from "../../components/database-plan";
import { checksumOf, SQL_MIGRATION_KIND } from "../../components/sql-migration";
import type { ProgramRun } from "../../harness/run-program";
import { isPlatformForm } from "../../spec/platform-names";
import { parseOrgSpec, type OrgSpec } from "../../spec/spec";
import { SpecError } from "../../spec/spec-errors";
import { ofType, runOrg, TYPES } from "../helpers/program";
import { NOW, validOrgInput } from "../helpers/spec-builder";
import { rulesRefusing, withInputs } from "../helpers/verdicts";

/*
 * The ledger segregated by environment (issue 13, finding 3), as planned and rendered. Its
 * behaviour on a real Postgres is proven by local/proof/ledger-segregation-claims.ts and
 * test/integration/ledger-segregation.test.ts.
 */

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
const factsOf = (spec: OrgSpec) => ({ slug: spec.slug, environments: spec.environments, workspaces: spec.workspaces.map((w) => w.slug) });
const ACME = parseOrgSpec(validOrgInput(), { now: NOW });

/** Slugs a stack-file author might choose to make one environment's schema pass for another's. */
const word = fc.oneof(fc.constantFrom("dev", "test", "prod", "web", "billing", "stage", "audit", "guard", "x"), fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/));
const workspaceSlug = fc.array(word, { minLength: 1, maxLength: 3 }).map((words) => words.join("-"));
const environmentSlug = fc.oneof(word, fc.tuple(word, word).map(([a, b]) => `${a}${b}`));

function orgWith(workspaces: string[], environments: string[]): OrgSpec | undefined {
  try {
    return parseOrgSpec({ ...validOrgInput(), workspaces: workspaces.map((slug) => ({ slug })), environments, apps: [], secrets: [] }, { now: NOW });
  } catch (error) {
    if (error instanceof SpecError) return undefined;
    throw error;
  }
}

describe("planLedgerSegregation", () => {
  it("gives each environment's runtime and DDL roles exactly the schemas the program creates for it, and no schema to two environments, for any org the spec accepts", () => {
    let accepted = 0;
    fc.assert(fc.property(fc.uniqueArray(workspaceSlug, { minLength: 1, maxLength: 4 }), fc.uniqueArray(environmentSlug, { minLength: 1, maxLength: 4 }), (workspaces, environments) => {
      const spec = orgWith(workspaces, environments);
      if (spec === undefined) return;
      accepted += 1;
      const plan = planLedgerSegregation(factsOf(spec));
      expect(plan.map((p) => p.environment)).toEqual(spec.environments);
      for (const share of plan) {
        expect(share.roles).toEqual(planLoginRoles(spec, share.environment).map((role) => role.name));
        expect(share.schemas).toEqual(planEnvironmentSchemas(spec, share.environment).map((schema) => schema.name));
      }
      const schemas = plan.flatMap((p) => p.schemas);
      const roles = plan.flatMap((p) => p.roles);
      expect(new Set(schemas).size).toBe(schemas.length);
      expect(new Set(roles).size).toBe(roles.length);
      expect(new Set(schemas)).toEqual(new Set(coveredSchemas(factsOf(spec))));
      const policies = plan.flatMap((p) => [p.policies.select, p.policies.insert]);
      expect(new Set(policies).size).toBe(policies.length);
      expect(policies.filter((name) => !isPlatformForm(name))).toEqual([]);
    }), { numRuns: 400 });
    // The property says nothing unless the spec accepted many of the generated orgs.
    expect(accepted).toBeGreaterThan(100);
  });
});

describe("the ledger's row-level security, as rendered", () => {
  const sql = auditLedgerSql({ owner: "tn_acme_audit", guardOwner: "tn_acme_owner", breakGlassRole: "tn_acme_breakglass", ddlRoles: ["tn_acme_dev_ddl"], coveredSchemas: coveredSchemas(factsOf(ACME)), environments: planLedgerSegregation(factsOf(ACME)) });
  const policyLines = (text: string) => text.split("\n").map((line) => line.trim()).filter((line) => line.startsWith("CREATE POLICY"));

  it("gives each environment a SELECT and an INSERT policy, to its two roles, on exactly its schemas", () => {
    expect(policyLines(sql)).toEqual(["dev", "test", "prod"].flatMap((env) => {
      const to = `TO "tn_acme_${env}_runtime", "tn_acme_${env}_ddl"`;
      const own = `schema_name = ANY (ARRAY['web_${env}'::text, 'billing_${env}'::text])`;
      return [
        `CREATE POLICY "environment__${env}__select" ON audit.events AS PERMISSIVE FOR SELECT ${to} USING (${own});`,
        `CREATE POLICY "environment__${env}__insert" ON audit.events AS PERMISSIVE FOR INSERT ${to} WITH CHECK (${own});`,
      ];
    }));
  });

  it("compares the table with the very expressions it creates the policies with, for any org the spec accepts", () => {
    fc.assert(fc.property(fc.uniqueArray(workspaceSlug, { minLength: 1, maxLength: 3 }), fc.uniqueArray(environmentSlug, { minLength: 1, maxLength: 3 }), (workspaces, environments) => {
      const spec = orgWith(workspaces, environments);
      if (spec === undefined) return;
      const rendered = auditLedgerSql({ owner: `tn_${spec.slug}_audit`, guardOwner: `tn_${spec.slug}_owner`, breakGlassRole: `tn_${spec.slug}_breakglass`, ddlRoles: spec.environments.map((env) => `tn_${spec.slug}_${env}_ddl`), coveredSchemas: coveredSchemas(factsOf(spec)), environments: planLedgerSegregation(factsOf(spec)) });
      const created = policyLines(rendered).map((line) => /^CREATE POLICY "([^"]+)" .* (?:USING|WITH CHECK) \((.*)\);$/.exec(line)?.slice(1));
      expect(created).toHaveLength(spec.environments.length * 2);
      // ledger_security() expects each policy's expression as pg_get_expr() prints it: in parentheses.
      for (const [name, expression] of created as [string, string][]) {
        const row = `\\('${escapeRegExp(name)}', '[ra]'::"char", ARRAY\\[[^\\]]*\\]::text\\[\\], '\\(${escapeRegExp(expression.replace(/'/g, "''"))}\\)'\\)`;
        expect(rendered).toMatch(new RegExp(row));
      }
    }), { numRuns: 100 });
  });

  it("repairs row-level security only where ledger_security() finds it differs: enabled, not FORCEd, the policies replaced as a set", () => {
    const repair = sql.slice(sql.indexOf("DO $ledger_security$"), sql.indexOf("$ledger_security$;"));
    expect(repair).toContain("IF EXISTS (SELECT FROM audit__guard.ledger_security() WHERE repair = 'enable') THEN\n    ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;");
    expect(repair).toContain("IF EXISTS (SELECT FROM audit__guard.ledger_security() WHERE repair = 'no force') THEN\n    ALTER TABLE audit.events NO FORCE ROW LEVEL SECURITY;");
    const replace = repair.indexOf("IF EXISTS (SELECT FROM audit__guard.ledger_security() WHERE repair = 'policies') THEN");
    const dropAll = repair.indexOf("FOR found IN SELECT polname FROM pg_policy WHERE polrelid = 'audit.events'::regclass LOOP\n      EXECUTE format('DROP POLICY %I ON audit.events', found.polname);");
    expect([replace > 0, dropAll > replace, repair.indexOf("CREATE POLICY") > dropAll]).toEqual([true, true, true]);
    // Nothing outside the repair touches the table's row-level security or policies.
    expect(sql.replace(repair, "")).not.toMatch(/ROW LEVEL SECURITY;|CREATE POLICY|DROP POLICY/);
  });

  it("replaces the policies while the guard's event triggers are dropped, never switching its drop trigger off and on", () => {
    const dropped = sql.indexOf("DROP EVENT TRIGGER IF EXISTS tenantry__audit_drops;");
    const repair = sql.indexOf("DO $ledger_security$");
    const recreated = sql.indexOf("CREATE EVENT TRIGGER tenantry__audit_drops ON sql_drop");
    expect([dropped > 0, repair > dropped, recreated > repair]).toEqual([true, true, true]);
    expect(sql).not.toContain("ALTER EVENT TRIGGER");
    // While the migration holds the audit owner's membership: policies are the table owner's to make.
    expect(sql.lastIndexOf("CREATE POLICY")).toBeLessThan(sql.indexOf('REVOKE "tn_acme_audit" FROM CURRENT_USER;'));
  });
});

describe("the ledger's migration in the program and the pack", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runOrg(validOrgInput());
  });
  const ledger = () => run.resources.find((r) => r.inputs["kind"] === SQL_MIGRATION_KIND && r.inputs["migration"] === "acme-audit-ledger")!;

  it("runs after every login role its policies name", () => {
    const logins = ofType(run, TYPES.role).filter((r) => r.inputs["login"] === true);
    expect(logins).toHaveLength(6);
    expect(ledger().dependsOn).toEqual(expect.arrayContaining(logins.map((r) => r.urn)));
  });

  it("is refused by the pack when its policies are widened or left out: it must be the SQL rendered from the org's facts", async () => {
    const original = String(ledger().inputs["sql"]);
    const devSelect = /(CREATE POLICY "environment__dev__select" [^\n]*) USING \([^\n]*\);/;
    for (const sql of [
      original.replace(devSelect, "$1 USING (true);"),
      original.replace(devSelect, "$1 USING (schema_name = ANY (ARRAY['web_dev'::text, 'billing_dev'::text, 'billing_prod'::text]));"),
      original.replace("ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;", "NULL;"),
      original.replace("NO FORCE ROW LEVEL SECURITY", "FORCE ROW LEVEL SECURITY"),
      original.replace("SET LOCAL lock_timeout = '2s';\n", ""),
    ]) {
      expect(sql).not.toBe(original);
      expect(await rulesRefusing(run.resources, withInputs(ledger(), { sql, checksum: checksumOf(sql) }))).toEqual(["postgres-migrations-match-platform-sql"]);
    }
  });
});
