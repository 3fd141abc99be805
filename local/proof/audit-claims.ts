import { isDeepStrictEqual } from "node:util";
import { planLoginRoles } from "../../components/database-plan";
import { databaseName } from "../../spec/naming";
import { attempt } from "../attempt";
import { credentialsOf, expectRefused, SQLSTATE, type Claim, type ClaimResult, type ProofContext } from "./claim";
import { AUDIT_TRIGGER, AUDIT_TRIGGERS } from "../../spec/platform-names";
import { firstSchema, proofTable, proofTableName } from "./privilege-claims";

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

/** The first environment's runtime and DDL logins, which the ledger's claims are made as. */
export const firstEnvironmentLogins = roles;

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
    // Enabled, and calling the ledger's own functions: a decoy of the same name does not count.
    `SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = '${table.replace(/'/g, "''")}'::regclass AND tgname = ANY ('{${AUDIT_TRIGGERS.join(",")}}') ` +
      "AND tgenabled = 'O' AND tgfoid IN ('audit.record_statement'::regproc, 'audit.refuse_truncate'::regproc)",
  ]);
  const holds = outcome.code === undefined && outcome.rows[0]?.["n"] === AUDIT_TRIGGERS.length;
  return [{
    claim: "a table the DDL role creates after the apply is audited, with no further step",
    attempt: `pg_trigger on ${table}`,
    result: holds ? `${AUDIT_TRIGGERS.length} audit triggers enabled` : `audit triggers missing (${outcome.code ?? String(outcome.rows[0]?.["n"])})`,
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
    `SELECT operation, actor, correlation_id, primary_key, before, after, diff FROM audit.events WHERE correlation_id = '${correlation(ctx)}' ORDER BY id`,
  ], { rollback: true });
  // The proof table's other columns (amount) are null in these rows.
  const event = { actor: "auditor@proof.invalid", correlation_id: correlation(ctx), primary_key: { id: -1 } };
  const expected = [
    { operation: "INSERT", ...event, before: null, after: { id: -1, note: "a", amount: null }, diff: null },
    { operation: "UPDATE", ...event, before: null, after: null, diff: { note: { before: "a", after: "b" } } },
    { operation: "DELETE", ...event, before: { id: -1, note: "b", amount: null }, after: null, diff: null },
  ];
  // jsonb orders keys its own way: compare values, not text.
  const holds = outcome.code === undefined && isDeepStrictEqual(outcome.rows, expected);
  return [{
    claim: "INSERT, UPDATE and DELETE by a runtime role each leave one event: actor, correlation id, the new row, the changed columns only, the old row",
    attempt: `${runtime.user}: SET LOCAL tenantry.actor/correlation_id; INSERT, UPDATE, DELETE on ${table}`,
    result: outcome.code !== undefined ? `refused ${outcome.code} (${outcome.message ?? ""})` : holds ? "3 events, as expected" : `got ${JSON.stringify(outcome.rows)}`,
    status: holds ? "pass" : "fail",
  }];
};

export const keyChangesAreRecorded: Claim = async (ctx) => {
  const { env, runtime } = roles(ctx);
  const table = proofTable(ctx, env);
  const outcome = await attempt(ctx.server, runtime, databaseName(ctx.spec.slug), [
    ...asActor(ctx),
    `INSERT INTO ${table} (id, note) VALUES (-2, 'k')`,
    `UPDATE ${table} SET id = -3 WHERE id = -2`,
    `SELECT before ->> 'id' AS old_id, after ->> 'id' AS new_id FROM audit.events WHERE correlation_id = '${correlation(ctx)}' AND operation = 'UPDATE' ORDER BY id`,
  ], { rollback: true });
  const seen = outcome.rows.map((r) => `${String(r["old_id"])}->${String(r["new_id"])}`).sort();
  const holds = outcome.code === undefined && isDeepStrictEqual(seen, ["-2->null", "null->-3"]);
  return [{
    claim: "an UPDATE that changes a primary key still leaves its old and new row on record",
    attempt: `${runtime.user}: UPDATE ${table} SET id = -3 WHERE id = -2`,
    result: outcome.code !== undefined ? `refused ${outcome.code} (${outcome.message ?? ""})` : `events: ${seen.join(", ") || "none"}`,
    status: holds ? "pass" : "fail",
  }];
};

/** Values are compared through text: a session must not be able to blur them into "unchanged". */
export const lowPrecisionSessionsAreRecorded: Claim = async (ctx) => {
  const { env, runtime } = roles(ctx);
  const table = proofTable(ctx, env);
  const outcome = await attempt(ctx.server, runtime, databaseName(ctx.spec.slug), [
    ...asActor(ctx),
    `INSERT INTO ${table} (id, amount) VALUES (-4, 1.5)`,
    "SET LOCAL extra_float_digits = -15",
    `UPDATE ${table} SET amount = 1.6 WHERE id = -4`,
    `SELECT count(*)::int AS n FROM audit.events WHERE correlation_id = '${correlation(ctx)}' AND operation = 'UPDATE'`,
  ], { rollback: true });
  const recorded = outcome.rows[0]?.["n"];
  return [{
    claim: "a session that lowers extra_float_digits still leaves its updates on record",
    attempt: `${runtime.user}: SET LOCAL extra_float_digits = -15; UPDATE ${table}`,
    result: outcome.code !== undefined ? `refused ${outcome.code}` : `${String(recorded)} UPDATE event(s)`,
    status: recorded === 1 ? "pass" : "fail",
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
  const { env, runtime } = roles(ctx);
  const database = databaseName(ctx.spec.slug);
  const forged = "INSERT INTO audit.events (actor, schema_name, table_name, operation) VALUES ('ceo@acme.example', 'x', 'y', 'DELETE')";
  // An application event names a table of its writer's own environment (see ledger-segregation-claims.ts).
  const honest = await attempt(ctx.server, runtime, database, [
    `INSERT INTO audit.events (correlation_id, schema_name, table_name) VALUES ('${correlation(ctx)}', '${firstSchema(ctx, env)}', '${proofTableName(ctx)}')`,
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
  const schema = table.split(".")[0] ?? "";
  const decoy = `CREATE FUNCTION ${schema}.noop_${ctx.nonce}() RETURNS trigger LANGUAGE plpgsql AS $$BEGIN RETURN NULL; END$$`;
  for (const sql of [
    `ALTER TABLE ${table} DISABLE TRIGGER ${AUDIT_TRIGGER.update}`,
    `ALTER TABLE ${table} DISABLE TRIGGER USER`,
    `DROP TRIGGER ${AUDIT_TRIGGER.delete} ON ${table}`,
    `ALTER TRIGGER ${AUDIT_TRIGGER.delete} ON ${table} RENAME TO renamed_${ctx.nonce}`,
    `${decoy}; CREATE OR REPLACE TRIGGER ${AUDIT_TRIGGER.update} AFTER UPDATE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${schema}.noop_${ctx.nonce}()`,
    `CREATE TYPE ${schema}.t_${ctx.nonce} AS ENUM ('a'); CREATE FUNCTION ${schema}.j_${ctx.nonce}(${schema}.t_${ctx.nonce}) RETURNS json LANGUAGE sql AS $$SELECT '1'::json$$; ` +
      `CREATE CAST (${schema}.t_${ctx.nonce} AS json) WITH FUNCTION ${schema}.j_${ctx.nonce}(${schema}.t_${ctx.nonce})`,
    `TRUNCATE ${table}`,
    `ALTER TABLE ${table} RENAME TO "x on y_${ctx.nonce}"; DROP TRIGGER ${AUDIT_TRIGGER.insert} ON ${schema}."x on y_${ctx.nonce}"`,
  ]) {
    results.push(expectRefused("the DDL role cannot switch auditing off on its own table (disable, drop, rename, replace, cast, truncate)", `${ddl.user}: ${sql}`,
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
