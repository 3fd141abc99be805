import { randomBytes } from "node:crypto";
import { planAllLoginRoles, planLoginRoles, type LoginRolePlan } from "../../components/database-plan";
import { databaseName, orgPrefix, quoteIdent } from "../../spec/naming";
import { attempt, attemptEach, connectionsUntilRefused } from "../attempt";
import { PROOF_OBJECT_PREFIX } from "../../spec/platform-names";
import { credentialsOf, expectAllowed, expectRefused, SQLSTATE, type Claim, type ClaimResult, type ProofContext } from "./claim";

/*
 * Fail-closed guardrails (DESIGN properties 1, 3, 4): timeouts and connection limits that the
 * server enforces on its own, no privileged role attribute, and no way in for PUBLIC or for
 * another tenant's roles.
 */

const { queryCanceled: QUERY_CANCELED, tooManyConnections: TOO_MANY_CONNECTIONS, insufficientPrivilege: INSUFFICIENT_PRIVILEGE } = SQLSTATE;

function loginRoles(ctx: ProofContext) {
  return planAllLoginRoles(ctx.spec);
}

function admin(ctx: ProofContext) {
  return { user: ctx.server.user, password: ctx.server.password };
}

export const statementTimeoutCancels: Claim = async (ctx) => {
  const role = loginRoles(ctx)[0];
  if (role === undefined) throw new Error("internal: an org has login roles");
  const seconds = Math.ceil(role.statementTimeoutMs / 1000) + 1;
  const sql = `SELECT pg_sleep(${seconds})`;
  return [expectRefused(`statement_timeout (${role.statementTimeoutMs} ms) cancels a long query`, `${role.name}: ${sql}`,
    await attempt(ctx.server, credentialsOf(ctx, role.name), databaseName(ctx.spec.slug), [sql]), QUERY_CANCELED)];
};

/** What a fresh session of `role` runs with, read as the role itself; undefined when it cannot log in. */
async function sessionLimits(ctx: ProofContext, role: LoginRolePlan): Promise<{ values?: string[]; refused?: string }> {
  // pg_settings reports the timeouts in milliseconds and temp_file_limit in kB, whatever unit SHOW would pick.
  const outcome = await attempt(ctx.server, credentialsOf(ctx, role.name), databaseName(ctx.spec.slug), [
    "SELECT max(setting) FILTER (WHERE name = 'statement_timeout') AS st, max(setting) FILTER (WHERE name = 'lock_timeout') AS lock, " +
      "max(setting) FILTER (WHERE name = 'idle_in_transaction_session_timeout') AS idle, max(setting) FILTER (WHERE name = 'temp_file_limit') AS temp, " +
      "(SELECT rolconnlimit FROM pg_roles WHERE rolname = current_user) AS connections FROM pg_settings",
  ]);
  if (outcome.code !== undefined) return { refused: `refused ${outcome.code}` };
  const row = outcome.rows[0] ?? {};
  return { values: [row["st"], row["lock"], row["idle"], row["temp"], row["connections"]].map(String) };
}

/** The same five values as declared. */
function declaredLimits(role: LoginRolePlan): string[] {
  return [role.statementTimeoutMs, role.lockTimeoutMs, role.idleInTransactionSessionTimeoutMs, role.tempFileLimitMb * 1024, role.connectionLimit].map(String);
}

const renderLimits = ([st, lock, idle, temp, connections]: readonly string[]) =>
  `statement ${st} ms, lock ${lock} ms, idle ${idle} ms, temp ${temp} kB, connection limit ${connections}`;

export const rolesCarryTimeouts: Claim = async (ctx) => {
  const results: ClaimResult[] = [];
  for (const role of loginRoles(ctx)) {
    const { values, refused } = await sessionLimits(ctx, role);
    results.push({
      claim: "login role logs in with its statement, lock and idle-in-transaction timeouts, its temp file limit and connection limit",
      attempt: `${role.name}: statement_timeout, lock_timeout, idle_in_transaction_session_timeout, temp_file_limit from pg_settings; its rolconnlimit`,
      result: values === undefined ? refused ?? "" : renderLimits(values),
      status: values !== undefined && values.join() === declaredLimits(role).join() ? "pass" : "fail",
    });
  }
  return results;
};

/**
 * Finding 4 of issue 13: a role may change its own settings and password, and the change lasts.
 * Role defaults are only a convenience (the enforcer is the limit), but `up` puts them back.
 */
export const roleSettingsAreRestored: Claim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const drift = new Map<string, string>();
  for (const role of loginRoles(ctx)) {
    const self = quoteIdent(role.name);
    const statements = [
      `ALTER ROLE ${self} SET statement_timeout = 0`, `ALTER ROLE ${self} RESET lock_timeout`, `ALTER ROLE ${self} SET idle_in_transaction_session_timeout = 0`,
      `ALTER ROLE ${self} IN DATABASE ${quoteIdent(database)} SET statement_timeout = 0`, `ALTER ROLE ${self} PASSWORD '${randomBytes(18).toString("base64url")}'`,
    ];
    const outcome = await attempt(ctx.server, credentialsOf(ctx, role.name), database, statements);
    drift.set(role.name, outcome.code === undefined ? "all 5 allowed" : `stopped at ${outcome.code}`);
  }
  const repaired = await ctx.repairRoles();
  const results: ClaimResult[] = [];
  for (const role of loginRoles(ctx)) {
    const { values, refused } = await sessionLimits(ctx, role);
    results.push({
      claim: "a role that changes its own settings and password gets the declared ones back from the next up",
      attempt: `${role.name}: ALTER ROLE itself SET statement_timeout = 0, RESET lock_timeout, SET idle_in_transaction_session_timeout = 0, ` +
        `IN DATABASE ${database} SET statement_timeout = 0, PASSWORD (${drift.get(role.name) ?? ""}); then up's repair`,
      result: `${`${repaired.passwords.includes(role.name) ? "password repaired" : "password not repaired"}, ${repaired.settings.includes(role.name) ? "settings restored" : "settings not restored"}`}; then ${values === undefined ? `its stored password is ${refused ?? ""}` : renderLimits(values)}`,
      status: values !== undefined && values.join() === declaredLimits(role).join() ? "pass" : "fail",
    });
  }
  return results;
};

/** Finding 5 of issue 13: one tenant sort wrote 1.3 GB of temporary files. */
export const tempFilesAreCapped: Claim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  const [app] = loginRoles(ctx);
  if (app === undefined) throw new Error("internal: an org has login roles");
  // Rows of 8000 bytes (plus a header each), 5% more of them than the limit holds, and a margin
  // for small limits; with a tiny work_mem every one spills. Fewer (a count rounded for 8 KiB
  // rows) fell short of 512 MB and the sort completed.
  const rows = Math.ceil((app.tempFileLimitMb * 1024 * 1024 * 1.05) / 8000) + 1024;
  const sort = `SELECT max(length(r)) FROM (SELECT g, repeat('x', 8000) AS r FROM generate_series(1, ${rows}) AS g ORDER BY g DESC OFFSET 0) AS spilled`;
  results.push(expectRefused(`a sort that spills past temp_file_limit (${app.tempFileLimitMb} MB) is refused`, `${app.name}: SET work_mem = '64kB'; ${sort}`,
    await attempt(ctx.server, credentialsOf(ctx, app.name), database, ["SET work_mem = '64kB'", sort]), SQLSTATE.configurationLimitExceeded));
  for (const role of loginRoles(ctx)) {
    const self = quoteIdent(role.name);
    const lifts = [
      "SET temp_file_limit = -1", `ALTER ROLE ${self} SET temp_file_limit = -1`, `ALTER ROLE ${self} RESET temp_file_limit`,
      `ALTER ROLE ${self} IN DATABASE ${quoteIdent(database)} SET temp_file_limit = -1`,
    ];
    const outcomes = await attemptEach(ctx.server, credentialsOf(ctx, role.name), database, lifts);
    const allowed = lifts.filter((_, i) => outcomes[i]?.code !== INSUFFICIENT_PRIVILEGE);
    results.push({
      claim: "no tenant role can lift its temp_file_limit",
      attempt: `${role.name}: ${lifts.join("; ")}`,
      result: allowed.length === 0 ? `${lifts.length}/${lifts.length} refused ${INSUFFICIENT_PRIVILEGE}` : `not refused: ${allowed.join("; ")}`,
      status: allowed.length === 0 ? "pass" : "fail",
    });
  }
  return results;
};

export const connectionLimitRefusesOneMore: Claim = async (ctx) => {
  const results: ClaimResult[] = [];
  const [runtime, ddl] = planLoginRoles(ctx.spec, ctx.spec.environments[0] ?? "");
  for (const role of [ddl, runtime]) {
    if (role === undefined) continue;
    const { opened, extra } = await connectionsUntilRefused(ctx.server, credentialsOf(ctx, role.name), databaseName(ctx.spec.slug), role.connectionLimit);
    const claim = `connection limit ${role.connectionLimit} refuses connection ${role.connectionLimit + 1}`;
    const attemptText = `${role.name}: open ${role.connectionLimit} connection(s), then one more`;
    // 53300 is also the database's own limit: only the role's limit, named in the message, counts.
    const byRoleLimit = extra.message?.includes(`for role "${role.name}"`) === true;
    results.push(opened === role.connectionLimit && byRoleLimit
      ? expectRefused(claim, attemptText, extra, TOO_MANY_CONNECTIONS)
      : { claim, attempt: attemptText, result: `${opened} opened, then ${extra.code ?? "allowed"} (${extra.message ?? ""})`, status: "fail" });
  }
  return results;
};

export const noPrivilegedAttributes: Claim = async (ctx) => {
  const prefix = orgPrefix(ctx.spec.slug);
  const sql = `SELECT rolname FROM pg_roles WHERE starts_with(rolname, '${prefix}') AND (rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication OR rolbypassrls)`;
  const outcome = await attempt(ctx.server, admin(ctx), "postgres", [sql]);
  const offenders = outcome.rows.map((r) => String(r["rolname"]));
  return [{
    claim: "no tenant role holds SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS",
    attempt: `admin: pg_roles where rolname starts with ${prefix}`,
    result: outcome.code !== undefined ? `query failed ${outcome.code}` : offenders.length === 0 ? "none" : offenders.join(", "),
    status: outcome.code === undefined && offenders.length === 0 ? "pass" : "fail",
  }];
};

/** A fresh login role with no grants stands for PUBLIC: everything PUBLIC holds, it holds. */
export const publicCannotConnect: Claim = async (ctx) => {
  const outsider = { user: `${PROOF_OBJECT_PREFIX}outsider_${ctx.nonce}`, password: randomBytes(18).toString("base64url") };
  ctx.willCreate({ kind: "role", role: outsider.user });
  const created = await attempt(ctx.server, admin(ctx), "postgres", [
    `CREATE ROLE ${quoteIdent(outsider.user)} LOGIN PASSWORD '${outsider.password}'`,
  ]);
  if (created.code !== undefined) return [expectAllowed("proof setup: create an outsider role", "admin: CREATE ROLE", created)];
  try {
    const database = databaseName(ctx.spec.slug);
    return [expectRefused("PUBLIC cannot connect to the org database", `${outsider.user} (no grants): connect to ${database}`,
      await attempt(ctx.server, outsider, database, ["SELECT 1"]), INSUFFICIENT_PRIVILEGE)];
  } finally {
    await attempt(ctx.server, admin(ctx), "postgres", [`DROP ROLE IF EXISTS ${quoteIdent(outsider.user)}`]);
  }
};

/** Every runtime role of every other org applied here, both ways. */
export const otherOrgsCannotConnect: Claim = async (ctx) => {
  if (ctx.otherOrgs.length === 0) {
    return [{ claim: "one org's roles cannot connect to another org's database", attempt: "-",
      result: "skipped: no other org is applied to this server", status: "skip" }];
  }
  const own = databaseName(ctx.spec.slug);
  const ownRuntimes = loginRoles(ctx).filter((role) => role.kind === "runtime");
  const claim = "one org's roles cannot connect to another org's database";
  const results: ClaimResult[] = [];
  for (const other of ctx.otherOrgs) {
    for (const role of other.runtimes) {
      results.push(expectRefused(claim, `${role.user}: connect to ${own}`, await attempt(ctx.server, role, own, ["SELECT 1"]), INSUFFICIENT_PRIVILEGE));
    }
    for (const role of ownRuntimes) {
      results.push(expectRefused(claim, `${role.name}: connect to ${other.database}`,
        await attempt(ctx.server, credentialsOf(ctx, role.name), other.database, ["SELECT 1"]), INSUFFICIENT_PRIVILEGE));
    }
  }
  return results;
};
