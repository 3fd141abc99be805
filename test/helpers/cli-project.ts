import { execFileSync, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { attempt, type Outcome } from "../../local/attempt";
import { localPaths, type LocalPaths } from "../../local/paths";
import type { ServerInfo } from "../../local/server";
import { readState, type LocalState } from "../../local/state";
import { REPO_DIR, stackFileText } from "./local";

/*
 * A scratch project for the built `tenantry` command, with a local state (and embedded Postgres)
 * of its own: the command runs as a user runs it, in a real process that signals can reach. The
 * runners (the command, git) are here once, for every test that drives the CLI.
 */

const CLI = join(REPO_DIR, "dist", "cli", "main.js");

/** A test that runs the CLI several times (each run imports Pulumi, applies and proves) on a busy CI machine. */
export const CLI_TEST_TIMEOUT_MS = 180_000;

export interface Finished {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  /** stdout then stderr, as a terminal would show them. */
  readonly out: string;
}

export interface Running {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly finished: Promise<Finished>;
}

/** Runs the built `tenantry` command in `cwd`, in a process of its own, as a user runs it. */
export function runTenantry(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv = process.env): Finished {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd, env, encoding: "utf8", timeout: 120_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr, out: `${result.stdout}${result.stderr}` };
}

/** A git runner for the repository in `cwd`, with an identity of its own so commits work on any machine. */
export function gitIn(cwd: string): (...args: string[]) => string {
  return (...args) => execFileSync("git", ["-c", "user.email=t@example.com", "-c", "user.name=t", ...args], { cwd, encoding: "utf8" });
}

export class CliProject {
  readonly dir = mkdtempSync(join(tmpdir(), "tenantry-cli-"));
  readonly paths: LocalPaths = localPaths(this.dir);
  /** Runs git in the project (`git("init", "-q")` first makes it a repository). */
  readonly git = gitIn(this.dir);

  /** Variables every run of the command gets on top of this process's environment. */
  private readonly env: NodeJS.ProcessEnv;

  /** With no org specs, the repository's own stacks/ are copied in. */
  constructor(orgs?: readonly ({ slug: string } & Record<string, unknown>)[], { env = {} }: { env?: NodeJS.ProcessEnv } = {}) {
    this.env = { ...process.env, ...env };
    // As root the server runs as the postgres OS user, which must be able to reach its data.
    chmodSync(this.dir, 0o755);
    if (orgs === undefined) cpSync(join(REPO_DIR, "stacks"), join(this.dir, "stacks"), { recursive: true });
    else for (const org of orgs) this.writeStack(org);
  }

  writeStack(org: { slug: string } & Record<string, unknown>): void {
    mkdirSync(join(this.dir, "stacks"), { recursive: true });
    writeFileSync(join(this.dir, "stacks", `Pulumi.org-${org.slug}.yaml`), stackFileText(org));
  }

  run(...args: string[]): Finished {
    return runTenantry(this.dir, args, this.env);
  }

  start(...args: string[]): Running {
    return this.spawn(args, false);
  }

  /**
   * Starts the command as a shell starts a foreground job: in a process group of its own (whose
   * id is its pid), so `process.kill(-pid, "SIGINT")` reaches every process of the group at
   * once, the command and whatever it spawned, as a terminal's Ctrl-C does.
   */
  startAsJob(...args: string[]): Running {
    return this.spawn(args, true);
  }

  private spawn(args: readonly string[], detached: boolean): Running {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: this.dir, env: this.env, stdio: ["ignore", "pipe", "pipe"], detached });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on("data", (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on("data", (chunk: Buffer) => stderr.push(chunk));
    const finished = new Promise<Finished>((resolve) => {
      child.once("close", (code) => {
        const [out, err] = [stdout, stderr].map((chunks) => Buffer.concat(chunks).toString("utf8")) as [string, string];
        resolve({ code, stdout: out, stderr: err, out: `${out}${err}` });
      });
    });
    if (child.pid === undefined) throw new Error("the command did not start");
    return { child, pid: child.pid, finished };
  }

  server(): ServerInfo {
    return JSON.parse(readFileSync(this.paths.serverFile, "utf8")) as ServerInfo;
  }

  /** The state as the next command reads it: the state file and the journal an apply under way appends to. */
  state(): LocalState {
    return readState(this.paths);
  }

  /** Runs statements as the embedded superuser. */
  asSuperuser(database: string, statements: readonly string[]): Promise<Outcome> {
    const server = this.server();
    return attempt(server, { user: server.user, password: server.password }, database, statements);
  }

  exists(path: string): boolean {
    return existsSync(join(this.dir, path));
  }

  /** Stops its embedded Postgres, if a local command ever ran here, and deletes the project. */
  remove(): void {
    if (existsSync(this.paths.root)) this.run("down", "--local", "--reset");
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Polls `condition` until it holds; fails after `timeoutMs`, naming what it waited for. */
export async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (await condition()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}
