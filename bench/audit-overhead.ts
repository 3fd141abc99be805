import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Client } from "pg";
import { planLoginRoles } from "../components/database-plan";
import { localPaths } from "../local/paths";
import { resetLocal } from "../local/reset";
import { loadLocalStack, upLocal } from "../local/up";
import { AUDIT_TRIGGERS } from "../spec/platform-names";
import { median } from "./median";

/*
 * bench/audit-overhead: INSERT, UPDATE and DELETE of 10,000 rows on three identical tables in one
 * session on one embedded server (org-globex applied):
 * - plain:    no trigger;
 * - audited:  a workspace table the DDL role created, covered by the ledger (the platform's
 *             statement triggers and field-level diffs);
 * - anchor:   a whole-row ledger written by a plpgsql row trigger, the common open-source pattern
 *             (to_jsonb(OLD) and to_jsonb(NEW) per changed row, as supa_audit and the wiki's
 *             audit trigger do), written here.
 * - floor:    what any ledger of one event per changed row pays before it records a value: a
 *             statement trigger (as the platform's) inserting, per row, an event holding only
 *             the key into a copy of audit.events (LIKE ... INCLUDING ALL: its identity, defaults,
 *             checks and BRIN index). audited - floor is the cost of format 2's values and
 *             comparisons; floor / plain is the part no diff format can cut (issue 19's note).
 * Each round runs every operation on every table, the tables in a rotating order; the figures are
 * medians. Beside wall time it reads the server backend's CPU time from /proc (Linux), which a
 * shared machine's load disturbs less. Goal (issue 19): audited / plain UPDATE <= 2.5x.
 *
 *   npm run bench:audit-overhead [-- rounds]
 */

const ROUNDS = Number(process.argv[2] ?? 7);
const ROWS = 10_000;
const GOAL = 2.5;
const PROJECT_DIR = join(__dirname, "..", "..");
const OPERATIONS = ["INSERT", "UPDATE", "DELETE"] as const;
type Operation = (typeof OPERATIONS)[number];
const TABLES = { plain: "bench_plain.rows", audited: "main_dev.bench_rows", anchor: "bench_anchor.rows", floor: "bench_floor.rows" } as const;
type Kind = keyof typeof TABLES;

const COLUMNS = "(id int PRIMARY KEY, n int NOT NULL, note text)";
const STATEMENT: Record<Operation, (table: string) => string> = {
  INSERT: (table) => `INSERT INTO ${table} SELECT g, 0, 'row ' || g FROM generate_series(1, ${ROWS}) AS g`,
  UPDATE: (table) => `UPDATE ${table} SET n = n + 1`,
  DELETE: (table) => `DELETE FROM ${table}`,
};

/** The anchor: one event per row with the whole old and new row, from a plpgsql row trigger. */
const ANCHOR_LEDGER = `
CREATE SCHEMA bench_anchor;
CREATE TABLE bench_anchor.log (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, occurred_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  actor text NOT NULL DEFAULT session_user, table_name text NOT NULL, operation text NOT NULL, old_row jsonb, new_row jsonb);
CREATE FUNCTION bench_anchor.record() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO bench_anchor.log (table_name, operation, old_row, new_row)
  VALUES (TG_TABLE_NAME, TG_OP, CASE WHEN TG_OP <> 'INSERT' THEN to_jsonb(OLD) END, CASE WHEN TG_OP <> 'DELETE' THEN to_jsonb(NEW) END);
  RETURN NULL;
END
$fn$;
CREATE TABLE ${TABLES.anchor} ${COLUMNS};
CREATE TRIGGER audited AFTER INSERT OR UPDATE OR DELETE ON ${TABLES.anchor} FOR EACH ROW EXECUTE FUNCTION bench_anchor.record();`;

/** The floor: a bare event (the key, no values) per row, written set-based into a copy of the ledger's table. */
const FLOOR_LEDGER = `
CREATE SCHEMA bench_floor;
CREATE TABLE bench_floor.events (LIKE audit.events INCLUDING ALL);
CREATE FUNCTION bench_floor.record() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO bench_floor.events (actor, schema_name, table_name, operation, primary_key)
    SELECT session_user, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, jsonb_build_object('id', n.id) FROM new_rows AS n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO bench_floor.events (actor, schema_name, table_name, operation, primary_key)
    SELECT session_user, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, jsonb_build_object('id', o.id) FROM old_rows AS o;
  ELSE
    INSERT INTO bench_floor.events (actor, schema_name, table_name, operation, primary_key)
    SELECT session_user, TG_TABLE_SCHEMA, TG_TABLE_NAME, TG_OP, jsonb_build_object('id', o.id) FROM old_rows AS o JOIN new_rows AS n ON o.id = n.id;
  END IF;
  RETURN NULL;
END
$fn$;
CREATE TABLE ${TABLES.floor} ${COLUMNS};
CREATE TRIGGER floor_insert AFTER INSERT ON ${TABLES.floor} REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_floor.record();
CREATE TRIGGER floor_update AFTER UPDATE ON ${TABLES.floor} REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_floor.record();
CREATE TRIGGER floor_delete AFTER DELETE ON ${TABLES.floor} REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION bench_floor.record();`;

/** The backend's CPU time so far in ms (utime + stime, in clock ticks of 10 ms), or undefined where /proc cannot be read. */
function backendCpuMs(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

interface Sample { wall: number[]; cpu: number }

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tenantry-bench-"));
  chmodSync(dir, 0o755);
  const paths = localPaths(dir);
  const loadBefore = loadavg()[0] ?? 0;
  try {
    const stack = { ...loadLocalStack(PROJECT_DIR, "org-globex"), paths };
    const { superuser } = await upLocal(stack);
    const ddlRole = planLoginRoles(stack.tenant.spec, "dev").find((role) => role.kind === "ddl")?.name;
    if (ddlRole === undefined) throw new Error("org-globex has no dev DDL role");
    const client = new Client({ ...superuser, database: "tn_globex" });
    client.on("error", () => undefined);
    await client.connect();
    await client.query(`CREATE SCHEMA bench_plain; CREATE TABLE ${TABLES.plain} ${COLUMNS}`);
    // Made by the environment's DDL role, as a tenant's migration would: the guard covers it.
    await client.query(`SET ROLE ${ddlRole}; CREATE TABLE ${TABLES.audited} ${COLUMNS}; RESET ROLE`);
    await client.query(ANCHOR_LEDGER);
    await client.query(FLOOR_LEDGER);
    const covered = await client.query("SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = $1::regclass AND tgname = ANY ($2)", [TABLES.audited, AUDIT_TRIGGERS]);
    if (covered.rows[0]?.n !== AUDIT_TRIGGERS.length) throw new Error("the audited table is not covered by the ledger");
    const pid = Number((await client.query("SELECT pg_backend_pid() AS pid")).rows[0].pid);

    const samples = new Map<string, Sample>();
    const kinds = Object.keys(TABLES) as Kind[];
    for (let round = 0; round < ROUNDS; round += 1) {
      const order = kinds.map((_, i) => kinds[(i + round) % kinds.length] as Kind);
      for (const operation of OPERATIONS) {
        for (const kind of order) {
          const sample = samples.get(`${kind} ${operation}`) ?? { wall: [], cpu: 0 };
          const cpuBefore = backendCpuMs(pid);
          const started = performance.now();
          await client.query(STATEMENT[operation](TABLES[kind]));
          sample.wall.push(performance.now() - started);
          sample.cpu += (backendCpuMs(pid) ?? 0) - (cpuBefore ?? 0);
          samples.set(`${kind} ${operation}`, sample);
        }
      }
      // Not timed: the deleted rows are vacuumed away so every round starts from the same tables.
      await client.query(`VACUUM ${Object.values(TABLES).join(", ")}`);
    }
    const events = await client.query("SELECT operation, count(*)::int AS n, count(*) FILTER (WHERE operation = 'UPDATE' AND (before IS NOT NULL OR after IS NOT NULL))::int AS images FROM audit.events WHERE table_name = 'bench_rows' GROUP BY 1 ORDER BY 1");
    await client.end();
    const cpuReadable = backendCpuMs(process.pid) !== undefined;

    const row = (label: string, cells: readonly string[]) => console.log(`  ${label.padEnd(34)}${cells.map((c) => c.padStart(10)).join("")}`);
    console.log(`bench/audit-overhead: ${ROWS} rows per statement, ${ROUNDS} rounds (median), one embedded server, one session`);
    console.log(`  load average (1 min) on ${String(cpus().length)} CPUs: ${loadBefore.toFixed(2)} before, ${(loadavg()[0] ?? 0).toFixed(2)} after`);
    row("", OPERATIONS);
    for (const kind of kinds) row(`${kind} (ms, wall)`, OPERATIONS.map((op) => median(samples.get(`${kind} ${op}`)?.wall ?? []).toFixed(0)));
    const ratio = (kind: Kind, op: Operation) => median(samples.get(`${kind} ${op}`)?.wall ?? []) / median(samples.get(`plain ${op}`)?.wall ?? []);
    const cpuRatio = (kind: Kind, op: Operation) => (samples.get(`${kind} ${op}`)?.cpu ?? 0) / (samples.get(`plain ${op}`)?.cpu ?? 0);
    row("audited / plain", OPERATIONS.map((op) => `${ratio("audited", op).toFixed(2)}x`));
    row("anchor / plain", OPERATIONS.map((op) => `${ratio("anchor", op).toFixed(2)}x`));
    row("audited / anchor", OPERATIONS.map((op) => `${(ratio("audited", op) / ratio("anchor", op)).toFixed(2)}x`));
    row("floor / plain", OPERATIONS.map((op) => `${ratio("floor", op).toFixed(2)}x`));
    if (cpuReadable) {
      row("audited / plain (server CPU)", OPERATIONS.map((op) => `${cpuRatio("audited", op).toFixed(2)}x`));
      row("anchor / plain (server CPU)", OPERATIONS.map((op) => `${cpuRatio("anchor", op).toFixed(2)}x`));
      row("floor / plain (server CPU)", OPERATIONS.map((op) => `${cpuRatio("floor", op).toFixed(2)}x`));
    }
    console.log(`  events recorded: ${events.rows.map((r) => `${String(r.n)} ${String(r.operation)}`).join(", ")}; UPDATE events with whole images: ${String(events.rows.find((r) => r.operation === "UPDATE")?.images ?? 0)}`);
    const update = ratio("audited", "UPDATE");
    console.log(`  goal: audited / plain UPDATE <= ${GOAL}x: ${update <= GOAL ? "met" : "missed"} (${update.toFixed(2)}x)`);
  } finally {
    await resetLocal(paths);
    rmSync(dirname(paths.root), { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
