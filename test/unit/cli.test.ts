import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_INVALID, EXIT_OK } from "../../cli/exit-codes";

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

const PROVIDER_YAML = "config:\n  postgresql:host: pg.tenants.internal\n  postgresql:username: tenantry_admin\n  postgresql:sslmode: require\n  postgresql:superuser: \"false\"\n";

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
    expect(stdout).toContain("└─ tenantry:index:OrgTenant org-acme");
    expect(stdout).toContain("postgresql:Database org-acme-db-database  [protect]  [retainOnDelete]");
    expect(stdout).toMatch(/postgresql:Role org-acme-db-prod-runtime .*password=\[secret\]/);
    expect(stdout).toContain("88 resources to create");
  });

  it("exits 2 and registers nothing for an invalid org", () => {
    const path = stackFileWith(`${PROVIDER_YAML}  tenantry:org:\n    slug: acme\n    workspaces: []\n`);
    const { code, stdout, stderr } = tenantry("plan", path);
    expect([code, stdout]).toEqual([EXIT_INVALID, ""]);
    expect(stderr).toBe("error: tenantry:org.workspaces must list 1..20 workspaces\n");
  });
});

describe("tenantry check", () => {
  it("exits 0 for the example org and says so", () => {
    const { code, stdout } = tenantry("check", "org-acme");
    expect([code, stdout]).toEqual([EXIT_OK, "org-acme: 88 resources, no policy violations (tenantry-security v0.1.0)\n"]);
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
