import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { planLedgerSegregation } from "../../components/audit-plan";
import { auditLedgerSql } from "../../components/audit-sql";
import { databaseName, environmentRoleName, orgRoleName, schemaName } from "../../spec/naming";
import {
  AUDIT_TRIGGER_PREFIX, AUDIT_TRIGGERS, EVENT_TRIGGERS, isPlatformForm, isPostgresOwnedSchema, isTenantForm, PLATFORM_SCHEMAS,
  PROOF_OBJECT_PREFIX,
} from "../../spec/platform-names";
import { parseOrgSpec, type OrgSpec } from "../../spec/spec";
import { SpecError } from "../../spec/spec-errors";
import { NOW, validOrgInput } from "../helpers/spec-builder";

/*
 * DESIGN property 16, tried as the stack-file author: whatever slugs a stack file chooses, no
 * name composed from them is one the platform (or Postgres) owns.
 */

/** Every name the platform gives itself, as data and as the SQL it runs. */
const REGISTERED = [
  ...Object.values(PLATFORM_SCHEMAS), ...Object.values(EVENT_TRIGGERS), ...AUDIT_TRIGGERS,
  `${AUDIT_TRIGGER_PREFIX}x`, `${PROOF_OBJECT_PREFIX}table_1`,
];

/** Schemas, event triggers and functions the ledger's migration creates, read from its SQL text. */
function namesCreatedBy(sql: string): string[] {
  const patterns = [
    /CREATE SCHEMA (?:IF NOT EXISTS )?(\w+)/g,
    /CREATE EVENT TRIGGER (\w+)/g,
    /CREATE (?:OR REPLACE )?FUNCTION (\w+)\./g,
    /CREATE TABLE (?:IF NOT EXISTS )?(\w+)\./g,
    /CREATE EXTENSION (?:IF NOT EXISTS )?\w+ SCHEMA (\w+)/g,
    /CREATE POLICY "?(\w+)"? ON/g,
  ];
  return patterns.flatMap((pattern) => [...sql.matchAll(pattern)].map((m) => m[1] ?? ""));
}

/** Words the platform and Postgres use, so generated slugs hit the interesting compositions often. */
const word = fc.oneof(
  fc.constantFrom("audit", "guard", "tenantry", "admin", "proof", "information", "schema", "pg", "tn", "acme", "dev", "prod", "public", "catalog", "temp"),
  fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/),
);
const hyphenated = fc.array(word, { minLength: 1, maxLength: 3 }).map((words) => words.join("-"));
const environment = fc.oneof(word, fc.tuple(word, word).map(([a, b]) => `${a}${b}`));

/** A stack's org with generated slugs; undefined when the spec refuses it (then nothing is ever registered). */
function orgWith(slug: string, workspaces: string[], environments: string[]): OrgSpec | undefined {
  const input = { ...validOrgInput(), slug, workspaces: workspaces.map((s) => ({ slug: s })), environments, apps: [], secrets: [] };
  try {
    return parseOrgSpec(input, { now: NOW });
  } catch (error) {
    if (error instanceof SpecError) return undefined;
    throw error;
  }
}

/** Every Postgres name tenantry composes for an org: cluster-wide (roles, database) and in its database (schemas). */
function composedNames(spec: OrgSpec) {
  const roles = [
    orgRoleName(spec.slug, "owner"), orgRoleName(spec.slug, "audit"), orgRoleName(spec.slug, "breakglass"),
    ...spec.environments.flatMap((env) => [environmentRoleName(spec.slug, env, "runtime"), environmentRoleName(spec.slug, env, "ddl")]),
  ];
  const schemas = spec.workspaces.flatMap((ws) => spec.environments.map((env) => schemaName(ws.slug, env)));
  return { roles, database: databaseName(spec.slug), schemas };
}

describe("platform names", () => {
  it("gives every name of its own the platform form, and none the tenant form", () => {
    for (const name of REGISTERED) {
      expect({ name, platform: isPlatformForm(name), tenant: isTenantForm(name) }).toEqual({ name, platform: true, tenant: false });
    }
  });

  it("creates schemas, event triggers, functions, tables and policies only under platform names in the ledger's migration", () => {
    const segregation = planLedgerSegregation({ slug: "acme", environments: ["dev", "prod"], workspaces: ["web", "billing"] });
    const created = namesCreatedBy(auditLedgerSql({ owner: "tn_acme_audit", guardOwner: "tn_acme_owner", breakGlassRole: "tn_acme_breakglass", ddlRoles: ["tn_acme_dev_ddl"], coveredSchemas: ["web_dev", "billing_prod"], environments: segregation }));
    expect(created.length).toBeGreaterThanOrEqual(19);
    expect(created.filter((name) => !isPlatformForm(name))).toEqual([]);
    const policies = ["environment__dev__select", "environment__dev__insert", "environment__prod__select", "environment__prod__insert"];
    expect(new Set(created)).toEqual(new Set([PLATFORM_SCHEMAS.ledger, PLATFORM_SCHEMAS.guard, ...Object.values(EVENT_TRIGGERS), ...policies]));
  });

  it("keeps the tenant form and the platform form disjoint for any name", () => {
    fc.assert(fc.property(fc.stringMatching(/^[a-z0-9_]{1,20}$/), (name) => {
      expect(isTenantForm(name) && isPlatformForm(name)).toBe(false);
    }), { numRuns: 5000 });
  });

  it("never composes, from any slugs the spec accepts, a platform name, a name Postgres owns, or a schema named like a role", () => {
    let accepted = 0;
    fc.assert(fc.property(
      hyphenated, fc.uniqueArray(hyphenated, { minLength: 1, maxLength: 4 }), fc.uniqueArray(environment, { minLength: 1, maxLength: 3 }),
      (slug, workspaces, environments) => {
        const spec = orgWith(slug, workspaces, environments);
        if (spec === undefined) return;
        accepted += 1;
        const { roles, database, schemas } = composedNames(spec);
        for (const name of [...roles, database, ...schemas]) {
          expect(isTenantForm(name), name).toBe(true);
          expect(isPlatformForm(name), name).toBe(false);
          expect(REGISTERED, name).not.toContain(name);
        }
        for (const schema of schemas) {
          expect(isPostgresOwnedSchema(schema), schema).toBe(false);
          // A schema named like a login role would sit first on that role's search_path.
          expect(schema.startsWith("tn_"), schema).toBe(false);
        }
      },
    ), { numRuns: 3000 });
    // The property must have been tried on real orgs, not only on refused ones.
    expect(accepted).toBeGreaterThan(500);
  });

  it("refuses the stack that put a tenant schema on the audit guard, naming the field", () => {
    const input = { ...validOrgInput(), workspaces: [{ slug: "audit" }], environments: ["dev", "guard"], apps: [], secrets: [] };
    expect(() => parseOrgSpec(input, { now: NOW })).toThrowError(
      "tenantry:org.workspaces[0].slug must not be audit (the platform's audit ledger is schema audit; audit_<env> schemas would pass for part of it)",
    );
  });

  it("refuses a composition Postgres owns, naming the workspace and the environment", () => {
    const input = { ...validOrgInput(), workspaces: [{ slug: "information" }], environments: ["dev", "schema"], apps: [], secrets: [] };
    expect(() => parseOrgSpec(input, { now: NOW })).toThrowError(
      "tenantry:org.workspaces[0].slug must not compose, with environments[1] (schema), the schema information_schema: Postgres owns that name",
    );
  });

  it("refuses a workspace that would name schemas like tenantry's roles", () => {
    const input = { ...validOrgInput(), workspaces: [{ slug: "tn-acme-dev" }], environments: ["runtime"], apps: [], secrets: [] };
    expect(() => parseOrgSpec(input, { now: NOW })).toThrowError(
      "tenantry:org.workspaces[0].slug must not be tn or start with tn- (tenantry's role and database names start tn_)",
    );
  });

  it("leaves a composition free once nothing of the platform's can take its form (tenantry_admin is only a tenant schema)", () => {
    const input = { ...validOrgInput(), workspaces: [{ slug: "tenantry" }], environments: ["admin"], apps: [], secrets: [] };
    expect(composedNames(parseOrgSpec(input, { now: NOW })).schemas).toEqual(["tenantry_admin"]);
  });
});
