import { spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as postgresql from "@pulumi/postgresql";
import { afterAll, describe, expect, it } from "vitest";
import { check } from "../../cli/commands/check";
import program from "../../index";
import { EXIT_INTERNAL, EXIT_INVALID, EXIT_OK } from "../../cli/exit-codes";

/*
 * The built command, exactly as `npx tenantry` runs it (npm test builds first). Exit codes and
 * messages are the contract CI and users rely on.
 */
const PROJECT_DIR = join(__dirname, "..", "..");
const CLI = join(PROJECT_DIR, "dist", "cli", "main.js");

function tenantry(...args: string[]) {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: PROJECT_DIR, encoding: "utf8" });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

const PROVIDER_YAML = "config:\n  postgresql:host: pg.tenants.internal\n  postgresql:username: tenantry\n  postgresql:sslmode: require\n  postgresql:superuser: \"false\"\n  postgresql:maxConnections: \"2\"\n";

const scratch = mkdtempSync(join(tmpdir(), "tenantry-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;

function stackFileWith(body: string, name = "Pulumi.org-acme.yaml"): string {
  const dir = join(scratch, String((files += 1)));
  mkdirSync(dir);
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

describe("tenantry validate", () => {
  it("exits 0 for the example org", () => {
    const { code, stdout } = tenantry("validate", "org-acme");
    expect([code, stdout]).toEqual([EXIT_OK, expect.stringContaining("org-acme: valid")]);
  });

  it("exits 2 with the field-naming message for a bad file", () => {
    const path = stackFileWith(`${PROVIDER_YAML}  tenantry:org:\n    slug: acme\n    workspaces: [{ slug: web }]\n    quotas: { statementTimeoutMs: 0 }\n`);
    const { code, stderr } = tenantry("validate", path);
    expect(code).toBe(EXIT_INVALID);
    expect(stderr).toBe("error: tenantry:org.quotas.statementTimeoutMs must be an integer 100..60000 (got 0)\n");
  });

  it("exits 2 for a stack that does not exist, saying where it looked", () => {
    const { code, stderr } = tenantry("validate", "org-nobody");
    expect([code, stderr]).toEqual([EXIT_INVALID, "error: stack org-nobody not found (looked for stacks/Pulumi.org-nobody.yaml)\n"]);
  });

  it("exits 2 for YAML it cannot parse, without quoting the file", () => {
    const { code, stderr } = tenantry("validate", stackFileWith("config: [unclosed\n  password: hunter2"));
    expect(code).toBe(EXIT_INVALID);
    expect(stderr).not.toContain("hunter2");
  });

  it("exits 2 for an unknown command", () => {
    expect(tenantry("deploy-everything").code).toBe(EXIT_INVALID);
  });
});

describe("tenantry plan", () => {
  it("prints the tree of the example org with secrets masked", () => {
    const { code, stdout } = tenantry("plan", "org-acme");
    expect(code).toBe(EXIT_OK);
    expect(stdout).toContain("├─ tenantry:index:OrgTenant org-acme");
    expect(stdout).toMatch(/pulumi:providers:aws org-acme-aws .*region=eu-west-1/);
    expect(stdout).toContain("postgresql:Database org-acme-db-database  [protect]  [retainOnDelete]");
    expect(stdout).toMatch(/postgresql:Role org-acme-db-prod-runtime .*password=\[secret\]/);
    expect(stdout).toContain("123 resources to create");
    expect(stdout).toMatch(/cloudflare:WorkersScript org-acme-edge-router .*content=\[\d+ bytes of Worker code\]/);
  });

  it("exits 2 and registers nothing for an invalid org", () => {
    const path = stackFileWith(`${PROVIDER_YAML}  tenantry:org:\n    slug: acme\n    workspaces: []\n`);
    const { code, stdout, stderr } = tenantry("plan", path);
    expect([code, stdout]).toEqual([EXIT_INVALID, ""]);
    expect(stderr).toBe("error: tenantry:org.workspaces must list 1..200 workspaces\n");
  });
});

describe("tenantry check", () => {
  it("exits 0 for the example org and says so", () => {
    const { code, stdout } = tenantry("check", "org-acme");
    expect([code, stdout]).toEqual([EXIT_OK, "org-acme: 123 resources, no policy violations (tenantry-security v0.1.0)\n"]);
  });

  it("prints the JSON contract with --json", () => {
    const { code, stdout } = tenantry("check", "org-globex", "--json");
    expect(code).toBe(EXIT_OK);
    expect(JSON.parse(stdout)).toEqual({ stack: "org-globex", resources: expect.any(Number), violations: [] });
  });

  it("exits 2 for invalid input, naming the field", () => {
    const path = stackFileWith(`${PROVIDER_YAML}  tenantry:org:\n    slug: acme\n    workspaces: [{ slug: web }]\n    tier: gold\n`);
    const { code, stderr } = tenantry("check", path);
    expect([code, stderr]).toEqual([EXIT_INVALID, "error: tenantry:org.tier must be production or sandbox\n"]);
  });
});

describe("tenantry check: violations, --all, and secrets", () => {
  const PLANTED = "Zq7vX2kP9mW4tR8yB3nL6cF1hJ5planted";

  it("exits 1 and prints violations grouped by policy, as pulumi preview does", async () => {
    const printed: string[] = [];
    const log = console.log;
    console.log = (line: string) => printed.push(line);
    try {
      const code = await check("org-acme", {}, PROJECT_DIR, { program: async () => {
        const outputs = await program();
        new postgresql.Role("org-acme-rogue", { name: "tn_acme_rogue", login: false, superuser: true, createRole: true });
        return outputs;
      } });
      expect(code).toBe(1);
    } finally {
      console.log = log;
    }
    expect(printed.join("\n")).toBe([
      "Policy Violations:",
      "    [mandatory]  tenantry-security v0.1.0  postgres-role-no-privileged-attributes (org-acme-rogue: postgresql:index/role:Role)",
      "    Tenant roles never hold SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS; the platform cluster's provisioning login holds CREATEDB and CREATEROLE only.",
      "    Role org-acme-rogue must not hold superuser, createRole: set them to false.",
      "    [mandatory]  tenantry-security v0.1.0  postgres-roles-match-allowed-kinds (org-acme-rogue: postgresql:index/role:Role)",
      "    Every Role is one of the org's role kinds (owner and audit NOLOGIN; runtime, DDL and break-glass LOGIN), named as the program names it, with no membership of its own.",
      "    Role org-acme-rogue (tn_acme_rogue) is none of org acme's roles (tn_acme_owner, tn_acme_audit, tn_acme_dev_runtime, tn_acme_dev_ddl, tn_acme_test_runtime, tn_acme_test_ddl, tn_acme_prod_runtime, tn_acme_prod_ddl).",
      "    [mandatory]  tenantry-security v0.1.0  postgres-org-provider (org-acme-rogue: postgresql:index/role:Role)",
      "    Every Postgres resource uses its org's explicit Postgres provider, which holds only the stack's validated host, port, login, database and TLS mode, and is no superuser.",
      "    org-acme-rogue must use the org's postgresql provider org-acme-postgresql, but uses the default provider pulumi:providers:postgresql::default_3_18_1, which reads the deploy job's configuration.",
      "",
      "org-acme: 3 policy violation(s) in 125 resources",
    ].join("\n"));
  });

  it("never prints a planted credential: not from a plain-text password, a secret reference or a line of broken YAML", () => {
    const plain = tenantry("check", stackFileWith(`${PROVIDER_YAML}  postgresql:password: ${PLANTED}\n  tenantry:org:\n    slug: acme\n    workspaces: [{ slug: web }]\n`));
    const reference = tenantry("check", stackFileWith(`${PROVIDER_YAML}  tenantry:org:\n    slug: acme\n    workspaces: [{ slug: web }]\n    secrets: [{ name: DB, scope: dev, ref: "postgres://app:${PLANTED}@db/acme" }]\n`));
    const broken = tenantry("check", stackFileWith(`${PROVIDER_YAML}  postgresql:password: [${PLANTED}\n  tenantry:org: {`), "--json");
    expect([plain.code, reference.code, broken.code]).toEqual([EXIT_INVALID, EXIT_INVALID, EXIT_INVALID]);
    for (const { stdout, stderr } of [plain, reference, broken]) expect(stdout + stderr).not.toContain(PLANTED);
  });

  it("--all checks every stack, a bad one hiding no other, and exits with the worst outcome", () => {
    const project = join(scratch, "all");
    mkdirSync(join(project, "stacks"), { recursive: true });
    const good = (slug: string) => `${PROVIDER_YAML}  tenantry:org:\n    slug: ${slug}\n    workspaces: [{ slug: web }]\n`;
    writeFileSync(join(project, "stacks", "Pulumi.org-aaa.yaml"), good("aaa"));
    writeFileSync(join(project, "stacks", "Pulumi.org-bbb.yaml"), `${good("bbb")}    quotas: { statementTimeoutMs: 0 }\n`);
    writeFileSync(join(project, "stacks", "Pulumi.org-ccc.yaml"), `${good("ccc")}  postgresql:password: ${PLANTED}\n`);
    writeFileSync(join(project, "stacks", "Pulumi.org-ddd.yaml"), good("ddd"));
    const run = (...args: string[]) => spawnSync(process.execPath, [CLI, "check", "--all", ...args], { cwd: project, encoding: "utf8" });
    const text = run("--concurrency", "2");
    expect(text.status).toBe(EXIT_INVALID);
    expect(text.stdout).toContain("org-bbb: invalid\n    error: tenantry:org.quotas.statementTimeoutMs must be an integer 100..60000 (got 0)");
    expect(text.stdout).toContain("org-ccc: invalid\n    error: postgresql:password must be a secret");
    expect(text.stdout).toContain("4 stacks: 2 compliant, 0 with violations, 2 invalid, 0 failed");
    const json = run("--json");
    expect(JSON.parse(json.stdout)).toEqual({
      stacks: [
        { stack: "org-aaa", resources: expect.any(Number), violations: [] },
        { stack: "org-bbb", errors: [expect.stringContaining("statementTimeoutMs")] },
        { stack: "org-ccc", errors: [expect.stringContaining("postgresql:password")] },
        { stack: "org-ddd", resources: expect.any(Number), violations: [] },
      ],
      summary: { stacks: 4, compliant: 2, violations: 0, invalid: 2, failed: 0 },
      fleet: { problems: [] },
    });
    for (const output of [text, json]) expect(output.stdout + output.stderr).not.toContain(PLANTED);
  });

  it("exits 2 for a stack together with --all, a concurrency outside 1..64 or without --all, and a project without stacks", () => {
    expect(tenantry("check", "org-acme", "--all").code).toBe(EXIT_INVALID);
    expect(tenantry("check").code).toBe(EXIT_INVALID);
    expect(tenantry("check", "--all", "--concurrency", "0").code).toBe(EXIT_INVALID);
    expect(tenantry("check", "--all", "--concurrency", "65").code).toBe(EXIT_INVALID);
    expect(tenantry("check", "org-acme", "--concurrency", "2").code).toBe(EXIT_INVALID);
    // A fresh project: tenantry's Pulumi.yaml and a stacks/ without stacks yet.
    const empty = join(scratch, "empty");
    mkdirSync(join(empty, "stacks"), { recursive: true });
    writeFileSync(join(empty, "Pulumi.yaml"), "name: tenantry\nruntime: nodejs\n");
    const inEmpty = spawnSync(process.execPath, [CLI, "check", "--all"], { cwd: empty, encoding: "utf8" });
    expect([inEmpty.status, inEmpty.stderr]).toEqual([EXIT_INVALID, "error: no Pulumi.<stack>.yaml file in stacks/ is selected: nothing to check\n"]);
    const inScratch = spawnSync(process.execPath, [CLI, "check", "--all"], { cwd: scratch, encoding: "utf8" });
    expect(inScratch.status).toBe(EXIT_INVALID);
  });

  it("--all never reports success when a worker process is killed mid-run", async () => {
    const project = join(scratch, "killed");
    mkdirSync(join(project, "stacks"), { recursive: true });
    for (let i = 0; i < 24; i += 1) {
      writeFileSync(join(project, "stacks", `Pulumi.org-k${i}.yaml`), `${PROVIDER_YAML}  tenantry:org:\n    slug: k${i}\n    workspaces: [{ slug: web }]\n`);
    }
    const child = spawn(process.execPath, [CLI, "check", "--all", "--concurrency", "2"], { cwd: project });
    const exited = new Promise<number | null>((done) => child.on("exit", done));
    // Kill the first worker process seen: mid-task or between tasks, the run must fail.
    let killed = false;
    for (let attempt = 0; attempt < 100 && !killed; attempt += 1) {
      await new Promise((done) => setTimeout(done, 100));
      const workers = spawnSync("pgrep", ["-P", String(child.pid), "-f", "check-worker.js"], { encoding: "utf8" }).stdout.trim().split("\n").filter(Boolean);
      if (workers[0] !== undefined) {
        await new Promise((done) => setTimeout(done, 300));
        process.kill(Number(workers[0]), "SIGKILL");
        killed = true;
      }
    }
    expect(killed).toBe(true);
    expect(await exited).toBe(EXIT_INTERNAL);
  }, 60_000);
});

describe("tenantry prove: which server", () => {
  it("exits 2 without --local or --server-url, naming both", () => {
    const { code, stderr } = tenantry("prove", "org-acme");
    expect([code, stderr]).toEqual([EXIT_INVALID, "error: tenantry prove needs --local (the embedded Postgres) or --server-url <url> (a deployed server, read-only)\n"]);
  });

  it("exits 2 for --server-url with more than one stack: a URL is one deployed server", () => {
    const { code, stderr } = tenantry("prove", "org-acme", "org-globex", "--server-url", "postgres://tenantry@127.0.0.1/postgres");
    expect([code, stderr]).toEqual([EXIT_INVALID, "error: --server-url proves one stack: name exactly one\n"]);
  });
});
