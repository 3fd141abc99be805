import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Client } from "pg";
import { resetLocal } from "../local/reset";
import { ensureProviderAdmin } from "../local/provider-admin";
import { ensureServer } from "../local/server";
import { loadLocalStack, providerDatabase, upLocal } from "../local/up";
import { databaseName } from "../spec/naming";
import { orgWithWorkspaces } from "./generated-orgs";
import { median } from "./median";

/*
 * bench/org-growth: how check and the local apply grow with an org's size (issue 19, item 4).
 * A cold `tenantry check` of orgs of 2, 20 and 200 workspaces x 3 environments (the example org
 * with more workspaces), then `up --local` of each to an empty embedded server in a scratch
 * project, with the org database's catalog afterwards. Goal: a 200x3 org's check <= 5x a 2x3
 * org's, and nothing growing faster than the org (time per resource flat across sizes).
 *
 *   npm run bench:org-growth [-- rounds [sizes]]     e.g. -- 3 2,20,200
 */

const ROUNDS = Number(process.argv[2] ?? 3);
const SIZES = (process.argv[3] ?? "2,20,200").split(",").map(Number);
const PROJECT_DIR = join(__dirname, "..", "..");
const CLI = join(PROJECT_DIR, "dist", "cli", "main.js");
const CHECK_GOAL = 5;

/** A scratch project holding one org stack: org-acme with `workspaces` workspaces. */
function scratchProject(workspaces: number): string {
  const dir = mkdtempSync(join(tmpdir(), "tenantry-bench-growth-"));
  // The embedded server runs as another OS user, which must reach its data directory below.
  chmodSync(dir, 0o755);
  mkdirSync(join(dir, "stacks"));
  writeFileSync(join(dir, "stacks", "Pulumi.org-acme.yaml"), orgWithWorkspaces(workspaces));
  return dir;
}

function coldCheck(stackFile: string): { ms: number; resources: number } {
  const started = performance.now();
  const run = spawnSync(process.execPath, [CLI, "check", stackFile, "--json"], { cwd: PROJECT_DIR, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  const ms = performance.now() - started;
  if (run.status !== 0) throw new Error(`check exited ${run.status}: ${run.stderr.slice(0, 2000)}${run.stdout.slice(0, 2000)}`);
  return { ms, resources: (JSON.parse(run.stdout) as { resources: number }).resources };
}

interface Catalog { readonly schemas: number; readonly relations: number; readonly aclEntries: number; readonly databaseMb: number }

async function applyLocally(project: string): Promise<{ ms: number; changes: number; catalog: Catalog }> {
  const stack = loadLocalStack(project, "org-acme");
  try {
    // The server started and the provider login made outside the timed section, as bench/local-apply does.
    const { server } = await ensureServer(stack.paths);
    await ensureProviderAdmin(stack.paths, server, stack.tenant.provider.adminRole, providerDatabase(stack.stackFile));
    const started = performance.now();
    const result = await upLocal(stack);
    const ms = performance.now() - started;
    const client = new Client({ ...result.superuser, database: databaseName("acme") });
    await client.connect();
    try {
      const row = (await client.query<{ schemas: string; relations: string; acl: string; bytes: string }>(`
        SELECT (SELECT count(*) FROM pg_namespace) AS schemas,
               (SELECT count(*) FROM pg_class) AS relations,
               (SELECT coalesce(sum(cardinality(nspacl)), 0) FROM pg_namespace) + (SELECT count(*) FROM pg_default_acl) AS acl,
               pg_database_size(current_database()) AS bytes`)).rows[0];
      if (row === undefined) throw new Error("no catalog row");
      return { ms, changes: result.changes.length, catalog: { schemas: Number(row.schemas), relations: Number(row.relations), aclEntries: Number(row.acl), databaseMb: Number(row.bytes) / 1024 / 1024 } };
    } finally {
      await client.end();
    }
  } finally {
    await resetLocal(stack.paths);
  }
}

async function main(): Promise<void> {
  console.log(`bench/org-growth: orgs of ${SIZES.join(", ")} workspaces x 3 environments; cold check median of ${ROUNDS}, one local apply each`);
  const rows: { size: number; resources: number; check: number; apply: number; changes: number; catalog: Catalog }[] = [];
  for (const size of SIZES) {
    const project = scratchProject(size);
    try {
      const checks = Array.from({ length: ROUNDS }, () => coldCheck(join(project, "stacks", "Pulumi.org-acme.yaml")));
      const applied = await applyLocally(project);
      rows.push({ size, resources: checks[0]?.resources ?? 0, check: median(checks.map((c) => c.ms)), apply: applied.ms, changes: applied.changes, catalog: applied.catalog });
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  }
  console.log("  org      resources  cold check        local apply (empty server)     catalog of the org database");
  for (const r of rows) {
    console.log(`  ${`${r.size}x3`.padEnd(8)} ${String(r.resources).padStart(9)}  ${`${r.check.toFixed(0)} ms`.padStart(8)} ${`(${(r.check / r.resources).toFixed(2)} ms/res)`.padEnd(16)}` +
      ` ${`${(r.apply / 1000).toFixed(1)} s`.padStart(7)} ${`(${(r.apply / r.changes).toFixed(1)} ms/res, ${r.changes} changes)`.padEnd(30)}` +
      ` ${r.catalog.schemas} schemas, ${r.catalog.relations} relations, ${r.catalog.aclEntries} ACL entries, ${r.catalog.databaseMb.toFixed(1)} MB`);
  }
  const smallest = rows[0];
  const largest = rows[rows.length - 1];
  if (smallest !== undefined && largest !== undefined && largest !== smallest) {
    const ratio = largest.check / smallest.check;
    // For `npm run bench` (bench/all.ts reads this line; bench/figures.ts jsonFigures).
    if (smallest.size === 2 && largest.size === 200) console.log(JSON.stringify({ figures: [{ figure: "check of a 200x3 org / of a 2x3 org", ratio }] }));
    console.log("  figure                                        measured   goal     ");
    console.log(`  cold check ${largest.size}x3 / ${smallest.size}x3                     ${`${ratio.toFixed(2)}x`.padStart(8)}   <= ${CHECK_GOAL}x    ${ratio <= CHECK_GOAL ? "met" : "missed"}`);
    console.log(`  resources ${largest.size}x3 / ${smallest.size}x3                      ${`${(largest.resources / smallest.resources).toFixed(1)}x`.padStart(8)}   (what grows linearly)`);
    console.log(`  check time per resource ${largest.size}x3 / ${smallest.size}x3        ${`${((largest.check / largest.resources) / (smallest.check / smallest.resources)).toFixed(2)}x`.padStart(8)}   <= 1x: no worse than linear`);
    console.log(`  apply time per change ${largest.size}x3 / ${smallest.size}x3          ${`${((largest.apply / largest.changes) / (smallest.apply / smallest.changes)).toFixed(2)}x`.padStart(8)}   <= 1x: no worse than linear`);
  }
}

main().then(() => process.exit(0), (error: unknown) => {
  console.error(error);
  process.exit(1);
});
