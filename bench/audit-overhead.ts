import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { Client } from "pg";
import { localPaths } from "../local/paths";
import { resetLocal } from "../local/reset";
import { loadLocalStack, upLocal } from "../local/up";
import { AUDIT_TRIGGERS } from "../spec/platform-names";

/*
 * bench/audit-overhead: a 10,000-row UPDATE on an audited table (a workspace schema of org-globex,
 * covered by the ledger's event trigger) against the same UPDATE on an identical unaudited
 * table, in one session on one embedded server. Goal: audited <= 3x plain.
 *
 *   npm run bench:audit-overhead [-- rounds]
 */

const ROUNDS = Number(process.argv[2] ?? 5);
const ROWS = 10_000;
const PROJECT_DIR = join(__dirname, "..", "..");

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tenantry-bench-"));
  chmodSync(dir, 0o755);
  const paths = localPaths(dir);
  try {
    const stack = { ...loadLocalStack(PROJECT_DIR, "org-globex"), paths };
    const { superuser } = await upLocal(stack);
    const client = new Client({ ...superuser, database: "tn_globex" });
    client.on("error", () => undefined);
    await client.connect();
    const setup = (table: string) =>
      `CREATE TABLE ${table} (id int PRIMARY KEY, n int NOT NULL, note text); INSERT INTO ${table} SELECT g, 0, 'row ' || g FROM generate_series(1, ${ROWS}) g; VACUUM ANALYZE ${table}`;
    await client.query("CREATE SCHEMA bench_plain");
    for (const sql of setup("main_dev.audited").split("; ")) await client.query(sql);
    for (const sql of setup("bench_plain.plain").split("; ")) await client.query(sql);
    const covered = await client.query("SELECT count(*)::int AS n FROM pg_trigger WHERE tgrelid = 'main_dev.audited'::regclass AND tgname = ANY ($1)", [AUDIT_TRIGGERS]);
    if (covered.rows[0]?.n !== AUDIT_TRIGGERS.length) throw new Error("the audited table is not covered by the ledger");

    const time = async (table: string) => {
      const started = performance.now();
      await client.query(`UPDATE ${table} SET n = n + 1`);
      return performance.now() - started;
    };
    const plain: number[] = [];
    const audited: number[] = [];
    for (let i = 0; i < ROUNDS; i += 1) {
      plain.push(await time("bench_plain.plain"));
      audited.push(await time("main_dev.audited"));
    }
    const events = await client.query("SELECT count(*)::int AS n FROM audit.events WHERE table_name = 'audited' AND operation = 'UPDATE'");
    await client.end();
    const p = median(plain);
    const a = median(audited);
    console.log(`bench/audit-overhead: UPDATE of ${ROWS} rows, ${ROUNDS} rounds (median), one embedded server, one session`);
    console.log(`  without the audit trigger : ${p.toFixed(0)} ms`);
    console.log(`  with the audit trigger    : ${a.toFixed(0)} ms   (${String(events.rows[0]?.n)} events recorded in all)`);
    console.log(`  audited / plain           : ${(a / p).toFixed(2)}x   (goal <= 3x)`);
  } finally {
    await resetLocal(paths);
    rmSync(dirname(paths.root), { recursive: true, force: true });
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error);
  process.exit(1);
});
