import { planLoginRoles } from "../../components/database-plan";
import { databaseName, quoteIdent } from "../../spec/naming";
import { AUDIT_TRIGGER, PLATFORM_SCHEMAS, PROOF_OBJECT_PREFIX } from "../../spec/platform-names";
import { attempt, attemptEach } from "../attempt";
import { firstEnvironmentLogins } from "./audit-claims";
import { credentialsOf, SQLSTATE, type Claim, type ClaimResult, type ProofContext } from "./claim";
import { firstSchema, proofTable } from "./privilege-claims";

/*
 * Trigger integrity (issue 13, finding 1): a covered table's audit triggers are exactly what the
 * ledger defines, and no tenant role can attach a ledger function in any other shape. Tried as
 * the DDL role that owns the table, on a table of the proof's own. Each attempt commits if the
 * server allows it, so the last claim sees what a successful attempt would have left: a table
 * whose changes are no longer recorded.
 */

const { insufficientPrivilege: INSUFFICIENT_PRIVILEGE } = SQLSTATE;
const LEDGER = PLATFORM_SCHEMAS.ledger;
const GUARD = PLATFORM_SCHEMAS.guard;
const KEY = "id";

const shapesTable = (ctx: ProofContext) => `${PROOF_OBJECT_PREFIX}${ctx.nonce}_shapes`;

interface Reshape {
  /** What differs from the ledger's definition. */
  readonly differs: string;
  /** Everything after `CREATE OR REPLACE TRIGGER <name>`, with `%T` for the table. */
  readonly definition: string;
}

const STATEMENT_TABLES = { insert: "NEW TABLE AS new_rows", update: "OLD TABLE AS old_rows NEW TABLE AS new_rows", delete: "OLD TABLE AS old_rows" } as const;
const OTHER_EVENT = { insert: "delete", update: "insert", delete: "insert" } as const;
const recordStatement = (args = `'${KEY}'`) => `${LEDGER}.record_statement(${args})`;

/** Another shape for each row-changing audit trigger: one thing changed at a time. */
function reshapesOf(operation: "insert" | "update" | "delete"): Reshape[] {
  const op = operation.toUpperCase();
  const other = OTHER_EVENT[operation];
  const tables = STATEMENT_TABLES[operation];
  return [
    { differs: "timing", definition: `BEFORE ${op} ON %T FOR EACH STATEMENT EXECUTE FUNCTION ${recordStatement()}` },
    { differs: "event", definition: `AFTER ${other.toUpperCase()} ON %T REFERENCING ${STATEMENT_TABLES[other]} FOR EACH STATEMENT EXECUTE FUNCTION ${recordStatement()}` },
    { differs: "events", definition: `AFTER ${op} OR ${other.toUpperCase()} ON %T FOR EACH ROW EXECUTE FUNCTION ${LEDGER}.record_change()` },
    { differs: "level and function", definition: `AFTER ${op} ON %T FOR EACH ROW EXECUTE FUNCTION ${LEDGER}.record_change()` },
    { differs: "function", definition: `AFTER ${op} ON %T FOR EACH STATEMENT EXECUTE FUNCTION ${LEDGER}.refuse_truncate()` },
    { differs: "WHEN clause", definition: `AFTER ${op} ON %T REFERENCING ${tables} FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION ${recordStatement()}` },
    { differs: "arguments", definition: `AFTER ${op} ON %T REFERENCING ${tables} FOR EACH STATEMENT EXECUTE FUNCTION ${recordStatement("'note'")}` },
    { differs: "transition table", definition: `AFTER ${op} ON %T REFERENCING ${tables.replace(/ AS (\w+)/g, " AS $1_elsewhere")} FOR EACH STATEMENT EXECUTE FUNCTION ${recordStatement()}` },
  ];
}

const TRUNCATE_RESHAPES: readonly Reshape[] = [
  { differs: "timing", definition: `AFTER TRUNCATE ON %T FOR EACH STATEMENT EXECUTE FUNCTION ${LEDGER}.refuse_truncate()` },
  { differs: "event", definition: `BEFORE INSERT ON %T FOR EACH STATEMENT EXECUTE FUNCTION ${LEDGER}.refuse_truncate()` },
  { differs: "function", definition: `BEFORE TRUNCATE ON %T FOR EACH STATEMENT EXECUTE FUNCTION ${recordStatement()}` },
  { differs: "WHEN clause", definition: `BEFORE TRUNCATE ON %T FOR EACH STATEMENT WHEN (false) EXECUTE FUNCTION ${LEDGER}.refuse_truncate()` },
  { differs: "arguments", definition: `BEFORE TRUNCATE ON %T FOR EACH STATEMENT EXECUTE FUNCTION ${LEDGER}.refuse_truncate('x')` },
];

const replaceTrigger = (trigger: string, table: string, definition: string) =>
  `CREATE OR REPLACE TRIGGER ${trigger} ${definition.replace("%T", table)}`;

/** Creates the proof's own table as the DDL role (committed, so listed first) and runs `attacks` against it. */
async function onOwnTable(ctx: ProofContext, attacks: (table: string) => Promise<ClaimResult[]>): Promise<ClaimResult[]> {
  const { env, ddl } = firstEnvironmentLogins(ctx);
  const schema = firstSchema(ctx, env);
  const database = databaseName(ctx.spec.slug);
  const table = `${quoteIdent(schema)}.${quoteIdent(shapesTable(ctx))}`;
  ctx.willCreate({ kind: "table", database, schema, table: shapesTable(ctx) });
  const created = await attempt(ctx.server, ddl, database, [`CREATE TABLE ${table} (${KEY} int PRIMARY KEY, note text)`]);
  if (created.code !== undefined) {
    return [{ claim: "the DDL role can create the table the trigger-integrity claims are tried on", attempt: `${ddl.user}: CREATE TABLE ${table}`, result: `refused ${created.code}`, status: "fail" }];
  }
  return attacks(table);
}

/** Each statement in its own committed transaction: what the server allows stays. */
async function attemptCommitted(ctx: ProofContext, who: { user: string; password: string }, statements: readonly string[]) {
  const database = databaseName(ctx.spec.slug);
  const outcomes = [];
  for (const sql of statements) outcomes.push(await attempt(ctx.server, who, database, [sql]));
  return outcomes;
}

export const auditTriggersKeepTheirShape: Claim = async (ctx) => onOwnTable(ctx, async (table) => {
  const { runtime, ddl } = firstEnvironmentLogins(ctx);
  const results: ClaimResult[] = [];

  // The issue's attack: every row-changing trigger replaced by a TRUNCATE trigger under its own name.
  const issue = (["insert", "update", "delete"] as const).map((op) =>
    replaceTrigger(AUDIT_TRIGGER[op], table, `BEFORE TRUNCATE ON %T FOR EACH STATEMENT EXECUTE FUNCTION ${LEDGER}.refuse_truncate()`));
  const issueOutcomes = await attemptCommitted(ctx, ddl, issue);
  const allowed = issue.filter((_, i) => issueOutcomes[i]?.code !== INSUFFICIENT_PRIVILEGE);
  results.push({
    claim: "the DDL role cannot silence the ledger by renaming a TRUNCATE trigger onto each audit trigger (issue 13, finding 1)",
    attempt: `${ddl.user}: ${issue[0] ?? ""} (and the same for ${AUDIT_TRIGGER.update}, ${AUDIT_TRIGGER.delete})`,
    result: allowed.length === 0 ? `3/3 refused ${INSUFFICIENT_PRIVILEGE}` : `not refused: ${allowed.length}/3`,
    status: allowed.length === 0 ? "pass" : "fail",
  });

  const triggers = [
    ...(["insert", "update", "delete"] as const).map((op) => ({ trigger: AUDIT_TRIGGER[op], reshapes: reshapesOf(op) })),
    { trigger: AUDIT_TRIGGER.truncate, reshapes: TRUNCATE_RESHAPES },
  ];
  for (const { trigger, reshapes } of triggers) {
    const outcomes = await attemptCommitted(ctx, ddl, reshapes.map((r) => replaceTrigger(trigger, table, r.definition)));
    const notRefused = reshapes.flatMap((r, i) => (outcomes[i]?.code === INSUFFICIENT_PRIVILEGE ? [] : [`${r.differs} -> ${outcomes[i]?.code ?? "ALLOWED"}`]));
    results.push({
      claim: "the DDL role cannot replace an audit trigger with another timing, event, level, function, arguments, transition table or WHEN clause",
      attempt: `${ddl.user}: CREATE OR REPLACE TRIGGER ${trigger} with ${reshapes.map((r) => r.differs).join(", ")}`,
      result: notRefused.length === 0 ? `${reshapes.length}/${reshapes.length} refused ${INSUFFICIENT_PRIVILEGE}` : `not refused: ${notRefused.join("; ")}`,
      status: notRefused.length === 0 ? "pass" : "fail",
    });
  }

  // What the attempts leave: every change still recorded, TRUNCATE still refused.
  const correlation = `proof-shapes-${ctx.nonce}`;
  const written = await attempt(ctx.server, runtime, databaseName(ctx.spec.slug), [
    `SET LOCAL tenantry.correlation_id = '${correlation}'`,
    `INSERT INTO ${table} (${KEY}, note) VALUES (1, 'a')`,
    `UPDATE ${table} SET note = 'b'`,
    `DELETE FROM ${table}`,
    `SELECT string_agg(operation, ',' ORDER BY id) AS operations FROM ${LEDGER}.events WHERE correlation_id = '${correlation}'`,
  ], { rollback: true });
  const truncated = await attempt(ctx.server, ddl, databaseName(ctx.spec.slug), [`TRUNCATE ${table}`], { rollback: true });
  const operations = written.rows[0]?.["operations"];
  const holds = written.code === undefined && operations === "INSERT,UPDATE,DELETE" && truncated.code === INSUFFICIENT_PRIVILEGE;
  results.push({
    claim: "after every attempt, INSERT, UPDATE and DELETE on that table are still recorded and TRUNCATE is still refused",
    attempt: `${runtime.user}: INSERT, UPDATE, DELETE on ${table}; ${ddl.user}: TRUNCATE ${table}`,
    result: written.code !== undefined ? `write refused ${written.code}` : `events: ${String(operations ?? "none")}; TRUNCATE ${truncated.code === undefined ? "ALLOWED" : `refused ${truncated.code}`}`,
    status: holds ? "pass" : "fail",
  });
  return results;
});

interface PlatformFunction {
  readonly qualified: string;
  readonly returns: string;
  readonly argTypes: readonly string[];
}

/** Every function of the ledger and its guard schema, extension members (hstore) apart. */
async function platformFunctions(ctx: ProofContext): Promise<PlatformFunction[]> {
  const admin = { user: ctx.server.user, password: ctx.server.password };
  const found = await attempt(ctx.server, admin, databaseName(ctx.spec.slug), [
    "SELECT format('%I.%I', n.nspname, p.proname) AS qualified, p.prorettype::regtype::text AS returns, " +
      "ARRAY(SELECT format_type(t, NULL) FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY AS a (t, i) ORDER BY i) AS arg_types " +
      `FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname IN ('${LEDGER}', '${GUARD}') ` +
      "AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e') ORDER BY 1, 3",
  ]);
  if (found.code !== undefined) throw new Error(`cannot list the ledger's functions: ${found.code} ${found.message ?? ""}`);
  return found.rows.map((row) => ({ qualified: String(row["qualified"]), returns: String(row["returns"]), argTypes: row["arg_types"] as string[] }));
}

/** The way a role would use the function: attach a trigger function, call any other. */
function use(fn: PlatformFunction, table: string, nonce: string): string {
  if (fn.returns === "trigger") return `CREATE TRIGGER ${PROOF_OBJECT_PREFIX}${nonce}_attached AFTER INSERT ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION ${fn.qualified}()`;
  if (fn.returns === "event_trigger") return `CREATE EVENT TRIGGER ${PROOF_OBJECT_PREFIX}${nonce}_attached ON ddl_command_end EXECUTE FUNCTION ${fn.qualified}()`;
  return `SELECT ${fn.qualified}(${fn.argTypes.map((type) => `NULL::${type}`).join(", ")})`;
}

export const ledgerFunctionsOutOfTenantReach: Claim = async (ctx) => {
  const functions = await platformFunctions(ctx);
  const database = databaseName(ctx.spec.slug);
  const results: ClaimResult[] = [];
  for (const env of ctx.spec.environments) {
    const table = proofTable(ctx, env);
    for (const role of planLoginRoles(ctx.spec, env)) {
      const who = credentialsOf(ctx, role.name);
      const tried = functions.map((fn) => use(fn, table, ctx.nonce));
      const outcomes = await attemptEach(ctx.server, who, database, tried);
      const notRefused = functions.flatMap((fn, i) => (outcomes[i]?.code === INSUFFICIENT_PRIVILEGE ? [] : [`${fn.qualified} -> ${outcomes[i]?.code ?? "ALLOWED"}`]));
      results.push({
        claim: "no tenant role can call a function of the ledger or its guard, or attach one as a trigger",
        attempt: `${who.user}: ${functions.length} functions of ${LEDGER} and ${GUARD} (call, or CREATE TRIGGER / EVENT TRIGGER with it)`,
        result: notRefused.length === 0 ? `${functions.length}/${functions.length} refused ${INSUFFICIENT_PRIVILEGE}` : `not refused: ${notRefused.join("; ")}`,
        status: notRefused.length === 0 ? "pass" : "fail",
      });
    }
  }
  return results;
};
