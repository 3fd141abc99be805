import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { acquireLock, readHolder } from "../../local/lock";
import { localPaths, type LocalPaths } from "../../local/paths";
import { resetLocal } from "../../local/reset";

/*
 * `down --reset` against a command started while it deletes, as the user who reruns `up` until
 * it stops saying "locked": the reset holds the lock until everything else is gone, so no
 * command can start on a half-deleted state, and a command that meets the directory vanishing
 * under it tries again rather than dying with a raw ENOENT.
 */

const scratch = mkdtempSync(join(tmpdir(), "tenantry-reset-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let dirs = 0;
const DIST = join(__dirname, "..", "..", "dist", "local");

/** A local state as `up` leaves it: a data directory of `files` files, the state and credential files. */
function populatedState(files: number): LocalPaths {
  const paths = localPaths(join(scratch, String((dirs += 1))));
  for (let i = 0; i < files; i += 1) {
    const dir = join(paths.dataDir, "base", String(i % 16));
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, String(i)), "x");
  }
  for (const file of [paths.stateFile, paths.serverFile, paths.providerAdminsFile, paths.logFile]) writeFileSync(file, "{}");
  return paths;
}

interface Report {
  readonly error?: string;
  /** For a contender that got the lock: which files of the old state it still found. */
  readonly leftovers?: string[];
}

function node(script: string): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, ["-e", script], { stdio: ["pipe", "pipe", "pipe"] });
}

/** The lines a child prints, one at a time; rejects if it exits first, with its stderr. */
function lines(child: ChildProcessWithoutNullStreams): () => Promise<string> {
  let out = "";
  let err = "";
  let exited: string | undefined;
  const waiting: (() => void)[] = [];
  const wake = () => waiting.splice(0).forEach((w) => w());
  child.stdout.on("data", (chunk: Buffer) => { out += chunk.toString("utf8"); wake(); });
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  child.once("close", (code) => { exited = `exited ${code} before reporting: ${err}`; wake(); });
  return async () => {
    for (;;) {
      const at = out.indexOf("\n");
      if (at >= 0) {
        const line = out.slice(0, at);
        out = out.slice(at + 1);
        return line;
      }
      if (exited !== undefined) throw new Error(exited);
      await new Promise<void>((resolve) => waiting.push(resolve));
    }
  };
}

/** Reruns `acquireLock` while it reports "locked", as a user's retry loop reruns `up`; reports what it found on winning. */
const contender = (paths: LocalPaths) => `
  const { existsSync } = require("node:fs");
  const { acquireLock, LockedError } = require(${JSON.stringify(join(DIST, "lock.js"))});
  const old = ${JSON.stringify([paths.dataDir, paths.stateFile, paths.serverFile, paths.providerAdminsFile, paths.logFile])};
  console.log("ready");
  const deadline = Date.now() + 20000;
  for (;;) {
    try {
      const held = acquireLock(${JSON.stringify(paths.lockFile)}, "tenantry up --local");
      console.log(JSON.stringify({ leftovers: old.filter((p) => existsSync(p)) }));
      held.release();
      break;
    } catch (error) {
      if (!(error instanceof LockedError) || Date.now() > deadline) { console.log(JSON.stringify({ error: String(error) })); break; }
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
    }
  }`;

/** Takes the lock, waits for "go" on stdin, then resets as `down --local --reset` does. */
const resetter = (paths: LocalPaths) => `
  const { acquireLock } = require(${JSON.stringify(join(DIST, "lock.js"))});
  const { resetLocal } = require(${JSON.stringify(join(DIST, "reset.js"))});
  const held = acquireLock(${JSON.stringify(paths.lockFile)}, "tenantry down --local --reset");
  console.log("locked");
  process.stdin.once("data", () => resetLocal(${JSON.stringify(paths)}, held).then(
    () => { held.release(); console.log(JSON.stringify({})); },
    (error) => console.log(JSON.stringify({ error: String(error) })),
  ));`;

describe("down --reset while other commands keep trying to start", () => {
  it("lets none start on a half-deleted state, and neither the reset nor they fail with a raw error (generated sizes and contenders)", async () => {
    await fc.assert(fc.asyncProperty(fc.integer({ min: 300, max: 2500 }), fc.integer({ min: 1, max: 3 }), async (files, count) => {
      const paths = populatedState(files);
      const reset = node(resetter(paths));
      const fromReset = lines(reset);
      expect(await fromReset()).toBe("locked");
      const contenders = Array.from({ length: count }, () => lines(node(contender(paths))));
      for (const next of contenders) expect(await next()).toBe("ready");
      const reports = contenders.map((next) => next());
      reset.stdin.end("go\n");
      expect(JSON.parse(await fromReset())).toEqual({});
      for (const report of await Promise.all(reports)) expect(JSON.parse(report) as Report).toEqual({ leftovers: [] });
    }), { numRuns: 5 });
  }, 60_000);

  it("keeps the lock, and only the lock, until the reset has deleted everything else; then .tenantry goes", async () => {
    const paths = populatedState(50);
    const held = acquireLock(paths.lockFile, "tenantry down --local --reset");
    let seenAtRelease: string[] = [];
    await resetLocal(paths, { release: () => { seenAtRelease = readdirSync(paths.root); held.release(); } });
    expect(seenAtRelease).toEqual(["lock"]);
    expect(readHolder(paths.lockFile)).toBeUndefined();
    expect(existsSync(paths.root)).toBe(false);
  });

  it("takes a lock whose directory a finishing reset keeps removing, or is refused: never a raw ENOENT", async () => {
    const dir = join(scratch, String((dirs += 1)));
    const lockFile = join(dir, "lock");
    // A reset ending, over and over: the empty directory is removed whenever it is empty.
    const remover = node(`
      const { rmdirSync } = require("node:fs");
      console.log("ready");
      for (const end = Date.now() + 1500; Date.now() < end;) { try { rmdirSync(${JSON.stringify(dir)}); } catch {} }
      console.log("done");`);
    const fromRemover = lines(remover);
    expect(await fromRemover()).toBe("ready");
    const takers = Array.from({ length: 2 }, () => node(`
      const { acquireLock, LockedError } = require(${JSON.stringify(join(DIST, "lock.js"))});
      let won = 0;
      for (const end = Date.now() + 1000; Date.now() < end;) {
        try { acquireLock(${JSON.stringify(lockFile)}, "t").release(); won += 1; }
        catch (error) { if (!(error instanceof LockedError)) { console.log(JSON.stringify({ error: String(error) })); process.exit(0); } }
      }
      console.log(JSON.stringify({ won }));`));
    const reports = await Promise.all(takers.map((child) => lines(child)()));
    for (const report of reports) expect(JSON.parse(report)).toEqual({ won: expect.any(Number) });
    expect(reports.map((r) => (JSON.parse(r) as { won: number }).won).reduce((a, b) => a + b)).toBeGreaterThan(0);
    expect(await fromRemover()).toBe("done");
  }, 30_000);
});
