import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { enforcerPidFile, runningEnforcer, stopEnforcer } from "../../local/enforcer-loop";
import { probeProcess, processStartTime } from "../../local/lock";
import { localPaths, type LocalPaths } from "../../local/paths";

/*
 * Review item 9 of issue 13: the enforcer loop was recognised by reading /proc/<pid>/cmdline, so
 * off Linux no loop was ever seen running. It is now identified as the local lock identifies its
 * holder (lock.ts: a start time from /proc, elsewhere from `ps`), and only a process identified
 * that way is ever signalled. A stand-in process plays the loop.
 */

let dir: string;
let paths: LocalPaths;
let standIn: ChildProcess;

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "tenantry-loop-"));
  paths = localPaths(dir);
  mkdirSync(paths.root, { recursive: true });
  standIn = spawn(process.execPath, ["-e", "setTimeout(() => undefined, 60_000)"], { stdio: "ignore" });
});

afterEach(() => {
  standIn.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

const record = (line: string) => writeFileSync(enforcerPidFile(paths), `${line}\n`);

describe("the local enforcer loop's identity", () => {
  it("is the recorded pid with the recorded start time, and is stopped only then", async () => {
    const pid = standIn.pid!;
    const start = processStartTime(pid);
    expect(start).toBeDefined();
    record(`${pid} ${start}`);
    expect(runningEnforcer(paths)).toBe(pid);
    expect(await stopEnforcer(paths)).toBe(true);
    // Ended, though perhaps not yet reaped by this test process (a zombie still answers signal 0).
    expect(probeProcess(pid).alive).toBe(false);
  });

  it("is not a live process whose start time differs (a reused pid), which is never signalled", async () => {
    const pid = standIn.pid!;
    record(`${pid} another-start`);
    expect(runningEnforcer(paths)).toBeUndefined();
    expect(await stopEnforcer(paths)).toBe(false);
    expect(alive(pid)).toBe(true);
  });

  it("counts a live pid recorded without a start time as running, so no second loop starts, yet never signals it", async () => {
    const pid = standIn.pid!;
    record(`${pid}`);
    expect(runningEnforcer(paths)).toBe(pid);
    expect(await stopEnforcer(paths)).toBe(true);
    expect(alive(pid)).toBe(true);
  });

  it("is gone once its process exited", async () => {
    const pid = standIn.pid!;
    const start = processStartTime(pid);
    const exited = new Promise((resolve) => standIn.once("exit", resolve));
    standIn.kill("SIGKILL");
    await exited;
    record(`${pid} ${start}`);
    expect(runningEnforcer(paths)).toBeUndefined();
  });
});
