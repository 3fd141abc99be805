import { planAllLoginRoles, type LoginRolePlan } from "../../components/database-plan";
import { ENFORCER_GRACE_MS, ENFORCER_PERIOD_MS, enforcedBoundMs } from "../../components/enforcer-sql";
import { databaseName, quoteIdent } from "../../spec/naming";
import { attempt } from "../attempt";
import { credentialsOf, SQLSTATE, type Claim, type ClaimResult, type ProofContext } from "./claim";
import { idleInTransactionUntilEnded, lockWaitUntilEnded, runQueryUntilEnded, type Ending } from "./runaway-sessions";

/*
 * Finding 4 of issue 13: a tenant role removed its own timeouts (ALTER ROLE ... SET
 * statement_timeout = 0, RESET lock_timeout, a session SET) and then ran for as long as it liked.
 * Each runaway here first switches off every timeout it can, as the role itself, and must still
 * be ended by the server within its declared limit plus the enforcer's grace and period.
 */

/**
 * What the proof allows on top of `limit + grace + period` before it calls a claim broken: a
 * loaded machine delays the enforcer's tick and the client's view of the end. Reported, not hidden.
 */
const SLACK_MS = 1_000;
/** How long a runaway tries to run past its bound when nothing ends it. */
const OVERRUN_MS = 3_000;

interface Runaway {
  readonly claim: string;
  readonly limitMs: (role: LoginRolePlan) => number;
  /** What the role does to itself first (committed: it lasts, as finding 4 found). */
  readonly alterRole: (self: string) => string[];
  readonly describe: (role: LoginRolePlan) => string;
  readonly run: (ctx: ProofContext, role: LoginRolePlan, giveUpAfterMs: number) => Promise<Ending>;
}

const seconds = (ms: number) => (ms / 1000).toFixed(1);
const database = (ctx: ProofContext) => databaseName(ctx.spec.slug);

const RUNAWAYS: readonly Runaway[] = [
  {
    claim: "a query is ended within its statement limit plus the enforcer's grace and period, even after the role and the session set statement_timeout = 0",
    limitMs: (role) => role.statementTimeoutMs,
    alterRole: (self) => [`ALTER ROLE ${self} SET statement_timeout = 0`],
    describe: (role) => `SET statement_timeout = 0; SELECT pg_sleep(${seconds(enforcedBoundMs(role.statementTimeoutMs) + OVERRUN_MS)})`,
    run: (ctx, role, giveUp) => runQueryUntilEnded(ctx.server, credentialsOf(ctx, role.name), database(ctx), ["SET statement_timeout = 0"],
      `SELECT pg_sleep(${seconds(giveUp)})`),
  },
  {
    // statement_timeout intact: the cancel it sends is caught, which PL/pgSQL allows.
    claim: "a query that catches its own cancellation is ended within its statement limit plus the enforcer's grace and period",
    limitMs: (role) => role.statementTimeoutMs,
    alterRole: () => [],
    describe: (role) => `SET statement_timeout = ${role.statementTimeoutMs}; DO: loop pg_sleep(0.1), catching query_canceled`,
    run: (ctx, role, giveUp) => runQueryUntilEnded(ctx.server, credentialsOf(ctx, role.name), database(ctx), [`SET statement_timeout = ${role.statementTimeoutMs}`],
      `DO $$ BEGIN FOR i IN 1..${Math.ceil(giveUp / 100)} LOOP BEGIN PERFORM pg_sleep(0.1); EXCEPTION WHEN query_canceled THEN NULL; END; END LOOP; END $$`),
  },
  {
    claim: "a transaction left idle is ended within its idle-in-transaction limit plus the enforcer's grace and period, even after the role and the session set it to 0",
    limitMs: (role) => role.idleInTransactionSessionTimeoutMs,
    alterRole: (self) => [`ALTER ROLE ${self} SET idle_in_transaction_session_timeout = 0`],
    describe: () => "SET idle_in_transaction_session_timeout = 0; BEGIN; SELECT 1; then idle",
    run: (ctx, role, giveUp) => idleInTransactionUntilEnded(ctx.server, credentialsOf(ctx, role.name), database(ctx),
      ["SET idle_in_transaction_session_timeout = 0"], giveUp),
  },
  {
    claim: "a lock wait is ended within its lock limit plus the enforcer's grace and period, even after the role resets lock_timeout and the session sets it to 0",
    limitMs: (role) => role.lockTimeoutMs,
    alterRole: (self) => [`ALTER ROLE ${self} RESET lock_timeout`],
    describe: () => "SET lock_timeout = 0; SET statement_timeout = 0; SELECT pg_advisory_lock(k), which another session holds",
    run: (ctx, role, giveUp) => lockWaitUntilEnded(ctx.server, { user: ctx.server.user, password: ctx.server.password }, credentialsOf(ctx, role.name), database(ctx),
      ["SET lock_timeout = 0", "SET statement_timeout = 0"], BigInt(`0x${ctx.nonce}`), giveUp),
  },
];

/**
 * Every login role's connection slots, interleaved (the first slot of each role, then the second
 * ...): runaways on different slots run at once, so the claim takes about as long as its longest limit.
 */
function slots(roles: readonly LoginRolePlan[]): LoginRolePlan[] {
  const deepest = Math.max(...roles.map((role) => role.connectionLimit));
  return Array.from({ length: deepest }, (_, depth) => roles.filter((role) => depth < role.connectionLimit)).flat();
}

function judge(runaway: Runaway, role: LoginRolePlan, altered: string, ending: Ending): ClaimResult {
  const limit = runaway.limitMs(role);
  const bound = enforcedBoundMs(limit);
  const attemptText = `${role.name}: ${altered}${runaway.describe(role)}`;
  const budget = `limit ${limit} + grace ${ENFORCER_GRACE_MS} + period ${ENFORCER_PERIOD_MS} = ${bound} ms`;
  if (ending.how !== "ended" || ending.code !== SQLSTATE.adminShutdown) {
    const what = ending.how === "ended" ? `ended ${ending.code ?? "?"}, not by the enforcer (${SQLSTATE.adminShutdown}),` : ending.how === "completed" ? "ran to its end" : "was still open";
    return { claim: runaway.claim, attempt: attemptText, result: `${what} after ${ending.afterMs} ms (${budget})`, status: "fail" };
  }
  const within = ending.afterMs <= bound ? "within" : ending.afterMs <= bound + SLACK_MS ? `past by ${ending.afterMs - bound} ms, inside the proof's ${SLACK_MS} ms allowance for load;` : "past";
  return {
    claim: runaway.claim, attempt: attemptText,
    result: `ended ${SQLSTATE.adminShutdown} after ${ending.afterMs} ms, ${within} ${budget}`,
    status: ending.afterMs <= bound + SLACK_MS ? "pass" : "fail",
  };
}

export const runawaySessionsAreEnded: Claim = async (ctx) => {
  const available = slots(planAllLoginRoles(ctx.spec));
  const assigned = RUNAWAYS.map((runaway, i) => ({ runaway, role: available[i % available.length] }));
  const lanes = new Map<number, typeof assigned>();
  assigned.forEach((entry, i) => lanes.set(i % available.length, [...(lanes.get(i % available.length) ?? []), entry]));
  const results: ClaimResult[] = [];
  try {
    await Promise.all([...lanes.values()].map(async (lane) => {
      for (const { runaway, role } of lane) {
        if (role === undefined) throw new Error("internal: an org has login roles");
        const alters = runaway.alterRole(quoteIdent(role.name));
        const altered = await attempt(ctx.server, credentialsOf(ctx, role.name), database(ctx), alters);
        const alteredText = alters.length === 0 ? "" : `${alters.join("; ")} (${altered.code === undefined ? "allowed" : `refused ${altered.code}`}); then `;
        const giveUp = enforcedBoundMs(runaway.limitMs(role)) + OVERRUN_MS;
        results.push(judge(runaway, role, alteredText, await runaway.run(ctx, role, giveUp)));
      }
    }));
  } finally {
    // What the roles did to themselves is put back, as the next `up` would.
    await ctx.repairRoles();
  }
  return RUNAWAYS.flatMap((runaway) => results.filter((r) => r.claim === runaway.claim));
};
