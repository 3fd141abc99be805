import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";

/*
 * One lock per local state, so two commands never apply, prove or reset the same embedded
 * Postgres at once. The lock is a file whose content names its holder: pid, the process's start
 * time (a pid alone can be reused by an unrelated process), the command and a random token.
 *
 * The file is never written in place: each candidate writes its own file, then hard-links it to
 * the lock's name, which fails atomically when the name exists. So a lock file is always whole,
 * and exactly one candidate gets it. Libraries such as proper-lockfile judge staleness by age and
 * keep no pid, so they cannot tell the user who holds the lock.
 */

export interface LockHolder {
  readonly pid: number;
  /** The holder's process start time; undefined where the platform would not tell. */
  readonly start: string | undefined;
  readonly command: string;
  /** When the lock was taken (ISO 8601). */
  readonly since: string;
  /** Tells one holding apart from any other, even of the same process. */
  readonly token: string;
}

/** What a process probe found for a holder's pid. */
export interface ProcessProbe {
  readonly alive: boolean;
  /** Its start time now, when known. */
  readonly start: string | undefined;
}

export type Verdict = "held" | "dead" | "reused";

/**
 * Whether a recorded holder still holds the lock. Only a proof of staleness frees it: a dead
 * pid, or a live pid whose start time differs from the recorded one (the pid was reused). When
 * either start time is unknown the lock stays held: taking over a live holder's lock would let
 * two commands run at once, which is what the lock exists to prevent.
 */
export function judgeHolder(holder: Pick<LockHolder, "start">, probe: ProcessProbe): Verdict {
  if (!probe.alive) return "dead";
  if (holder.start !== undefined && probe.start !== undefined && holder.start !== probe.start) return "reused";
  return "held";
}

/** Refused: another live process holds the lock. */
export class LockedError extends Error {
  constructor(readonly holder: LockHolder, readonly lockFile: string) {
    super(`locked by pid ${holder.pid} (${holder.command})`);
    this.name = "LockedError";
  }
}

export interface HeldLock {
  readonly holder: LockHolder;
  /** The stale holder this acquisition replaced, and why it was stale. */
  readonly tookOver: { readonly holder: LockHolder; readonly verdict: Exclude<Verdict, "held"> } | undefined;
  /** Removes the lock file if it is still this holding's; safe to call more than once. */
  release(): void;
}

/** How long to keep trying while the lock changes hands under us (never while a live holder has it). */
const CONTENDED_MS = 2_000;
/** How old a takeover guard must be to count as abandoned (a takeover takes microseconds). */
const TAKEOVER_GUARD_STALE_MS = 5_000;

/** The pause before trying again while the lock changes hands: long enough to let a holder finish writing. */
const RETRY_MS = 5;

export function acquireLock(file: string, command: string): HeldLock {
  const holder: LockHolder = { pid: process.pid, start: processStartTime(process.pid), command, since: new Date().toISOString(), token: randomBytes(8).toString("hex") };
  let tookOver: HeldLock["tookOver"];
  for (const deadline = Date.now() + CONTENDED_MS; Date.now() < deadline;) {
    const linked = tryLink(file, holder);
    if (linked === "taken") {
      return { holder, tookOver, release: () => releaseLock(file, holder.token) };
    }
    // The directory went while we wrote (a reset ending, or a holder releasing): try again.
    const current = linked === "vanished" ? undefined : readHolder(file);
    if (current === undefined) {
      sleepMs(RETRY_MS);
      continue;
    }
    const verdict = judgeHolder(current, probeProcess(current.pid));
    if (verdict === "held") throw new LockedError(current, file);
    if (removeIfStill(file, current.token)) tookOver = { holder: current, verdict };
  }
  throw new Error(`could not take the lock ${file} within ${CONTENDED_MS / 1000} s: other commands keep taking it over; run this again`);
}

/** The holder recorded in a lock file, or undefined when there is none. */
export function readHolder(file: string): LockHolder | undefined {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  const parsed = parseHolder(text);
  if (parsed === undefined) throw new Error(`${file} is not a tenantry lock; if no tenantry command is running, delete it`);
  return { pid: parsed.pid, start: parsed.start ?? undefined, command: String(parsed.command ?? "?"), since: String(parsed.since ?? "?"), token: parsed.token };
}

function parseHolder(text: string): (Partial<LockHolder> & Pick<LockHolder, "pid" | "token">) | undefined {
  try {
    const parsed = JSON.parse(text) as Partial<LockHolder>;
    return typeof parsed.pid === "number" && typeof parsed.token === "string" ? { ...parsed, pid: parsed.pid, token: parsed.token } : undefined;
  } catch {
    return undefined;
  }
}

/** Whether a candidate took the lock, found it held, or lost its directory to a reset that was removing it. */
type LinkOutcome = "taken" | "held" | "vanished";

function tryLink(file: string, holder: LockHolder): LinkOutcome {
  try {
    mkdirSync(dirname(file), { recursive: true });
  } catch (error) {
    // A recursive mkdir that meets the directory (EEXIST) then stats it: a reset removing it in
    // between surfaces as ENOENT from mkdir itself.
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "vanished";
    throw error;
  }
  const candidate = `${file}.${holder.pid}.${holder.token}`;
  try {
    writeFileSync(candidate, `${JSON.stringify(holder)}\n`, { mode: 0o600 });
    linkSync(candidate, file);
    return "taken";
  } catch (error) {
    const { code } = error as NodeJS.ErrnoException;
    if (code === "EEXIST") return "held";
    // A reset removes the directory once it is empty; between our mkdir and our write it may be.
    if (code === "ENOENT") return "vanished";
    throw error;
  } finally {
    rmSync(candidate, { force: true });
  }
}

/**
 * Whether a path is one of the lock's own files (the lock, a candidate, the takeover guard): a
 * reset deletes everything else first, and lets these go only as the lock is released.
 */
export function belongsToLock(file: string, path: string): boolean {
  return path === file || path.startsWith(`${file}.`);
}

function releaseLock(file: string, token: string): void {
  try {
    if (readHolder(file)?.token === token) unlinkSync(file);
  } catch {
    // Already gone or unreadable: nothing of ours to remove.
  }
}

/**
 * Deletes a stale lock, but only the very one judged stale: two candidates that both found it
 * stale must not let the slower one delete the lock the faster one has just taken. Takeovers are
 * serialised by an exclusive guard file, under which the token is checked again.
 */
function removeIfStill(file: string, staleToken: string): boolean {
  const guard = `${file}.takeover`;
  let fd: number;
  try {
    fd = openSync(guard, "wx", 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    // Another candidate is taking over; if its guard is old, that candidate died mid-takeover.
    if (Date.now() - mtimeMs(guard) > TAKEOVER_GUARD_STALE_MS) rmSync(guard, { force: true });
    else sleepMs(5);
    return false;
  }
  try {
    if (readHolder(file)?.token !== staleToken) return false;
    unlinkSync(file);
    return true;
  } finally {
    closeSync(fd);
    rmSync(guard, { force: true });
  }
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Whether a pid is a live process, and when it started. */
export function probeProcess(pid: number): ProcessProbe {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EPERM") return { alive: false, start: undefined };
  }
  const stat = procStat(pid);
  // An exited child its parent has not reaped yet still answers signal 0: it holds nothing.
  if (stat?.state === "Z") return { alive: false, start: undefined };
  return { alive: true, start: processStartTime(pid) };
}

/**
 * A process's start time, as a string that differs between two processes that had the same
 * pid. Linux: boot id plus the start in clock ticks since boot (/proc). Elsewhere: `ps`.
 */
export function processStartTime(pid: number): string | undefined {
  const stat = procStat(pid);
  if (stat !== undefined) return `${bootId()}:${stat.startTicks}`;
  try {
    const started = execFileSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    return started === "" ? undefined : started;
  } catch {
    return undefined;
  }
}

function procStat(pid: number): { state: string; startTicks: string } | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: fields are counted after its last ")".
  const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
  const state = fields[0];
  const startTicks = fields[19];
  return state === undefined || startTicks === undefined ? undefined : { state, startTicks };
}

let boot: string | undefined;
function bootId(): string {
  boot ??= (() => {
    try {
      return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      return "boot";
    }
  })();
  return boot;
}
