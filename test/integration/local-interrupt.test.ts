import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_INTERRUPTED, EXIT_OK } from "../../cli/exit-codes";
import { CLI_TEST_TIMEOUT_MS, CliProject, waitFor, type Running } from "../helpers/cli-project";

/*
 * Ctrl-C, SIGTERM and kill -9 in the middle of a proof or of initdb, in real processes. A signal
 * ends the command with exit 130, one line, and nothing left behind; a kill -9 can clean nothing
 * itself (the tests show what it leaves), so the next run removes it first.
 */

const org = (workspaces: string[]) => ({
  slug: "intco", tier: "sandbox", environments: ["dev"], workspaces: workspaces.map((slug) => ({ slug })),
  claimedDomains: ["intco.example"], quotas: { statementTimeoutMs: 2000, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 1000 },
});

const PROOF_OBJECTS = "SELECT relname AS name FROM pg_class WHERE starts_with(relname, 'tenantry__proof') UNION ALL SELECT rolname FROM pg_roles WHERE starts_with(rolname, 'tenantry__proof')";
const CLEAN_STOP = /^interrupted by (SIGINT|SIGTERM), stopped at a safe point; no change is half-applied; lock released\n$/;

async function proofObjects(cli: CliProject): Promise<string[]> {
  const outcome = await cli.asSuperuser("tn_intco", [PROOF_OBJECTS]);
  if (outcome.code !== undefined) throw new Error(`query failed: ${outcome.code} ${outcome.message ?? ""}`);
  return outcome.rows.map((r) => String(r["name"]));
}

/** Starts a proof and waits until its table exists on the server: the moment to interrupt it. */
async function proofUnderWay(cli: CliProject): Promise<Running> {
  const running = cli.start("prove", "--local", "org-intco");
  await waitFor("the proof's table", async () => (await proofObjects(cli)).length > 0);
  return running;
}

describe("an interrupted proof", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  const cli = new CliProject([org(["core", "extra"])]);
  beforeAll(() => expect(cli.run("up", "--local", "org-intco").code).toBe(EXIT_OK));
  afterAll(() => cli.remove());

  it("on SIGINT exits 130 with one line and leaves no proof object, so the workspace it used can be removed", async () => {
    const running = await proofUnderWay(cli);
    running.child.kill("SIGINT");
    const { code, stderr } = await running.finished;
    expect(code).toBe(EXIT_INTERRUPTED);
    expect(stderr).toMatch(CLEAN_STOP);
    expect(await proofObjects(cli)).toEqual([]);
    expect([cli.exists(".tenantry/lock"), cli.exists(".tenantry/proof-objects.json")]).toEqual([false, false]);
    // The proof table was in core_dev, the first workspace's schema: its removal would fail on it.
    cli.writeStack(org(["extra"]));
    const removal = cli.run("up", "--local", "org-intco");
    expect(removal.code).toBe(EXIT_OK);
    expect(removal.out).toMatch(/org-intco: 1 updated, 6 deleted as tenantry/);
  });

  it("after kill -9, is removed first by the next up, which can then remove the workspace", async () => {
    cli.writeStack(org(["core", "extra"]));
    expect(cli.run("up", "--local", "org-intco").code).toBe(EXIT_OK);
    const running = await proofUnderWay(cli);
    running.child.kill("SIGKILL");
    await running.finished;
    // What a kill leaves: its proof table and its lock (no process could remove them).
    expect(await proofObjects(cli)).not.toEqual([]);
    expect(cli.exists(".tenantry/lock")).toBe(true);
    cli.writeStack(org(["extra"]));
    const removal = cli.run("up", "--local", "org-intco");
    expect(removal.code).toBe(EXIT_OK);
    expect(removal.stderr).toBe(`note: took over the lock on .tenantry: pid ${running.pid} (tenantry prove --local org-intco) is no longer running\n`);
    expect(removal.out).toMatch(/org-intco: 1 updated, 6 deleted as tenantry/);
    expect(await proofObjects(cli)).toEqual([]);
  });
});

/** Every path under `.tenantry` that initdb's scratch work uses: its data directory and its password file. */
function initdbFiles(cli: CliProject): string[] {
  const root = cli.paths.root;
  let entries: string[];
  try {
    entries = readdirSync(root, { recursive: true }) as string[];
  } catch {
    return [];
  }
  return entries.filter((entry) => entry.startsWith("pg.initdb") || entry.startsWith("initdb-") || entry.endsWith("password"));
}

/** Whether any process (an orphaned initdb) still works in this project's scratch data directory. */
function initdbRunning(cli: CliProject): boolean {
  return readdirSync("/proc").filter((p) => /^\d+$/.test(p)).some((pid) => {
    try {
      return readFileSync(join("/proc", pid, "cmdline"), "utf8").includes(`${cli.paths.dataDir}.initdb`);
    } catch {
      return false;
    }
  });
}

describe("an interrupted initdb", { timeout: CLI_TEST_TIMEOUT_MS }, () => {
  it.each(["SIGINT", "SIGTERM"] as const)("on %s exits 130 with one line and leaves no scratch directory or password file", async (signal) => {
    const cli = new CliProject([org(["core"])]);
    try {
      const running = cli.start("up", "--local", "org-intco");
      await waitFor("initdb's password file", () => initdbFiles(cli).some((f) => f.endsWith("password")));
      running.child.kill(signal);
      const { code, stderr } = await running.finished;
      expect(code).toBe(EXIT_INTERRUPTED);
      expect(stderr).toMatch(CLEAN_STOP);
      expect(stderr).toContain(signal);
      expect(initdbFiles(cli)).toEqual([]);
      expect(initdbRunning(cli)).toBe(false);
      expect(cli.exists(".tenantry/lock")).toBe(false);
    } finally {
      cli.remove();
    }
  });

  it("after kill -9 leaves them, and the next run removes them before anything else", async () => {
    const cli = new CliProject([org(["core"])]);
    try {
      const running = cli.start("up", "--local", "org-intco");
      await waitFor("initdb's password file", () => initdbFiles(cli).some((f) => f.endsWith("password")));
      running.child.kill("SIGKILL");
      await running.finished;
      await waitFor("the orphaned initdb to finish", () => !initdbRunning(cli));
      expect(initdbFiles(cli).filter((f) => f.endsWith("password"))).toHaveLength(1);
      const next = cli.run("up", "--local", "org-intco");
      expect(next.code).toBe(EXIT_OK);
      expect(initdbFiles(cli)).toEqual([]);
    } finally {
      cli.remove();
    }
  });
});
