import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CliProject, waitFor } from "../helpers/cli-project";

/*
 * The README's main command, end to end, in a scratch project: `tenantry up --local` starts its
 * own embedded Postgres, applies, proves, and `down --local` stops it by its own pid.
 */

// The command's temporary folders go here, where the test can see what it leaves.
const temporary = mkdtempSync(join(tmpdir(), "tenantry-cli-tmp-"));
// COLUMNS: output is fitted to 100 cells, as on a terminal that wide.
const cli = new CliProject(undefined, { env: { TMPDIR: temporary, COLUMNS: "100" } });
const project = cli.dir;
const tenantry = (...args: string[]) => cli.run(...args);

function generatedPasswords(): string[] {
  return Object.values(cli.state().stacks).flatMap((s) => s.resources.flatMap((r) => (typeof r.outputs?.["result"] === "string" ? [r.outputs["result"]] : [])));
}

const pendingChanges = () => Object.values(cli.state().stacks).flatMap((s) => s.pending ?? []);

afterAll(() => {
  cli.remove();
  rmSync(temporary, { recursive: true, force: true });
});

describe("tenantry up --local", () => {
  let first: ReturnType<typeof tenantry>;
  beforeAll(() => {
    first = tenantry("up", "--local", "org-globex");
  });

  it("applies the org and prints the proof's summary: the counts and how to see every claim", () => {
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/org-globex: \d+ created as tenantry, a non-superuser login/);
    expect(first.out).toMatch(/\nclaims: \d+ hold, 0 broken, 1 skipped\nevery claim with its attempt: npx tenantry prove --local org-globex --verbose\n/);
    expect(first.out).not.toMatch(/^claim +\| attempt/m);
  });

  it("never prints a generated password, and keeps them in 0600 files only", () => {
    const passwords = generatedPasswords();
    expect(passwords.length).toBe(5); // four login roles and the router's identity key
    for (const password of passwords) expect(first.out).not.toContain(password);
    for (const file of ["state.json", "server.json", "provider-admins.json"]) {
      expect(statSync(join(project, ".tenantry", file)).mode & 0o777).toBe(0o600);
    }
  });

  it("reuses the running server and changes nothing the second time", () => {
    const second = tenantry("up", "--local", "org-globex");
    expect(second.code).toBe(0);
    expect(second.out).toContain("(reused)");
    expect(second.out).toMatch(/org-globex: nothing to apply against the recorded local state; audit coverage as declared; every login role authenticates with its stored password/);
  });

  it("applies and skips the proof with --no-prove, saying so", () => {
    const started = Date.now();
    const applied = tenantry("up", "--local", "--no-prove", "org-globex");
    expect(applied.code).toBe(0);
    expect(applied.out).toMatch(/org-globex: nothing to apply against the recorded local state/);
    expect(applied.out).toContain("proof skipped (--no-prove): nothing was attempted; prove the posture with npx tenantry prove --local org-globex");
    expect(applied.out).not.toMatch(/claims: \d+ hold/);
    console.log(`up --local --no-prove, nothing to change: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });

  it("leaves no temporary folder of workerd's behind when the proof of the edge ends; --verbose prints every claim within the width", async () => {
    const everything = () => readdirSync(temporary, { recursive: true }) as string[];
    const running = cli.start("prove", "--local", "org-globex", "--verbose");
    // The control: miniflare does make its folder where TMPDIR says.
    await waitFor("workerd's temporary folder", () => everything().some((entry) => /(^|\/)miniflare-[0-9a-f]+$/.test(entry)));
    const { code, stdout } = await running.finished;
    expect(code).toBe(0);
    expect(everything()).toEqual([]);
    const table = stdout.slice(stdout.indexOf("\nclaim "));
    expect(table).toMatch(/^\nclaim +\| attempt +\| result\n/);
    expect(table.split("\n").filter((line) => line.length > 100)).toEqual([]);
    expect(table).toMatch(/\nclaims: \d+ hold, 0 broken, 1 skipped\n$/);
  });

  it("reports a statement the server refuses in one line, with exit code 4, and drops no data", async () => {
    // A table as the prod DDL role would create it: the schema is no longer empty.
    await cli.asSuperuser("tn_globex", ["SET ROLE tn_globex_prod_ddl", "CREATE TABLE main_prod.orders (id int)"]);
    const stackFile = join(project, "stacks", "Pulumi.org-globex.yaml");
    const original = readFileSync(stackFile, "utf8");
    writeFileSync(stackFile, original.replace("environments: [dev, prod]", "environments: [dev]"));
    try {
      const result = tenantry("up", "--local", "org-globex");
      expect(result.code).toBe(4);
      // Rolled back, so nothing is pending: a "resumes from here" would be untrue.
      expect(result.out).toMatch(/^error: the server refused delete org-globex-prod-main: cannot drop schema main_prod because other objects depend on it; the server rolled it back, so nothing of it was applied and the next run tries it again$/m);
      expect(result.out).not.toContain("resumes");
      expect(pendingChanges()).toEqual([]);
      expect(result.out).not.toMatch(/\n\s+at /);
    } finally {
      writeFileSync(stackFile, original);
    }
    expect((await cli.asSuperuser("tn_globex", ["SELECT count(*) FROM main_prod.orders"])).code).toBeUndefined();
  });

  it("refuses without --local, and refuses invalid input before touching the server", () => {
    expect(tenantry("up", "org-globex").code).toBe(2);
    expect(tenantry("up", "--local", "org-globex", "org-nobody").out).toContain("stack org-nobody not found");
  });
});

describe("tenantry down --local", () => {
  it("stops the server by its own pid and keeps the data; --reset deletes it", () => {
    const pidFile = join(project, ".tenantry", "pg", "postmaster.pid");
    const pid = Number(readFileSync(pidFile, "utf8").split("\n")[0]);
    expect(tenantry("down", "--local").out).toContain("stopped the embedded Postgres; data kept");
    expect(() => process.kill(pid, 0)).toThrow();
    expect(existsSync(join(project, ".tenantry", "pg", "PG_VERSION"))).toBe(true);
    expect(tenantry("down", "--local", "--reset").code).toBe(0);
    expect(existsSync(join(project, ".tenantry"))).toBe(false);
  });
});
