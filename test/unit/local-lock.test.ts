import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { acquireLock, judgeHolder, LockedError, processStartTime, readHolder, type LockHolder } from "../../local/lock";

/*
 * The local state's lock, as the user who starts commands at the same moment would meet it: one
 * holder at a time, whatever the timing; a stale lock freed only on proof that its holder is gone.
 */

const scratch = mkdtempSync(join(tmpdir(), "tenantry-lock-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const lockFile = () => join(scratch, `lock-${(files += 1)}`);

const LOCK_MODULE = join(__dirname, "..", "..", "dist", "local", "lock.js");

/** A process that has exited (and been reaped): its pid is free. */
function deadPid(): number {
  return spawnSync(process.execPath, ["-e", ""]).pid ?? 0;
}

function writeHolder(file: string, holder: Partial<LockHolder> & Pick<LockHolder, "pid">): void {
  writeFileSync(file, JSON.stringify({ start: undefined, command: "tenantry up --local org-x", since: "earlier", token: "stale-token", ...holder }));
}

interface ContenderReport { readonly pid: number; readonly won: boolean; readonly holder?: number; readonly tookOverFrom?: number }

/**
 * Starts `count` processes that all try to take `file` at the same instant. A winner keeps the
 * lock until every contender has reported, so a late starter meets a held lock, never a free one.
 */
async function race(file: string, count: number): Promise<ContenderReport[]> {
  const startAt = Date.now() + 1_500;
  const script = `
    const { acquireLock, LockedError } = require(${JSON.stringify(LOCK_MODULE)});
    while (Date.now() < ${startAt}) {}
    try {
      const held = acquireLock(${JSON.stringify(file)}, "contender");
      console.log(JSON.stringify({ pid: process.pid, won: true, tookOverFrom: held.tookOver?.holder.pid }));
      process.stdin.on("end", () => held.release()).resume();
    } catch (error) {
      if (!(error instanceof LockedError)) throw error;
      console.log(JSON.stringify({ pid: process.pid, won: false, holder: error.holder.pid }));
    }`;
  const children = Array.from({ length: count }, () => spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "inherit"] }));
  const reports = await Promise.all(children.map((child) => new Promise<ContenderReport>((resolve, reject) => {
    child.stdout.once("data", (chunk: Buffer) => resolve(JSON.parse(chunk.toString("utf8")) as ContenderReport));
    child.once("exit", (code) => reject(new Error(`a contender exited with ${code} before reporting`)));
  })));
  for (const child of children) child.stdin.end();
  await Promise.all(children.map((child) => new Promise((resolve) => (child.exitCode === null ? child.once("exit", resolve) : resolve(undefined)))));
  return reports;
}

describe("taking the lock", () => {
  it("gives a stale lock to exactly one of many processes that find it at the same instant; the others name that one", async () => {
    for (let round = 0; round < 8; round += 1) {
      const file = lockFile();
      const stale = deadPid();
      writeHolder(file, { pid: stale });
      const reports = await race(file, 8);
      const winners = reports.filter((r) => r.won);
      expect(winners).toHaveLength(1);
      // The one that removed the stale lock may lose the link that follows to a faster one.
      expect([stale, undefined]).toContain(winners[0]?.tookOverFrom);
      for (const loser of reports.filter((r) => !r.won)) expect(loser.holder).toBe(winners[0]?.pid);
    }
  }, 60_000);

  it("refuses while a live process holds it, naming that process, and leaves its lock alone", () => {
    const file = lockFile();
    const held = acquireLock(file, "tenantry up --local org-x");
    const before = readFileSync(file, "utf8");
    expect(() => acquireLock(file, "tenantry prove --local org-x")).toThrowError(LockedError);
    try {
      acquireLock(file, "tenantry prove --local org-x");
    } catch (error) {
      expect((error as LockedError).holder).toMatchObject({ pid: process.pid, command: "tenantry up --local org-x" });
    }
    expect(readFileSync(file, "utf8")).toBe(before);
    held.release();
    expect(readHolder(file)).toBeUndefined();
  });

  it("never releases a lock that is no longer its own (taken over after it was judged stale)", () => {
    const file = lockFile();
    const held = acquireLock(file, "first");
    writeHolder(file, { pid: process.pid, token: "someone-else" });
    held.release();
    expect(readHolder(file)?.token).toBe("someone-else");
  });

  it("refuses to guess about a lock file it cannot read, and says which file", () => {
    const file = lockFile();
    writeFileSync(file, "not json");
    expect(() => acquireLock(file, "x")).toThrowError(`${file} is not a tenantry lock; if no tenantry command is running, delete it`);
  });
});

describe("judging a recorded holder", () => {
  const start = fc.option(fc.string({ maxLength: 12 }), { nil: undefined });

  it("frees a lock only when its holder is dead or its pid has provably changed hands", () => {
    fc.assert(fc.property(start, start, fc.boolean(), (recorded, current, alive) => {
      const verdict = judgeHolder({ start: recorded }, { alive, start: current });
      const provablyReused = alive && recorded !== undefined && current !== undefined && recorded !== current;
      expect(verdict).toBe(!alive ? "dead" : provablyReused ? "reused" : "held");
    }));
  });

  it("knows a live process's start time, and tells it from an older process's", () => {
    expect(processStartTime(process.pid)).toBeDefined();
    expect(processStartTime(process.pid)).not.toBe(processStartTime(process.ppid));
  });
});
