import { BREAK_GLASS_ACTOR_PREFIX, BREAK_GLASS_GRANTS } from "../../components/break-glass-ledger-sql";
import { planBreakGlass, type BreakGlassPlan } from "../../components/break-glass-plan";
import { ENFORCER_COMMAND } from "../../components/enforcer-sql";
import { databaseName, orgRoleName, quoteIdent, quoteLiteral as literal } from "../../spec/naming";
import { attempt, attemptEach, connectAs, type Credentials, type Outcome } from "../attempt";
import { createOrUpdateGrant } from "../provider-sql/grant";
import { credentialsOf, expectAllowed, expectRefused, SQLSTATE, type Claim, type ClaimResult, type ProofContext } from "./claim";
import { firstSchema, proofTable } from "./privilege-claims";

/*
 * Break-glass (DESIGN property 13), attempted as the break-glass login itself on the real server:
 * the grant is in the ledger as the spec states it; the login reads (or writes) its environment
 * and nothing else, and does no DDL; what it changes is recorded under break-glass:<grantee>
 * whatever actor it SETs; and once VALID UNTIL has passed Postgres refuses it.
 *
 * The proof's tables are created after the apply, and the login's grants cover the tables that
 * existed when they were applied (no default privileges). So the claims first apply the login's
 * planned table and sequence grants again, with the provider's own SQL (provider-sql/grant.ts),
 * as the next apply would: the login then holds on the proof table exactly what it holds on a
 * tenant's table. Those grants go with the proof table when it is dropped.
 *
 * The actor claim commits one change (so the platform can read its event from another session):
 * the proof leaves that one event in the ledger, on its own table, naming the break-glass login.
 */

const { insufficientPrivilege: INSUFFICIENT_PRIVILEGE, invalidPassword: INVALID_PASSWORD } = SQLSTATE;
const correlation = (ctx: ProofContext) => `proof-breakglass-${ctx.nonce}`;
const admin = (ctx: ProofContext): Credentials => ({ user: ctx.server.user, password: ctx.server.password });

/** The login, when break-glass is on; undefined while it is off (only breakGlassIsOffOrRecorded speaks then). */
function breakGlassOf(ctx: ProofContext): { plan: BreakGlassPlan; login: Credentials } | undefined {
  const plan = planBreakGlass(ctx.spec);
  return plan === undefined ? undefined : { plan, login: credentialsOf(ctx, plan.name) };
}

/** While break-glass is off: no role of that name exists, and no grant is live in the ledger. */
async function breakGlassIsOff(ctx: ProofContext): Promise<ClaimResult> {
  const role = orgRoleName(ctx.spec.slug, "breakglass");
  const outcome = await attempt(ctx.server, admin(ctx), databaseName(ctx.spec.slug), [
    `SELECT (SELECT count(*) FROM pg_roles WHERE rolname = ${literal(role)})::int AS roles, (SELECT count(*) FROM ${BREAK_GLASS_GRANTS} WHERE revoked_at IS NULL)::int AS live`,
  ]);
  const holds = outcome.code === undefined && outcome.rows[0]?.["roles"] === 0 && outcome.rows[0]?.["live"] === 0;
  return {
    claim: "with break-glass off there is no break-glass login and no live grant in the ledger",
    attempt: `${ctx.server.user}: pg_roles ${role}; ${BREAK_GLASS_GRANTS} not revoked`,
    result: holds ? "none" : outcome.code !== undefined ? `refused ${outcome.code}` : `found ${JSON.stringify(outcome.rows[0])}`,
    status: holds ? "pass" : "fail",
  };
}

/** The login's planned grants on tables and sequences, applied again by the provider's SQL, so they reach the proof table. */
async function regrant(ctx: ProofContext, plan: BreakGlassPlan): Promise<string | undefined> {
  const statements = plan.grants.filter((g) => g.objectType === "table" || g.objectType === "sequence")
    .flatMap((grant) => createOrUpdateGrant({ ...grant, privileges: [...grant.privileges] }).flatMap((step) => step.statements));
  const outcome = await attempt(ctx.server, admin(ctx), databaseName(ctx.spec.slug), statements);
  return outcome.code === undefined ? undefined : `the provider's grants could not be applied again: ${outcome.code} (${outcome.message ?? ""})`;
}

export const breakGlassIsOffOrRecorded: Claim = async (ctx) => {
  const claim = "the break-glass grant is in the ledger as the spec states it (grantee, reason, expiry, environment, access), recorded by the platform";
  const found = breakGlassOf(ctx);
  if (found === undefined) return [await breakGlassIsOff(ctx)];
  const { plan } = found;
  const outcome = await attempt(ctx.server, admin(ctx), databaseName(ctx.spec.slug), [
    `SELECT e.after ->> 'grantee' AS grantee, e.after ->> 'reason' AS reason, (e.after ->> 'valid_until')::timestamptz = ${literal(plan.validUntil)}::timestamptz AS expiry,
            e.after ->> 'environment' AS environment, e.after ->> 'access' AS access, g.id IS NOT NULL AS live
       FROM audit.events AS e LEFT JOIN ${BREAK_GLASS_GRANTS} AS g ON g.id = (e.primary_key ->> 'id')::bigint AND g.revoked_at IS NULL
      WHERE e.schema_name = 'audit' AND e.table_name = 'break_glass_grants' AND e.operation = 'INSERT' AND e.after ->> 'role' = ${literal(plan.name)}
      ORDER BY e.id DESC LIMIT 1`,
  ]);
  const expected = { grantee: plan.grantee, reason: plan.reason, expiry: true, environment: plan.environment, access: plan.access, live: true };
  const row = outcome.rows[0];
  const holds = outcome.code === undefined && row !== undefined && JSON.stringify(row) === JSON.stringify(expected);
  return [{
    claim, attempt: `${ctx.server.user}: the latest break-glass INSERT event in audit.events, and its live grant`,
    result: holds ? `${plan.grantee}, ${plan.environment}, ${plan.access}, until ${plan.validUntil}` : outcome.code !== undefined ? `refused ${outcome.code}` : `got ${JSON.stringify(row ?? "no event")}`,
    status: holds ? "pass" : "fail",
  }];
};

export const breakGlassReachesOnlyItsScope: Claim = async (ctx) => {
  const claim = "the break-glass login";
  const found = breakGlassOf(ctx);
  if (found === undefined) return [];
  const { plan, login } = found;
  const database = databaseName(ctx.spec.slug);
  const failed = await regrant(ctx, plan);
  if (failed !== undefined) return [{ claim: `${claim} reaches only its scope`, attempt: "-", result: failed, status: "fail" }];
  const own = proofTable(ctx, plan.environment);
  // Each attempt is a statement of its own, rolled back, all on one connection: the login has
  // a connection limit of 1, and a session just closed can still hold it for a moment.
  const attempts: { readonly claim: string; readonly sql: string; readonly refusedWith?: string }[] = [];
  const allowed = (what: string, sql: string) => attempts.push({ claim: `${claim} ${what}`, sql });
  const refused = (what: string, sql: string) => attempts.push({ claim: `${claim} ${what}`, sql, refusedWith: INSUFFICIENT_PRIVILEGE });

  allowed(`can read its environment's (${plan.environment}) schemas`, `SELECT * FROM ${own}`);
  for (const sql of [`INSERT INTO ${own} (note) VALUES ('break-glass')`, `UPDATE ${own} SET note = 'break-glass'`, `DELETE FROM ${own}`]) {
    if (plan.access === "write") allowed("with access write can INSERT, UPDATE and DELETE there", sql);
    else refused("with access read cannot write there", sql);
  }
  for (const other of ctx.spec.environments.filter((env) => env !== plan.environment)) {
    for (const sql of [`SELECT * FROM ${proofTable(ctx, other)}`, `INSERT INTO ${proofTable(ctx, other)} (note) VALUES ('x')`]) {
      refused(`cannot read or write another environment's (${other}) schema`, sql);
    }
  }
  for (const sql of ["SELECT count(*) FROM audit.events", `INSERT INTO audit.events (schema_name, table_name) VALUES (${literal(firstSchema(ctx, plan.environment))}, 'x')`,
    `SELECT * FROM ${BREAK_GLASS_GRANTS}`, `UPDATE ${BREAK_GLASS_GRANTS} SET grantee = 'someone-else'`]) {
    refused("cannot read or write the audit ledger or its grant", sql);
  }
  const scratch = quoteIdent(`x_${ctx.nonce}`);
  const ownSchema = quoteIdent(firstSchema(ctx, plan.environment));
  // A view first: a table the login made would also be refused by the audit guard (it covers only
  // the DDL role's tables), which would hide a CREATE privilege wrongly granted.
  for (const sql of [`CREATE VIEW ${ownSchema}.${scratch} AS SELECT 1 AS id`, `CREATE TABLE ${ownSchema}.${scratch} (id int)`, `ALTER TABLE ${own} ADD COLUMN y int`,
    `DROP TABLE ${own}`, `CREATE SCHEMA ${scratch}`, `CREATE TEMPORARY TABLE ${scratch} (id int)`]) {
    refused("cannot do DDL (CREATE, ALTER, DROP)", sql);
  }

  const outcomes = await attemptEach(ctx.server, login, database, attempts.map((a) => a.sql));
  return attempts.map((a, i) => {
    const outcome = outcomes[i] ?? { code: "not attempted", message: undefined, rows: [] };
    const shown = `${login.user}: ${a.sql}`;
    return a.refusedWith === undefined ? expectAllowed(a.claim, shown, outcome) : expectRefused(a.claim, shown, outcome, a.refusedWith);
  });
};

export const breakGlassChangesCarryItsActor: Claim = async (ctx) => {
  const claim = "a change by the break-glass login is in the ledger under break-glass:<grantee>, even after it SETs another actor";
  const found = breakGlassOf(ctx);
  if (found === undefined) return [];
  const { plan, login } = found;
  if (plan.access === "read") return [{ claim, attempt: "-", result: "skipped: access read, the login changes nothing (its writes are refused above)", status: "skip" }];
  const database = databaseName(ctx.spec.slug);
  const failed = await regrant(ctx, plan);
  if (failed !== undefined) return [{ claim, attempt: "-", result: failed, status: "fail" }];
  const own = proofTable(ctx, plan.environment);
  const forged = "ceo@proof.invalid";
  const changed = await attempt(ctx.server, login, database, [
    `SET tenantry.actor = ${literal(forged)}`, `SELECT set_config('tenantry.actor', ${literal(forged)}, false)`, `SET ROLE ${quoteIdent(plan.name)}`,
    `SET tenantry.correlation_id = ${literal(correlation(ctx))}`, `INSERT INTO ${own} (note) VALUES ('break-glass')`,
  ]);
  const read = await attempt(ctx.server, admin(ctx), database, [`SELECT actor FROM audit.events WHERE correlation_id = ${literal(correlation(ctx))} ORDER BY id`]);
  const expected = `${BREAK_GLASS_ACTOR_PREFIX}${plan.grantee}`;
  const actors = read.rows.map((r) => r["actor"]);
  const holds = changed.code === undefined && actors.length === 1 && actors[0] === expected;
  return [{
    claim, attempt: `${login.user}: SET tenantry.actor, set_config, SET ROLE; INSERT INTO ${own}`,
    result: changed.code !== undefined ? `refused ${changed.code} (${changed.message ?? ""})` : holds ? `recorded as ${expected}` : `recorded as ${JSON.stringify(actors)}`,
    status: holds ? "pass" : "fail",
  }];
};

export const expiredBreakGlassIsRefused: Claim = async (ctx) => {
  const claim = "the break-glass login is refused once its VALID UNTIL has passed";
  const found = breakGlassOf(ctx);
  if (found === undefined) return [];
  const { plan, login } = found;
  const role = quoteIdent(plan.name);
  const original = await attempt(ctx.server, admin(ctx), "postgres", [
    `SELECT to_json(rolvaliduntil) #>> '{}' AS until, rolvaliduntil = ${literal(plan.validUntil)}::timestamptz AS declared FROM pg_roles WHERE rolname = ${literal(plan.name)}`]);
  const until = original.rows[0]?.["until"];
  // The login's own expiry, compared exactly with what the spec declares: Postgres refusing a
  // passed VALID UNTIL (below) says nothing about whether tenantry set the right one.
  const declared: ClaimResult = {
    claim: "the break-glass login's VALID UNTIL is exactly the spec's breakGlass.expiresAt",
    attempt: `${ctx.server.user}: pg_roles.rolvaliduntil of ${plan.name} = ${plan.validUntil}`,
    result: original.code !== undefined ? `refused ${original.code}` : `VALID UNTIL ${typeof until === "string" ? until : "none"}`,
    status: original.rows[0]?.["declared"] === true ? "pass" : "fail",
  };
  if (typeof until !== "string") return [declared, { claim, attempt: "-", result: `no VALID UNTIL on ${plan.name} (${original.code ?? "none set"})`, status: "fail" }];
  // The provider's admin path moves the expiry a minute into the past and always puts it back;
  // a proof killed in between leaves the login expired early, which fails closed.
  const past = new Date(Date.now() - 60_000).toISOString();
  let refused;
  try {
    const moved = await attempt(ctx.server, admin(ctx), "postgres", [`ALTER ROLE ${role} VALID UNTIL ${literal(past)}`]);
    if (moved.code !== undefined) return [{ claim, attempt: "-", result: `could not set VALID UNTIL: ${moved.code}`, status: "fail" }];
    refused = await attempt(ctx.server, login, databaseName(ctx.spec.slug), ["SELECT 1"]);
  } finally {
    await attempt(ctx.server, admin(ctx), "postgres", [`ALTER ROLE ${role} VALID UNTIL ${literal(until)}`]);
  }
  const again = await attempt(ctx.server, login, databaseName(ctx.spec.slug), ["SELECT 1"]);
  return [
    declared,
    expectRefused(claim, `${login.user}: log in with VALID UNTIL ${past}`, refused, INVALID_PASSWORD),
    expectAllowed("the same login logs in again once its declared VALID UNTIL is restored", `${login.user}: log in with VALID UNTIL ${until}`, again),
  ];
};

/** Until the server no longer lists `pid`: the login has one connection, and a session just ended can hold it a moment. */
async function untilGone(ctx: ProofContext, pid: unknown): Promise<void> {
  for (let tries = 0; tries < 50; tries += 1) {
    const seen = await attempt(ctx.server, admin(ctx), "postgres", [`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${Number(pid)}`]);
    if (seen.rows[0]?.["n"] === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export const expiredBreakGlassSessionEnds: Claim = async (ctx) => {
  const claim = "a break-glass session opened before its VALID UNTIL is ended by the enforcer once that has passed";
  const found = breakGlassOf(ctx);
  if (found === undefined) return [];
  const { plan, login } = found;
  const role = quoteIdent(plan.name);
  const session = connectAs(ctx.server, login, databaseName(ctx.spec.slug));
  session.on("error", () => undefined);
  const past = new Date(Date.now() - 60_000).toISOString();
  let opened: Outcome;
  let after: Outcome = { code: "not attempted", message: undefined, rows: [] };
  let pid: unknown;
  try {
    try {
      await session.connect();
      pid = (await session.query("SELECT pg_backend_pid() AS pid")).rows[0]?.pid;
      opened = { code: undefined, message: undefined, rows: [] };
    } catch (error) {
      opened = { code: (error as { code?: string }).code ?? "connection-error", message: String(error), rows: [] };
    }
    if (opened.code !== undefined) return [{ claim, attempt: `${login.user}: log in`, result: `could not log in: ${opened.code}`, status: "fail" }];
    const moved = await attempt(ctx.server, admin(ctx), "postgres", [`ALTER ROLE ${role} VALID UNTIL ${literal(past)}`, ENFORCER_COMMAND]);
    if (moved.code !== undefined) return [{ claim, attempt: "-", result: `could not expire the login or run the enforcer: ${moved.code} (${moved.message ?? ""})`, status: "fail" }];
    try {
      await session.query("SELECT 1");
      after = { code: undefined, message: undefined, rows: [] };
    } catch (error) {
      after = { code: (error as { code?: string }).code ?? "connection-ended", message: (error as Error).message, rows: [] };
    }
  } finally {
    await session.end().catch(() => undefined);
    await attempt(ctx.server, admin(ctx), "postgres", [`ALTER ROLE ${role} VALID UNTIL ${literal(plan.validUntil)}`]);
    if (pid !== undefined) await untilGone(ctx, pid);
  }
  const ended = after.code === SQLSTATE.adminShutdown || after.code === "connection-ended";
  return [{
    claim, attempt: `${login.user}: open a session; ${ctx.server.user}: VALID UNTIL ${past}, run the enforcer; ${login.user}: SELECT 1 in that session`,
    result: ended ? `ended ${after.code}${after.code === "connection-ended" ? ` (${after.message ?? ""})` : ""}` : after.code === undefined ? "the session ran on" : `refused ${after.code}`,
    status: ended ? "pass" : "fail",
  }];
};
