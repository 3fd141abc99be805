import type { OrgMigrations } from "../components/migration-plan";
import type { Outcome } from "../local/attempt";
import type { ClaimResult } from "../local/proof/claim";
import type { OrgSpec } from "../spec/spec";
import type { CatalogSession } from "./catalog-session";

/*
 * A claim of the after-deploy proof: read from the server's catalog as the provider login, judged
 * against what the stack declares. The rows have the local proof's shape (local/proof/claim.ts),
 * and each says it was read from the catalog, and as whom.
 */

export interface CatalogContext {
  readonly session: CatalogSession;
  readonly spec: OrgSpec;
  /** The stack's provider login (`postgresql:username`): the login the proof reads as. */
  readonly login: string;
  /** Where the login connects for cluster-wide catalogs: the stack's `postgresql:database`, or the URL's. */
  readonly providerDatabase: string;
  /** The org's migrations as the program declares them, drift queries included. */
  readonly migrations: OrgMigrations;
}

export type CatalogClaim = (ctx: CatalogContext) => Promise<ClaimResult[]>;

/** What a judge makes of the rows a query returned. */
export interface Verdict {
  readonly result: string;
  readonly holds: boolean;
}

export function catalogAttempt(ctx: Pick<CatalogContext, "login">, what: string): string {
  return `catalog, as ${ctx.login}: ${what}`;
}

/**
 * Reads `sql` in `database` and judges its rows. A database the login cannot connect to, or a
 * query the server refuses, fails the claim with what the server said: the login of a real deploy
 * can read all of this, so not being able to is itself a finding.
 */
export async function readAndJudge(
  ctx: CatalogContext, claim: string, what: string, database: string, sql: string, params: readonly unknown[],
  judge: (rows: readonly Record<string, unknown>[]) => Verdict,
): Promise<ClaimResult> {
  const attempt = catalogAttempt(ctx, what);
  const outcome = await ctx.session.read(database, sql, params);
  if (outcome.code !== undefined) return { claim, attempt, result: await unread(ctx, database, outcome), status: "fail" };
  const { result, holds } = judge(outcome.rows);
  return { claim, attempt, result, status: holds ? "pass" : "fail" };
}

/** Why nothing could be read: the connection refused, or the query. */
export async function unread(ctx: CatalogContext, database: string, outcome: Outcome): Promise<string> {
  const refused = await ctx.session.refusal(database);
  if (refused !== undefined) return `could not connect to ${database} as ${ctx.login}: ${refused.code ?? ""} (${refused.message ?? ""})`;
  return `refused ${outcome.code ?? ""} (${outcome.message ?? ""})`;
}

/** At most `limit` items, then how many more: a result column stays readable. */
export function listed(items: readonly string[], limit = 10): string {
  return items.length <= limit ? items.join("; ") : `${items.slice(0, limit).join("; ")}; and ${items.length - limit} more`;
}
