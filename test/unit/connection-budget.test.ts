import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { planAllLoginRoles } from "../../components/database-plan";
import { planMigrations } from "../../components/migration-plan";
import { orgFactsOf } from "../../components/org-facts";
import { providerType } from "../../components/provider-plan";
import { SQL_MIGRATION_KIND } from "../../components/sql-migration";
import type { ProgramRun } from "../../harness/run-program";
import { minimumConnections, ORG_DATABASE_MIGRATIONS, RESERVED_CONNECTIONS } from "../../spec/connection-budget";
import { databaseName } from "../../spec/naming";
import { SpecError } from "../../spec/spec-errors";
import { tenantStackFromConfig, type TenantStack } from "../../spec/stack-config";
import { ofType, runOrg, TYPES } from "../helpers/program";
import { stackConfigFor, validOrgInput } from "../helpers/spec-builder";

/*
 * Issue 14, finding 7: the org database's CONNECTION LIMIT (the quota) also counts the provider
 * login, which is no superuser, and a deploy opens more than one connection to the org database.
 * The adversary is the tenant app code holding every connection its roles may open: a deploy
 * must still connect. What the deploy opens is read here from its sources, never from the
 * budget under test: the Postgres provider's pool per database is `postgresql:maxConnections`,
 * 20 when unset (cyrilgdn/terraform-provider-postgresql postgresql/provider.go,
 * defaultProviderMaxOpenConnections), each SqlMigration in the org database holds one connection
 * at a time (components/sql-migration.ts withClient), and an operator needs one.
 */

/** The upstream provider's pool when the stack does not bound it. */
const UPSTREAM_DEFAULT_POOL = 20;
const OPERATOR = 1;

/** What a deploy of this stack may hold in its org database at once. */
function deployConnections(stack: TenantStack, values: Readonly<Record<string, string>>): number {
  const pool = Number(values["postgresql:maxConnections"] ?? UPSTREAM_DEFAULT_POOL);
  const migrations = Object.values(planMigrations(orgFactsOf(stack.spec, stack.provider))).filter((m) => m.database === databaseName(stack.spec.slug));
  return pool + migrations.length + OPERATOR;
}

/** The happy-path org with `environments` environments and a quota of `maxConnections`. */
function orgWith(environments: number, maxConnections: number): Record<string, unknown> {
  const org = validOrgInput();
  org["environments"] = ["dev", "test", "stage", "prod", "dr"].slice(0, environments);
  org["secrets"] = [];
  org["quotas"] = { ...(org["quotas"] as object), maxConnections };
  return org;
}

/** That org's stack, or undefined when it is refused. */
function acceptedStack(environments: number, maxConnections: number): { stack: TenantStack; values: Readonly<Record<string, string>> } | undefined {
  const config = stackConfigFor(orgWith(environments, maxConnections));
  try {
    return { stack: tenantStackFromConfig(config), values: config.values };
  } catch (error) {
    if (error instanceof SpecError) return undefined;
    throw error;
  }
}

describe("the connection budget, against tenant apps that hold every connection their roles may open", () => {
  it("leaves the deploy's pool, its org-database migrations and an operator room in every quota a stack may declare, and every role at least one", () => {
    fc.assert(fc.property(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 200 }), (environments, maxConnections) => {
      const accepted = acceptedStack(environments, maxConnections);
      fc.pre(accepted !== undefined);
      const roles = planAllLoginRoles(accepted.stack.spec);
      const heldByApps = roles.reduce((sum, role) => sum + role.connectionLimit, 0);
      expect(roles.every((role) => role.connectionLimit >= 1)).toBe(true);
      expect(heldByApps + deployConnections(accepted.stack, accepted.values)).toBeLessThanOrEqual(maxConnections);
    }), { numRuns: 300 });
  });
});

describe("the reserve", () => {
  it("counts every SqlMigration planMigrations puts in the org database, for any org", () => {
    const slug = fc.stringMatching(/^[a-z][a-z0-9]{1,10}$/);
    const names = fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9]{0,6}$/), { minLength: 1, maxLength: 5 });
    fc.assert(fc.property(slug, names, names, (orgSlug, environments, workspaces) => {
      const plans = Object.values(planMigrations({
        slug: orgSlug, environments, workspaces, providerDatabase: "postgres",
        lockTimeoutMs: 2000, statementTimeoutMs: 5000, idleInTransactionTimeoutMs: 10000, tempFileLimitMb: 64,
      }));
      expect(plans.filter((m) => m.database === databaseName(orgSlug))).toHaveLength(ORG_DATABASE_MIGRATIONS);
    }));
  });

  it("is exactly what the smallest quota leaves beside one runtime and one DDL connection per environment", () => {
    for (const environments of [1, 2, 3, 4, 5]) {
      const accepted = acceptedStack(environments, minimumConnections(environments));
      expect(accepted, `${environments} environments`).toBeDefined();
      const held = planAllLoginRoles(accepted!.stack.spec).reduce((sum, role) => sum + role.connectionLimit, 0);
      expect(minimumConnections(environments) - held).toBe(RESERVED_CONNECTIONS);
      // One less is refused, naming the field and why.
      expect(() => tenantStackFromConfig(stackConfigFor(orgWith(environments, minimumConnections(environments) - 1)))).toThrow(
        `tenantry:org.quotas.maxConnections must be at least ${minimumConnections(environments)} for ${environments} environments (a runtime and a DDL connection each, plus ${RESERVED_CONNECTIONS} reserved for the deploy's provider pool, its migrations in the org database and an operator) (got ${minimumConnections(environments) - 1})`,
      );
    }
  });
});

describe("the registered program", () => {
  let run: ProgramRun;
  beforeAll(async () => {
    run = await runOrg(validOrgInput());
  });

  it("bounds the Postgres provider's pool, and the database's limit leaves room for it beside the login roles' limits", () => {
    const provider = run.resources.find((r) => r.type === providerType("postgresql"))!;
    const pool = provider.inputs["maxConnections"] === undefined ? UPSTREAM_DEFAULT_POOL : Number(provider.inputs["maxConnections"]);
    const [database] = ofType(run, TYPES.database);
    const loginLimits = ofType(run, TYPES.role).filter((r) => r.inputs["login"] === true).map((r) => Number(r.inputs["connectionLimit"]));
    const orgMigrations = run.resources.filter((r) => r.inputs["kind"] === SQL_MIGRATION_KIND && r.inputs["database"] === database?.inputs["name"]);
    expect(orgMigrations.length).toBeGreaterThan(0);
    const spare = Number(database?.inputs["connectionLimit"]) - loginLimits.reduce((sum, limit) => sum + limit, 0);
    expect(spare).toBeGreaterThanOrEqual(pool + orgMigrations.length + OPERATOR);
  });
});
