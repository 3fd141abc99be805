import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { EXIT_LOCKED, EXIT_OK } from "../../cli/exit-codes";
import { processStartTime, readHolder, type LockHolder } from "../../local/lock";
import { CLI_TEST_TIMEOUT_MS, CliProject, waitFor } from "../helpers/cli-project";

/*
 * One command at a time per local state. Two `up`s started together: one runs, the other is
 * refused at once, naming the pid that holds the lock; and the state the winner leaves is whole.
 * A lock whose holder is gone, or whose pid now belongs to another process, is taken over.
 */

// No edge (no workerd to start) and a short statement timeout keep each run quick.
const ORG = { slug: "lockco", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: ["lockco.example"], quotas: { statementTimeoutMs: 2000, lockTimeoutMs: 1000, idleInTransactionTimeoutMs: 1000 } };
const cli = new CliProject([ORG]);

afterAll(() => cli.remove());

function holdLock(holder: Pick<LockHolder, "pid" | "start"> & { command?: string }): void {
  const lock: LockHolder = { command: "tenantry up --local org-lockco", since: new Date().toISOString(), token: randomBytes(8).toString("hex"), ...holder };
  writeFileSync(cli.paths.lockFile, JSON.stringify(lock));
}

describe("two commands on one local state", () => {
  let runs: { pid: number; code: number | null; stderr: string; stdout: string }[];
  beforeAll(async () => {
    const started = [cli.start("up", "--local", "org-lockco"), cli.start("up", "--local", "org-lockco")];
    runs = await Promise.all(started.map(async (run) => ({ pid: run.pid, ...(await run.finished) })));
  });

  it("runs one up and refuses the other at once, in one line naming the pid that holds the lock", () => {
    const winner = runs.find((r) => r.code === EXIT_OK);
    const loser = runs.find((r) => r.code === EXIT_LOCKED);
    expect([winner?.code, loser?.code]).toEqual([EXIT_OK, EXIT_LOCKED]);
    expect(loser?.stderr).toMatch(new RegExp(`^error: \\.tenantry is in use by pid ${winner?.pid} \\(tenantry up --local org-lockco, since [^)]+\\); wait for it to finish or stop it, then run this again\\n$`));
    expect(loser?.stdout).toBe("");
  });

  it("leaves the state and the server whole: the next up finds nothing to change and the proof holds", () => {
    const again = cli.run("up", "--local", "org-lockco");
    expect(again.code).toBe(EXIT_OK);
    expect(again.out).toMatch(/org-lockco: nothing to apply against the recorded local state; audit coverage as declared; every login role authenticates with its stored password/);
    expect(again.out).toMatch(/claims: \d+ hold, 0 broken/);
    expect(existsSync(cli.paths.lockFile)).toBe(false);
  });
});

describe("a lock another live process holds", () => {
  it.each(["prove --local org-lockco", "down --local", "down --local --reset", "sql org-lockco", "up --local org-lockco"])(
    "refuses `tenantry %s` with exit 5, changing nothing",
    (command) => {
      holdLock({ pid: process.pid, start: processStartTime(process.pid) });
      try {
        const refused = cli.run(...command.split(" "));
        expect(refused.code).toBe(EXIT_LOCKED);
        expect(refused.stderr).toMatch(new RegExp(`^error: \\.tenantry is in use by pid ${process.pid} \\(tenantry up --local org-lockco, since [^)]+\\);[^\\n]*\\n$`));
        expect(refused.stdout).toBe("");
        // Still running, data kept: neither `down` stopped the server.
        expect(cli.exists(".tenantry/pg/postmaster.pid")).toBe(true);
      } finally {
        rmSync(cli.paths.lockFile, { force: true });
      }
    },
  );
});

describe("a stale lock", () => {
  it("is taken over, saying so, when its holder has exited", () => {
    const exited = spawnSync(process.execPath, ["-e", ""]);
    holdLock({ pid: exited.pid ?? 0, start: "gone" });
    const proof = cli.run("prove", "--local", "org-lockco");
    expect(proof.code).toBe(EXIT_OK);
    expect(proof.stderr).toBe(`note: took over the lock on .tenantry: pid ${exited.pid} (tenantry up --local org-lockco) is no longer running\n`);
    expect(existsSync(cli.paths.lockFile)).toBe(false);
  });

  it("is taken over when its pid now belongs to another process (another start time)", () => {
    // This test's own pid is alive, but it is not the process that took the lock.
    holdLock({ pid: process.pid, start: "another-process-start" });
    const proof = cli.run("prove", "--local", "org-lockco");
    expect(proof.code).toBe(EXIT_OK);
    expect(proof.stderr).toBe(`note: took over the lock on .tenantry: pid ${process.pid} (tenantry up --local org-lockco) now belongs to another process\n`);
  });
});

describe("down --reset while up is rerun until the lock is free", () => {
  it("refuses each up as locked until the reset has finished, then up starts a new server on an empty state", async () => {
    const reset = cli.start("down", "--local", "--reset");
    let resetEnded = false;
    void reset.finished.then(() => (resetEnded = true));
    await waitFor("the reset to hold the lock", () => resetEnded || readHolder(cli.paths.lockFile)?.pid === reset.pid);
    const refusals: string[] = [];
    let up = cli.run("up", "--local", "org-lockco");
    for (const deadline = Date.now() + 60_000; up.code === EXIT_LOCKED && Date.now() < deadline; up = cli.run("up", "--local", "org-lockco")) {
      refusals.push(up.stderr);
    }
    const down = await reset.finished;
    expect(down).toMatchObject({ code: EXIT_OK, stderr: "", stdout: "stopped the embedded Postgres and deleted .tenantry (data, state, credentials)\n" });
    for (const refusal of refusals) expect(refusal).toMatch(new RegExp(`^error: \\.tenantry is in use by pid ${reset.pid} \\(tenantry down --local --reset, since [^)]+\\);[^\\n]*\\n$`));
    expect(up.code).toBe(EXIT_OK);
    expect(up.stderr).toBe("");
    expect(up.stdout).toMatch(/embedded Postgres 127\.0\.0\.1:\d+ \(started\)/);
    expect(up.stdout).toMatch(/org-lockco: \d+ created as tenantry/);
  }, CLI_TEST_TIMEOUT_MS);
});
