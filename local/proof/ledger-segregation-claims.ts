import { auditOwnerName, ledgerPolicyNames } from "../../components/audit-plan";
import { planEnvironmentSchemas, planLoginRoles } from "../../components/database-plan";
import { databaseName, quoteLiteral as literal } from "../../spec/naming";
import { PLATFORM_SCHEMAS, PROOF_OBJECT_PREFIX } from "../../spec/platform-names";
import { attempt, attemptEach, type Credentials } from "../attempt";
import { credentialsOf, SQLSTATE, type Claim, type ClaimResult, type ProofContext } from "./claim";
import { firstSchema, proofTable } from "./privilege-claims";

/*
 * The ledger segregated by environment (issue 13, finding 3): a role of one environment reads
 * and writes only the events of its own environment's schemas; the audit owner and the platform
 * see every event.
 *
 * A reader can only be shown another environment's events if they are in the ledger while it
 * reads. The proof leaves no events behind, so the reads run as the superuser in one rolled-back
 * transaction: it writes, as each environment's runtime role (SET ROLE), one row change on that
 * environment's proof table (a trigger event, holding a card number) and one application event,
 * analyzes the ledger, and then reads as the role the claim is about (SET ROLE: Postgres applies
 * row-level security and privileges by the current role, exactly as for that role's login).
 * Writes and switch-off attempts are made by each role's own login.
 */

const { insufficientPrivilege: INSUFFICIENT_PRIVILEGE } = SQLSTATE;
const CARD_NUMBER = "4242 4242 4242 4242";
const correlation = (ctx: ProofContext) => `proof-segregation-${ctx.nonce}`;

interface LoginRole {
  readonly env: string;
  readonly who: Credentials;
}

function loginRoles(ctx: ProofContext): LoginRole[] {
  return ctx.spec.environments.flatMap((env) => planLoginRoles(ctx.spec, env).map((role) => ({ env, who: credentialsOf(ctx, role.name) })));
}

const schemasOf = (ctx: ProofContext, env: string) => planEnvironmentSchemas(ctx.spec, env).map((schema) => schema.name);
const runtimeOf = (ctx: ProofContext, env: string) => planLoginRoles(ctx.spec, env)[0].name;

/** As the superuser, in the reader's transaction: one trigger event and one application event per environment, then ANALYZE. */
function writeEveryEnvironment(ctx: ProofContext): string[] {
  return [
    `SET LOCAL tenantry.correlation_id = ${literal(correlation(ctx))}`,
    ...ctx.spec.environments.flatMap((env) => [
      `SET ROLE ${runtimeOf(ctx, env)}`,
      `INSERT INTO ${proofTable(ctx, env)} (id, note) VALUES (-10, ${literal(CARD_NUMBER)})`,
      `INSERT INTO audit.events (correlation_id, schema_name, table_name) VALUES (${literal(correlation(ctx))}, ${literal(firstSchema(ctx, env))}, 'cards')`,
      "RESET ROLE",
    ]),
    // Statistics are data too: pg_stats shows a column's most common values and histogram bounds.
    "ANALYZE audit.events",
  ];
}

interface Seen {
  /** schema_name of every proof event the reader saw. */
  readonly schemas: readonly string[];
  /** Columns of audit.events pg_stats shows the reader. */
  readonly statistics: number;
  readonly failure?: string;
}

async function readAs(ctx: ProofContext, reader: string): Promise<Seen> {
  const admin = { user: ctx.server.user, password: ctx.server.password };
  const outcome = await attempt(ctx.server, admin, databaseName(ctx.spec.slug), [
    ...writeEveryEnvironment(ctx),
    `SET ROLE ${reader}`,
    `SELECT coalesce((SELECT array_agg(schema_name ORDER BY schema_name) FROM audit.events WHERE correlation_id = ${literal(correlation(ctx))}), '{}') AS schemas, ` +
      "(SELECT count(*)::int FROM pg_stats WHERE schemaname = 'audit' AND tablename = 'events') AS statistics",
  ], { rollback: true });
  if (outcome.code !== undefined) return { schemas: [], statistics: 0, failure: `refused ${outcome.code} (${outcome.message ?? ""})` };
  const row = outcome.rows[0] ?? {};
  return { schemas: (row["schemas"] ?? []) as string[], statistics: Number(row["statistics"]) };
}

const eventsWord = (n: number) => `${n} event${n === 1 ? "" : "s"}`;
const ATTEMPT = "SELECT FROM audit.events, pg_stats (SET ROLE, in a rolled-back transaction holding one trigger and one application event per environment)";

export const ledgerReadsStayInTheirEnvironment: Claim = async (ctx) => {
  const written = ctx.spec.environments.length * 2;
  const results: ClaimResult[] = [];
  for (const { env, who } of loginRoles(ctx)) {
    const own = new Set(schemasOf(ctx, env));
    const seen = await readAs(ctx, who.user);
    const others = seen.schemas.filter((schema) => !own.has(schema));
    const mine = seen.schemas.length - others.length;
    const attempted = `${who.user}: ${ATTEMPT}`;
    const otherEnvironments = ctx.spec.environments.filter((e) => e !== env);
    results.push(otherEnvironments.length === 0
      ? { claim: "a role of one environment sees no other environment's events in the ledger", attempt: attempted, result: "skipped: the org has one environment", status: "skip" }
      : {
        claim: "a role of one environment sees no other environment's events in the ledger",
        attempt: attempted,
        result: seen.failure ?? `sees ${others.length} of ${written - 2} events of ${otherEnvironments.join(", ")}${others.length > 0 ? ` (${others.join(", ")})` : ""}`,
        status: seen.failure === undefined && others.length === 0 ? "pass" : "fail",
      });
    results.push({
      claim: "a role sees its own environment's events in the ledger",
      attempt: attempted,
      result: seen.failure ?? `sees ${mine} of 2 ${env} events`,
      status: seen.failure === undefined && mine === 2 ? "pass" : "fail",
    });
    results.push({
      claim: "no tenant role reads the ledger's values through the planner's statistics (pg_stats)",
      attempt: attempted,
      result: seen.failure ?? `pg_stats shows ${seen.statistics} column(s) of audit.events`,
      status: seen.failure === undefined && seen.statistics === 0 ? "pass" : "fail",
    });
  }
  for (const reader of [auditOwnerName(ctx.spec), ctx.server.user]) {
    const seen = await readAs(ctx, reader);
    results.push({
      claim: "the audit owner and the platform see every environment's events",
      attempt: `${reader}: SELECT FROM audit.events (SET ROLE, in the same rolled-back transaction)`,
      result: seen.failure ?? `sees ${seen.schemas.length} of ${eventsWord(written)}`,
      status: seen.failure === undefined && seen.schemas.length === written ? "pass" : "fail",
    });
  }
  return results;
};

const applicationEvent = (ctx: ProofContext, schema: string) =>
  `INSERT INTO audit.events (correlation_id, schema_name, table_name) VALUES (${literal(correlation(ctx))}, ${literal(schema)}, 'cards')`;

/** Each role's own login, each INSERT in a rolled-back transaction of its own. */
export const applicationEventsStayInTheirEnvironment: Claim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const { env, who } of loginRoles(ctx)) {
    const own = schemasOf(ctx, env);
    const foreign = [...ctx.spec.environments.filter((e) => e !== env).flatMap((e) => schemasOf(ctx, e)), PLATFORM_SCHEMAS.ledger, PLATFORM_SCHEMAS.guard, "public"];
    const refused = await attemptEach(ctx.server, who, database, foreign.map((schema) => applicationEvent(ctx, schema)));
    const allowed = foreign.flatMap((schema, i) => (refused[i]?.code === INSUFFICIENT_PRIVILEGE ? [] : [`${schema} -> ${refused[i]?.code ?? "ALLOWED"}`]));
    results.push({
      claim: "a role cannot insert an application event naming a table outside its environment",
      attempt: `${who.user}: ${foreign.length} INSERTs INTO audit.events naming ${foreign.join(", ")}`,
      result: allowed.length === 0 ? `${foreign.length}/${foreign.length} refused ${INSUFFICIENT_PRIVILEGE}` : `not refused: ${allowed.join("; ")}`,
      status: allowed.length === 0 ? "pass" : "fail",
    });
    const accepted = await attemptEach(ctx.server, who, database, own.map((schema) => applicationEvent(ctx, schema)));
    const rejected = own.flatMap((schema, i) => (accepted[i]?.code === undefined ? [] : [`${schema} -> ${accepted[i]?.code ?? ""}`]));
    results.push({
      claim: "a role can insert an application event naming its own environment's tables",
      attempt: `${who.user}: ${own.length} INSERTs INTO audit.events naming ${own.join(", ")}`,
      result: rejected.length === 0 ? `${own.length}/${own.length} allowed` : `refused: ${rejected.join("; ")}`,
      status: rejected.length === 0 ? "pass" : "fail",
    });
  }
  return results;
};

/** What a tenant would try to lift the segregation: a session switch, and the table's own settings. */
function switchOffAttempts(ctx: ProofContext, env: string): string[] {
  const planted = `${PROOF_OBJECT_PREFIX}${ctx.nonce}`;
  return [
    "SET LOCAL row_security = off; SELECT count(*) FROM audit.events",
    "ALTER TABLE audit.events DISABLE ROW LEVEL SECURITY",
    `CREATE POLICY ${planted} ON audit.events FOR SELECT TO PUBLIC USING (true)`,
    `ALTER POLICY ${ledgerPolicyNames(env).select} ON audit.events USING (true)`,
    `DROP POLICY ${ledgerPolicyNames(env).select} ON audit.events`,
  ];
}

export const ledgerSegregationCannotBeSwitchedOff: Claim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const { env, who } of loginRoles(ctx)) {
    const tried = switchOffAttempts(ctx, env);
    const outcomes = await attemptEach(ctx.server, who, database, tried);
    const allowed = tried.flatMap((sql, i) => (outcomes[i]?.code === INSUFFICIENT_PRIVILEGE ? [] : [`${sql} -> ${outcomes[i]?.code ?? "ALLOWED"}`]));
    results.push({
      claim: "no tenant role can switch the ledger's row-level security off or change its policies",
      attempt: `${who.user}: ${tried.length} statements (SET row_security = off, DISABLE ROW LEVEL SECURITY, CREATE/ALTER/DROP POLICY)`,
      result: allowed.length === 0 ? `${tried.length}/${tried.length} refused ${INSUFFICIENT_PRIVILEGE}` : `not refused: ${allowed.join("; ")}`,
      status: allowed.length === 0 ? "pass" : "fail",
    });
  }
  return results;
};
