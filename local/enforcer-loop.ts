import { spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ENFORCER_COMMAND, ENFORCER_DATABASE, ENFORCER_PERIOD_MS } from "../components/enforcer-sql";
import { ENFORCER } from "../spec/platform-names";
import { judgeHolder, probeProcess, processStartTime } from "./lock";
import type { LocalPaths } from "./paths";
import { quoteLiteral } from "../spec/naming";
import type { ServerInfo } from "./server";

/*
 * The local engine's stand-in for pg_cron (the embedded binaries do not ship it): a small
 * detached Node process, started with the server and stopped before it, that runs the enforcer
 * every ENFORCER_PERIOD_MS as the bootstrap superuser, once an org's guardrails migration has
 * installed it (as the provider login, which owns it, as on a managed server). Every command that reaches the server
 * (ensureServer) starts it again if it died, so it is supervised by use: no `up`, `prove` or
 * `sql` runs against a server without it. It also exits by itself once the server is gone.
 */

/** Names the loop in its command line and its sessions (application_name): what a reader of `ps` or pg_stat_activity sees. */
const MARKER = ENFORCER.loop;

export const enforcerPidFile = (paths: LocalPaths) => join(paths.root, "enforcer.pid");
/** One line per session the loop ended, and any error it met: what `tenantry` users read when a query is cut off. */
export const enforcerLogFile = (paths: LocalPaths) => join(paths.root, "enforcer.log");

/**
 * The loop itself, run by `node -e`: plain JavaScript with `pg` loaded from the path it is given,
 * because it must run from the TypeScript sources (tests) and the built CLI alike. Its settings,
 * the superuser's password among them, come through the environment, never the command line.
 */
const LOOP_SOURCE = `
const settings = JSON.parse(process.env.TENANTRY_ENFORCER);
const { Client } = require(settings.pg);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const alive = (pid) => { try { process.kill(pid, 0); return true; } catch (e) { return e.code === "EPERM"; } };
const log = (line) => process.stdout.write(new Date().toISOString() + " " + line + "\\n");
let client;
let lastError = "";
process.on("SIGTERM", () => process.exit(0));
(async () => {
  for (;;) {
    const started = Date.now();
    if (!alive(settings.postmasterPid)) process.exit(0);
    try {
      if (client === undefined) {
        client = new Client(settings.connection);
        client.on("error", () => undefined);
        await client.connect();
      }
      // Nothing to run until the first org's guardrails migration installs the enforcer.
      const installed = (await client.query(settings.installed)).rows[0].installed;
      const { rows } = installed ? await client.query(settings.command) : { rows: [] };
      for (const r of rows) log("ended pid " + r.pid + " of " + r.role + ": " + r.breach + " for " + r.elapsed_ms + " ms, limit " + r.limit_ms + " ms");
      lastError = "";
    } catch (error) {
      const message = String(error && error.message);
      if (message !== lastError) log("error: " + message);
      lastError = message;
      if (client !== undefined) client.end().catch(() => undefined);
      client = undefined;
    }
    await sleep(Math.max(0, settings.periodMs - (Date.now() - started)));
  }
})();
`;

/** The loop as its pid file records it: its pid and its start time (lock.ts), to tell it from a process that reused the pid. */
interface LoopRecord {
  readonly pid: number;
  readonly start: string | undefined;
}

function readLoopRecord(paths: LocalPaths): LoopRecord | undefined {
  const file = enforcerPidFile(paths);
  if (!existsSync(file)) return undefined;
  const [pidText = "", ...start] = readFileSync(file, "utf8").trim().split(" ");
  const pid = Number.parseInt(pidText, 10);
  return Number.isInteger(pid) && pid > 0 ? { pid, start: start.length === 0 ? undefined : start.join(" ") } : undefined;
}

/**
 * Whether the recorded loop still runs, judged as the local lock judges its holder (Linux /proc,
 * elsewhere `ps`): a live pid whose start time is the recorded one. With either start unknown a
 * live pid counts as the loop (no second loop is started), but is never signalled: `stopEnforcer`
 * ends only a process it has identified.
 */
function loopState(record: LoopRecord): "running" | "identified" | "gone" {
  const probe = probeProcess(record.pid);
  const verdict = judgeHolder(record, probe);
  if (verdict !== "held") return "gone";
  return record.start !== undefined && probe.start === record.start ? "identified" : "running";
}

/** The loop's pid, if that process is alive and is, as far as the platform tells, this state's loop. */
export function runningEnforcer(paths: LocalPaths): number | undefined {
  const record = readLoopRecord(paths);
  return record !== undefined && loopState(record) !== "gone" ? record.pid : undefined;
}

/** Starts the loop unless it runs. */
export async function ensureEnforcer(paths: LocalPaths, server: ServerInfo, postmasterPid: number): Promise<void> {
  if (runningEnforcer(paths) !== undefined) return;
  const settings = {
    pg: require.resolve("pg"),
    postmasterPid,
    periodMs: ENFORCER_PERIOD_MS,
    command: ENFORCER_COMMAND,
    installed: `SELECT pg_catalog.to_regprocedure(${quoteLiteral(`${ENFORCER.schema}.${ENFORCER.enforce}()`)}) IS NOT NULL AS installed`,
    connection: { host: server.host, port: server.port, user: server.user, password: server.password, database: ENFORCER_DATABASE, application_name: MARKER },
  };
  const log = openSync(enforcerLogFile(paths), "a", 0o600);
  try {
    const child = spawn(process.execPath, ["-e", LOOP_SOURCE, MARKER, paths.root], {
      detached: true,
      stdio: ["ignore", log, log],
      env: { PATH: process.env["PATH"] ?? "", TENANTRY_ENFORCER: JSON.stringify(settings) },
    });
    if (child.pid === undefined) throw new Error("the guardrail enforcer's loop did not start");
    const start = processStartTime(child.pid);
    writeFileSync(enforcerPidFile(paths), `${child.pid}${start === undefined ? "" : ` ${start}`}\n`, { mode: 0o600 });
    child.unref();
  } finally {
    closeSync(log);
  }
}

/** Stops the loop by the pid it was started with, once identified by its start time; true if one was running. */
export async function stopEnforcer(paths: LocalPaths): Promise<boolean> {
  const record = readLoopRecord(paths);
  rmSync(enforcerPidFile(paths), { force: true });
  if (record === undefined) return false;
  const state = loopState(record);
  // Unidentified, it may be another process that reused the pid: left alone. A real loop exits by
  // itself once the server it watches is gone.
  if (state !== "identified") return state === "running";
  process.kill(record.pid, "SIGTERM");
  for (let waited = 0; waited < 5_000; waited += 50) {
    if (loopState(record) === "gone") return true;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the guardrail enforcer's loop (pid ${record.pid}) did not stop within 5 s`);
}
