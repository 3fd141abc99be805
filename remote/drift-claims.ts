import type { OrgMigrations } from "../components/migration-plan";
import type { ClaimResult } from "../local/proof/claim";
import { SQLSTATE } from "../local/sqlstate";
import { ENFORCER, PLATFORM_SCHEMAS } from "../spec/platform-names";
import { catalogAttempt, listed, unread, type CatalogClaim, type CatalogContext } from "./catalog-claim";

/*
 * The org's migrations' own drift queries (components/migration-plan.ts), run as a real deploy
 * runs them: as the provider login, in each migration's database, the first column of each row
 * being one difference. The same text the program declares, so the proof and every `pulumi up`
 * judge drift alike: role settings (lock-timeouts), temp_file_limit and the enforcer's limits
 * (guardrails), large objects of the org's roles (large-objects), and the ledger's coverage,
 * event triggers, function grants and row-level security (audit-ledger).
 */

/**
 * The platform schema each elevated migration installs and its drift query reads. Where a
 * superuser installed it (the embedded server, whose elevated migrations run as its superuser),
 * the provider login is refused it, and that refusal says nothing about the deploy. On a managed
 * server there is no superuser to install it: the provider login does, and reads it on every deploy.
 */
const INSTALLED_SCHEMA: Partial<Record<keyof OrgMigrations, string>> = {
  guardrails: ENFORCER.schema,
  auditLedger: PLATFORM_SCHEMAS.guard,
};

/** `acme-lock-timeouts` -> `lock-timeouts`: the migration's name within the org. */
const kind = (ctx: CatalogContext, migration: string) => migration.slice(ctx.spec.slug.length + 1);

/**
 * The superuser that owns `schema`, when the login may not even use it: then a refusal of the
 * drift query is the installer's doing, not the deploy's. A login that may use the schema and is
 * still refused is told why, as a broken claim: a real deploy would be refused the same.
 */
async function unusableSuperuserSchema(ctx: CatalogContext, database: string, schema: string): Promise<string | undefined> {
  const outcome = await ctx.session.read(database,
    `SELECT r.rolname FROM pg_catalog.pg_namespace n JOIN pg_catalog.pg_roles r ON r.oid = n.nspowner
     WHERE n.nspname = $1 AND r.rolsuper AND NOT pg_catalog.has_schema_privilege(n.oid, 'USAGE')`, [schema]);
  const owner = outcome.rows[0]?.["rolname"];
  return typeof owner === "string" ? owner : undefined;
}

export const migrationsDoNotDrift: CatalogClaim = async (ctx) => {
  const results: ClaimResult[] = [];
  for (const [key, plan] of Object.entries(ctx.migrations) as [keyof OrgMigrations, OrgMigrations[keyof OrgMigrations]][]) {
    if (plan.drift === undefined) continue;
    const claim = `the ${kind(ctx, plan.migration)} migration's drift query lists nothing`;
    const attempt = catalogAttempt(ctx, `the ${plan.migration} migration's own drift query, in ${plan.database}`);
    const outcome = await ctx.session.read(plan.database, plan.drift);
    const schema = INSTALLED_SCHEMA[key];
    if (outcome.code === SQLSTATE.insufficientPrivilege && schema !== undefined) {
      const owner = await unusableSuperuserSchema(ctx, plan.database, schema);
      if (owner !== undefined) {
        results.push({ claim, attempt, status: "skip",
          result: `skipped: schema ${schema} belongs to ${owner}, a superuser, and ${ctx.login} may not read it (${outcome.code}); ` +
            `where no superuser exists (RDS) ${ctx.login} installs it, and reads this query on every deploy` });
        continue;
      }
    }
    if (outcome.code !== undefined) {
      results.push({ claim, attempt, result: await unread(ctx, plan.database, outcome), status: "fail" });
      continue;
    }
    const drift = outcome.rows.map((row) => String(Object.values(row)[0]));
    results.push({ claim, attempt, result: drift.length === 0 ? "lists nothing" : `lists: ${listed(drift)}`, status: drift.length === 0 ? "pass" : "fail" });
  }
  return results;
};
