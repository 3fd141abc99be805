import { planAllLoginRoles } from "../../components/database-plan";
import { LARGE_OBJECT_FUNCTIONS_QUERY, largeObjectsDriftSql } from "../../components/large-objects-sql";
import { orgRoleNames } from "../../components/migration-plan";
import { SHARED_DATABASES } from "../../components/shared-databases-sql";
import { databaseName, quoteIdent } from "../../spec/naming";
import { attempt, attemptEach } from "../attempt";
import { credentialsOf, expectRefused, SQLSTATE, type Claim, type ClaimResult } from "./claim";

/*
 * What an org's roles share with every other org on the server (DESIGN property 1): the
 * server's own databases, and data kept outside every table. Each attempt is made as every
 * runtime and DDL login of the org; what an attempt the server wrongly allows did is rolled back.
 */

const { insufficientPrivilege: INSUFFICIENT_PRIVILEGE } = SQLSTATE;

/** postgres and template1 are every role's by default (PUBLIC holds CONNECT and TEMPORARY on them). */
export const sharedDatabasesAreClosed: Claim = async (ctx) => {
  const results: ClaimResult[] = [];
  for (const role of planAllLoginRoles(ctx.spec)) {
    for (const database of SHARED_DATABASES) {
      results.push(expectRefused(`no tenant role can connect to the server's shared databases (${SHARED_DATABASES.join(", ")})`,
        `${role.name}: connect to ${database}`, await attempt(ctx.server, credentialsOf(ctx, role.name), database, ["SELECT 1"]), INSUFFICIENT_PRIVILEGE));
    }
  }
  return results;
};

/**
 * A value of each argument type the large-object functions take, chosen so that a call the
 * server allows does what the function is for: `0` as an oid makes lo_create pick a new one,
 * and 131072 (INV_WRITE) opens for writing.
 */
const ARGUMENT: Readonly<Record<string, string>> = {
  oid: "0::oid",
  integer: "131072",
  bigint: "0::bigint",
  bytea: "'\\x00'::bytea",
  text: "'/dev/null'::text",
};

interface Call {
  /** `lo_create(0::oid)`: what the result column shows. */
  readonly label: string;
  readonly sql: string;
}

/** One call per large-object function the server has, or why a function cannot be called. */
function largeObjectCalls(functions: readonly Record<string, unknown>[]): { calls: Call[]; uncallable: string[] } {
  const calls: Call[] = [];
  const uncallable: string[] = [];
  for (const f of functions) {
    const name = String(f["name"]);
    const types = Array.isArray(f["types"]) ? f["types"].map(String) : [];
    const args = types.map((type) => ARGUMENT[type]);
    if (args.every((arg): arg is string => arg !== undefined)) {
      calls.push({ label: `${name}(${args.join(", ")})`, sql: `SELECT pg_catalog.${quoteIdent(name)}(${args.join(", ")})` });
    } else {
      uncallable.push(`${name}(${types.join(", ")})`);
    }
  }
  return { calls, uncallable };
}

/**
 * The ledger never sees a large object (components/large-objects-sql.ts), so no tenant role
 * may call any large-object function: every one the server has is tried, each in a rolled-back
 * transaction, and each must be refused for lack of privilege (not for a bad argument).
 */
export const largeObjectsAreClosed: Claim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const admin = { user: ctx.server.user, password: ctx.server.password };
  const open = await attempt(ctx.server, admin, database, ["SELECT pg_catalog.has_function_privilege('public', 'pg_catalog.lo_create(oid)', 'EXECUTE') AS open"]);
  if (open.rows[0]?.["open"] === true) return largeObjectsAreDetected(ctx);
  const claim = "no tenant role can create, write, read or remove a large object in its org database (data the ledger never sees)";
  const family = await attempt(ctx.server, { user: ctx.server.user, password: ctx.server.password }, database, [LARGE_OBJECT_FUNCTIONS_QUERY]);
  const { calls, uncallable } = largeObjectCalls(family.rows);
  if (family.code !== undefined || calls.length === 0 || uncallable.length > 0) {
    const why = family.code !== undefined ? `query failed ${family.code}` : calls.length === 0 ? "no large-object function found" : `cannot call ${uncallable.join(", ")}`;
    return [{ claim, attempt: "admin: the large-object functions from pg_proc", result: why, status: "fail" }];
  }
  const results: ClaimResult[] = [];
  for (const role of planAllLoginRoles(ctx.spec)) {
    const outcomes = await attemptEach(ctx.server, credentialsOf(ctx, role.name), database, calls.map((call) => call.sql));
    const allowed = calls.flatMap((call, i) => {
      const code = outcomes[i]?.code;
      return code === INSUFFICIENT_PRIVILEGE ? [] : [`${call.label} -> ${code ?? "ALLOWED"}`];
    });
    results.push({
      claim,
      attempt: `${role.name}: each of the server's ${calls.length} large-object functions (lo_create, lo_from_bytea, lowrite, lo_put, lo_unlink, ...)`,
      result: allowed.length === 0 ? `${calls.length}/${calls.length} refused ${INSUFFICIENT_PRIVILEGE}` : `not refused: ${allowed.join("; ")}`,
      status: allowed.length === 0 ? "pass" : "fail",
    });
  }
  return results;
};

/**
 * On a managed server the large-object functions belong to the provider's own superuser, so
 * the deploy's login cannot take them from PUBLIC (components/large-objects-sql.ts): a tenant
 * role can make one. What holds there is detection: the large-objects migration's drift query,
 * which every apply reads, lists it, so the next deploy fails naming it. Each login role makes
 * one in a transaction and reads that query in it (its catalogs are readable by every role);
 * the transaction is rolled back, so nothing remains.
 */
export const largeObjectsAreDetected: Claim = async (ctx) => {
  const database = databaseName(ctx.spec.slug);
  const drift = largeObjectsDriftSql(ctx.spec.slug, orgRoleNames(ctx.spec));
  const results: ClaimResult[] = [];
  for (const role of planAllLoginRoles(ctx.spec)) {
    const outcome = await attempt(ctx.server, credentialsOf(ctx, role.name), database, [
      "SELECT pg_catalog.set_config('tenantry.proof_large_object', pg_catalog.lo_from_bytea(0, '\\x00'::bytea)::text, true)",
      `SELECT pg_catalog.current_setting('tenantry.proof_large_object') AS made, problem FROM (${drift}) AS listed (problem)`,
    ], { rollback: true });
    const made = outcome.rows[0]?.["made"];
    const listed = typeof made === "string" && outcome.rows.some((row) => typeof row["problem"] === "string" && row["problem"].includes(`large object ${made} is owned by ${role.name}`));
    results.push({
      claim: "a large object a tenant role makes is listed by the check every apply runs, failing the next deploy (a managed server keeps the functions open to PUBLIC)",
      attempt: `${role.name}: lo_from_bytea, then the large-objects drift query (rolled back)`,
      result: outcome.code !== undefined ? `refused ${outcome.code} (${outcome.message ?? ""})` : listed ? `large object ${String(made)} listed` : `not listed: ${JSON.stringify(outcome.rows)}`,
      status: listed ? "pass" : "fail",
    });
  }
  return results;
};
