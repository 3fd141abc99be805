import { isDeepStrictEqual } from "node:util";
import { planLoginRoles } from "../../components/database-plan";
import { databaseName } from "../../components/naming";
import { attempt } from "../attempt";
import { credentialsOf, expectRefused, SQLSTATE, type Claim, type ClaimResult, type ProofContext } from "./claim";
import { STATEMENT_TRIGGERS } from "../../components/audit-sql";
import { proofTable } from "./privilege-claims";

/*
 * The append-only audit ledger (DESIGN property 5), proven on the proof table that
 * defaultPrivilegesWork has the DDL role create after the apply. Attempts that write run in
 * rolled-back transactions, so the proof leaves no events of its own in the ledger.
 */

const { insufficientPrivilege: INSUFFICIENT_PRIVILEGE } = SQLSTATE;
const BULK_ROWS = 10_000;

function roles(ctx: ProofContext) {
  const env = ctx.spec.environments[0] ?? "";
  const [runtime, ddl] = planLoginRoles(ctx.spec, env);
  if (runtime === undefined || ddl === undefined) throw new Error("internal: two login roles per environment");
  return { env, runtime: credentialsOf(ctx, runtime.name), ddl: credentialsOf(ctx, ddl.name) };
}

const correlation = (ctx: ProofContext) => `proof-${ctx.nonce}`;
const asActor = (ctx: ProofContext) => [
  "SET LOCAL tenantry.actor = 'auditor@proof.invalid'",
  `SET LOCAL tenantry.correlation_id = '${correlation(ctx)}'`,
];

export const tablesAreCoveredWithoutAStep: Claim = async (ctx) => {
  const { env } = roles(ctx);
  const table = proofTable(ctx, env);
  const admin = { user: ctx.server.user, password: ctx.server.password };
  const outcome = await attempt(ctx.server, admin, databaseName(ctx.spec.slug), [
    `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = '${table.replace(/'/g, "''")}'::regclass AND tgname = ANY ('{${STATEMENT_TRIGGERS.join(",")}}') AND tgenabled = 'O'`,
  ]);
  const holds = outcome.code === undefined && outcome.rows[0]?.["n"] === STATEMENT_TRIGGERS.length;
  return [{
    claim: "a table the DDL role creates after the apply is audited, with no further step",
    attempt: `pg_trigger on ${table}`,
    result: holds ? `${STATEMENT_TRIGGERS.length} audit triggers enabled` : `audit triggers missing (${outcome.code ?? String(outcome.rows[0]?.["n"])})`,
    status: holds ? "pass" : "fail",
  }];
};

export const changesAreRecordedWithDiffs: Claim = async (ctx) => {
  const { env, runtime } = roles(ctx);
  const table = proofTable(ctx, env);
  const outcome = await attempt(ctx.server, runtime, databaseName(ctx.spec.slug), [
    ...asActor(ctx),
    `INSERT INTO ${table} (id, note) VALUES (-1, 'a')`,
    `UPDATE ${table} SET note = 'b' WHERE id = -1`,
    `DELETE FROM ${table} WHERE id = -1`,
    `SELECT operation, actor, correlation_id, primary_key, diff FROM audit.events WHERE correlation_id = '${correlation(ctx)}' ORDER BY id`,
  ], { rollback: true });
  const expected = [
    { operation: "INSERT", actor: "auditor@proof.invalid", correlation_id: correlation(ctx), primary_key: { id: -1 }, diff: { id: { before: null, after: -1 }, note: { before: null, after: "a" } } },
    { operation: "UPDATE", actor: "auditor@proof.invalid", correlation_id: correlation(ctx), primary_key: { id: -1 }, diff: { note: { before: "a", after: "b" } } },
    { operation: "DELETE", actor: "auditor@proof.invalid", correlation_id: correlation(ctx), primary_key: { id: -1 }, diff: { id: { before: -1, after: null }, note: { before: "b", after: null } } },
  ];
  // jsonb orders keys its own way: compare values, not text.
  const holds = outcome.code === undefined && isDeepStrictEqual(outcome.rows, expected);
  return [{
    claim: "INSERT, UPDATE and DELETE by a runtime role each leave one event: actor, correlation id, exact diff",
    attempt: `${runtime.user}: SET LOCAL tenantry.actor/correlation_id; INSERT, UPDATE, DELETE on ${table}`,
    result: outcome.code !== undefined ? `refused ${outcome.code} (${outcome.message ?? ""})` : holds ? "3 events, as expected" : `got ${JSON.stringify(outcome.rows)}`,
    status: holds ? "pass" : "fail",
  }];
};

export const bulkChangesAreAllRecorded: Claim = async (ctx) => {
  const { env, runtime } = roles(ctx);
  const table = proofTable(ctx, env);
  const outcome = await attempt(ctx.server, runtime, databaseName(ctx.spec.slug), [
    ...asActor(ctx),
    `INSERT INTO ${table} (id, note) SELECT -g, 'bulk' FROM generate_series(1, ${BULK_ROWS}) AS g`,
    `UPDATE ${table} SET note = 'bulk, updated' WHERE note = 'bulk'`,
    `SELECT count(*)::int AS n FROM audit.events WHERE correlation_id = '${correlation(ctx)}' AND operation = 'UPDATE'`,
  ], { rollback: true });
  const recorded = outcome.rows[0]?.["n"];
  return [{
    claim: `a bulk UPDATE of ${BULK_ROWS} rows is recorded row by row`,
    attempt: `${runtime.user}: UPDATE ${BULK_ROWS} rows of ${table}`,
    result: outcome.code !== undefined ? `refused ${outcome.code} (${outcome.message ?? ""})` : `${String(recorded)} UPDATE events`,
    status: recorded === BULK_ROWS ? "pass" : "fail",
  }];
};

export const applicationEventsCannotBeForged: Claim = async (ctx) => {
  const { runtime } = roles(ctx);
  const database = databaseName(ctx.spec.slug);
  const forged = "INSERT INTO audit.events (actor, schema_name, table_name, operation) VALUES ('ceo@acme.example', 'x', 'y', 'DELETE')";
  const honest = await attempt(ctx.server, runtime, database, [
    `INSERT INTO audit.events (correlation_id, schema_name, table_name) VALUES ('${correlation(ctx)}', 'app', 'checkout')`,
    `SELECT actor, operation FROM audit.events WHERE correlation_id = '${correlation(ctx)}'`,
  ], { rollback: true });
  const row = honest.rows[0];
  const inOwnName = honest.code === undefined && row?.["actor"] === runtime.user && row["operation"] === "APPLICATION";
  return [
    expectRefused("no tenant role can write an event's actor, operation or time", `${runtime.user}: ${forged}`,
      await attempt(ctx.server, runtime, database, [forged], { rollback: true }), INSUFFICIENT_PRIVILEGE),
    {
      claim: "an application event a tenant role inserts is recorded in that role's name",
      attempt: `${runtime.user}: INSERT INTO audit.events (correlation_id, schema_name, table_name)`,
      result: honest.code !== undefined ? `refused ${honest.code}` : `recorded as ${String(row?.["actor"])}, ${String(row?.["operation"])}`,
      status: inOwnName ? "pass" : "fail",
    },
  ];
};

export const ledgerIsAppendOnly: Claim = async (ctx) => {
  const { runtime, ddl } = roles(ctx);
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const who of [runtime, ddl]) {
    for (const sql of ["UPDATE audit.events SET actor = 'nobody'", "DELETE FROM audit.events", "TRUNCATE audit.events"]) {
      results.push(expectRefused("no tenant role can UPDATE, DELETE or TRUNCATE the ledger", `${who.user}: ${sql}`,
        await attempt(ctx.server, who, database, [sql], { rollback: true }), INSUFFICIENT_PRIVILEGE));
    }
  }
  for (const sql of ["DROP TABLE audit.events", "ALTER TABLE audit.events DISABLE TRIGGER USER", "DROP FUNCTION audit.record_change()", "DROP SCHEMA audit CASCADE"]) {
    results.push(expectRefused("no tenant role can drop or alter the ledger", `${ddl.user}: ${sql}`,
      await attempt(ctx.server, ddl, database, [sql], { rollback: true }), INSUFFICIENT_PRIVILEGE));
  }
  return results;
};

export const ownersCannotSwitchAuditingOff: Claim = async (ctx) => {
  const { env, ddl } = roles(ctx);
  const table = proofTable(ctx, env);
  const results: ClaimResult[] = [];
  for (const sql of [`ALTER TABLE ${table} DISABLE TRIGGER tenantry_audit_update`, `ALTER TABLE ${table} DISABLE TRIGGER USER`, `DROP TRIGGER tenantry_audit_delete ON ${table}`]) {
    results.push(expectRefused("the DDL role cannot disable or drop the audit trigger on its own table", `${ddl.user}: ${sql}`,
      await attempt(ctx.server, ddl, databaseName(ctx.spec.slug), [sql], { rollback: true }), INSUFFICIENT_PRIVILEGE));
  }
  return results;
};

/** PUBLIC appears in an ACL as an entry with an empty grantee: "=r/owner". */
export const publicHoldsNothingOnTheLedger: Claim = async (ctx) => {
  const admin = { user: ctx.server.user, password: ctx.server.password };
  const outcome = await attempt(ctx.server, admin, databaseName(ctx.spec.slug), [
    "SELECT coalesce(array_agg(item), '{}') AS entries FROM (" +
      "SELECT unnest(nspacl)::text AS item FROM pg_namespace WHERE nspname = 'audit' UNION ALL " +
      "SELECT unnest(relacl)::text FROM pg_class WHERE oid = 'audit.events'::regclass) AS acl WHERE item LIKE '=%'",
  ]);
  const entries = (outcome.rows[0]?.["entries"] ?? []) as string[];
  return [{
    claim: "PUBLIC holds no privilege on the audit schema or its events",
    attempt: "admin: ACL entries for PUBLIC on schema audit and audit.events",
    result: outcome.code !== undefined ? `query failed ${outcome.code}` : entries.length === 0 ? "none" : entries.join(", "),
    status: outcome.code === undefined && entries.length === 0 ? "pass" : "fail",
  }];
};
