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
  const sql = auditLedgerSql({ owner: "tn_acme_audit", coveredSchemas: coveredSchemas(factsOf(ACME)), environments: planLedgerSegregation(factsOf(ACME)) });

  it("gives each environment a SELECT and an INSERT policy, to its two roles, on exactly its schemas", () => {
    const policies = sql.split("\n").filter((line) => line.startsWith("CREATE POLICY"));
    expect(policies).toEqual(["dev", "test", "prod"].flatMap((env) => {
      const to = `TO "tn_acme_${env}_runtime", "tn_acme_${env}_ddl"`;
      const own = `schema_name = ANY (ARRAY['web_${env}', 'billing_${env}']::text[])`;
      return [
        `CREATE POLICY "environment__${env}__select" ON audit.events AS PERMISSIVE FOR SELECT ${to} USING (${own});`,
        `CREATE POLICY "environment__${env}__insert" ON audit.events AS PERMISSIVE FOR INSERT ${to} WITH CHECK (${own});`,
      ];
    }));
  });

  it("enables it without forcing it (the owner's trigger functions record every environment), after dropping every policy the table has with the guard's drop trigger off in the same transaction", () => {
    const enable = sql.indexOf("ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;\nALTER TABLE audit.events NO FORCE ROW LEVEL SECURITY;");
    const dropAll = sql.indexOf("FOR found IN SELECT polname FROM pg_policy WHERE polrelid = 'audit.events'::regclass LOOP\n    EXECUTE format('DROP POLICY %I ON audit.events', found.polname);");
    const firstPolicy = sql.indexOf("CREATE POLICY");
    expect(enable).toBeGreaterThan(sql.indexOf("CREATE TABLE IF NOT EXISTS audit.events"));
    expect(dropAll).toBeGreaterThan(enable);
    expect(firstPolicy).toBeGreaterThan(dropAll);
    // The guard refuses drops in the ledger's schema: off around the drops, on again before any policy is made.
    const off = sql.indexOf("IF guarded THEN ALTER EVENT TRIGGER tenantry__audit_drops DISABLE; END IF;");
    const on = sql.indexOf("IF guarded THEN ALTER EVENT TRIGGER tenantry__audit_drops ENABLE; END IF;");
    expect([off > enable, dropAll > off, on > dropAll, firstPolicy > on]).toEqual([true, true, true, true]);
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
    for (const sql of [
      original.replace("USING (schema_name = ANY (ARRAY['web_dev', 'billing_dev']::text[]))", "USING (true)"),
      original.replace("ARRAY['web_dev', 'billing_dev']", "ARRAY['web_dev', 'billing_dev', 'billing_prod']"),
      original.replace("ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;\n", ""),
      original.replace("NO FORCE ROW LEVEL SECURITY", "FORCE ROW LEVEL SECURITY"),
    ]) {
      expect(sql).not.toBe(original);
      expect(await rulesRefusing(run.resources, withInputs(ledger(), { sql, checksum: checksumOf(sql) }))).toEqual(["postgres-migrations-match-platform-sql"]);
    }
  });
});
