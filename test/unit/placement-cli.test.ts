import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_INVALID, EXIT_OK, EXIT_VIOLATIONS } from "../../cli/exit-codes";

/*
 * The fleet check and `tenantry placement plan` through the built CLI, over a project whose
 * platform declares clusters and whose stacks place orgs on them: the stack-file authors who,
 * each with a valid stack, together over-commit a cluster.
 */

const CLI = join(__dirname, "..", "..", "dist", "cli", "main.js");
const scratch = mkdtempSync(join(tmpdir(), "tenantry-placement-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const PLATFORM = `config:
  tenantry:platform:
    clusters:
      - { name: pg-eu-1, region: eu-west-1, engineVersion: "17", instanceClass: db.r7g.large, instances: 2, maxConnections: 50, maxDatabases: 10, reserveConnections: 10 }
      - { name: pg-us-1, region: us-east-1, engineVersion: "17", instanceClass: db.r7g.large, instances: 2, maxConnections: 100, maxDatabases: 10, reserveConnections: 10 }
`;

const placedOrg = (slug: string, cluster: string) => `config:
  postgresql:username: tenantry
  postgresql:sslmode: require
  postgresql:superuser: "false"
  postgresql:maxConnections: "2"
  tenantry:org:
    slug: ${slug}
    workspaces: [{ slug: web }]
    quotas: { maxConnections: 20 }
    placement: { cluster: ${cluster} }
`;

let projects = 0;
function project(orgs: Record<string, string>): string {
  const dir = join(scratch, String((projects += 1)));
  mkdirSync(join(dir, "stacks"), { recursive: true });
  mkdirSync(join(dir, "platform"));
  writeFileSync(join(dir, "Pulumi.yaml"), "name: tenantry\nruntime: nodejs\nstackConfigDir: stacks\n");
  writeFileSync(join(dir, "platform", "Pulumi.platform.yaml"), PLATFORM);
  for (const [slug, cluster] of Object.entries(orgs)) writeFileSync(join(dir, "stacks", `Pulumi.org-${slug}.yaml`), placedOrg(slug, cluster));
  return dir;
}

const tenantry = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8" });

describe("the fleet check in check --all", () => {
  it("fails an over-committed cluster with exit 1, the cluster and the numbers, though every stack alone is compliant", () => {
    const dir = project({ aaa: "pg-eu-1", bbb: "pg-eu-1", ccc: "pg-eu-1", ddd: "pg-us-1" });
    const text = tenantry(dir, "check", "--all", "--concurrency", "2");
    expect(text.status).toBe(EXIT_VIOLATIONS);
    expect(text.stdout).toContain("fleet placement refused (docs/placement.md)\n    error: cluster pg-eu-1: 70 of 50 connections (quotas 60 + reserve 10)");
    expect(text.stdout).toContain("4 stacks: 4 compliant, 0 with violations, 0 invalid, 0 failed");
    const json = JSON.parse(tenantry(dir, "check", "--all", "--json").stdout) as { fleet: unknown };
    expect(json.fleet).toEqual({ problems: ["cluster pg-eu-1: 70 of 50 connections (quotas 60 + reserve 10)"] });
  });

  it("passes a fleet that fits, filled to the limit", () => {
    const dir = project({ aaa: "pg-eu-1", bbb: "pg-eu-1", ccc: "pg-us-1" });
    const run = tenantry(dir, "check", "--all");
    expect([run.status, run.stdout]).toEqual([EXIT_OK, expect.stringContaining("3 stacks: 3 compliant")]);
    expect(run.stdout).not.toContain("fleet placement");
  });

  it("refuses a stack placed on a cluster the platform does not declare: the stack is invalid and the fleet check names it", () => {
    const dir = project({ aaa: "pg-eu-1", zzz: "pg-ap-1" });
    const run = tenantry(dir, "check", "--all");
    expect(run.status).toBe(EXIT_INVALID);
    expect(run.stdout).toContain("org-zzz: invalid\n    error: tenantry:org.placement.cluster pg-ap-1 is not a cluster of platform stack tenantry-platform/platform (its clusters output has: pg-eu-1, pg-us-1)");
    expect(run.stdout).toContain("error: org-zzz: placement.cluster pg-ap-1 is not a cluster of tenantry:platform.clusters (pg-eu-1, pg-us-1)");
  });
});

describe("tenantry placement plan", () => {
  it("prints each cluster's databases and budget, and proposes the cluster with most headroom for each new org in turn", () => {
    const dir = project({ aaa: "pg-eu-1", bbb: "pg-us-1" });
    const run = tenantry(dir, "placement", "plan", "--new", "ccc", "ddd", "eee", "fff");
    expect(run.status).toBe(EXIT_OK);
    expect(run.stdout).toContain("cluster pg-eu-1 (eu-west-1): 1 of 10 databases, 30 of 50 connections (quotas 20 + reserve 10), 20 free\n  org-aaa  20 connections");
    expect(run.stdout).toContain("cluster pg-us-1 (us-east-1): 1 of 10 databases, 30 of 100 connections (quotas 20 + reserve 10), 70 free");
    expect(run.stdout).toContain("  org-ccc -> pg-us-1\n  org-ddd -> pg-us-1\n  org-eee -> pg-us-1\n  org-fff -> pg-eu-1");
  });

  it("exits 1 and says why when a new org fits nowhere in its region, and prints the same as JSON", () => {
    const dir = project({ aaa: "pg-eu-1" });
    const run = tenantry(dir, "placement", "plan", "--new", "bbb", "--region", "eu-west-1", "--max-connections", "30", "--json");
    expect(run.status).toBe(EXIT_VIOLATIONS);
    const json = JSON.parse(run.stdout) as { proposals: unknown; clusters: { name: string; committed: number }[] };
    expect(json.proposals).toEqual([{ stack: "org-bbb", reason: "no cluster in eu-west-1 has room for 30 more connections and one more database (pg-eu-1: 20 connections, 9 databases free)" }]);
    expect(json.clusters.map((c) => [c.name, c.committed])).toEqual([["pg-eu-1", 30], ["pg-us-1", 10]]);
  });

  it("refuses a --new slug that is not an org slug, before reading anything", () => {
    const run = tenantry(project({}), "placement", "plan", "--new", "Bad_Slug");
    expect(run.status).toBe(EXIT_INVALID);
    expect(run.stderr).toContain("--new \"Bad_Slug\"");
  });
});

describe("tenantry onboard on a platform with clusters", () => {
  it("places the new org on the proposed cluster and writes no host", () => {
    const dir = project({ aaa: "pg-eu-1" });
    const run = tenantry(dir, "onboard", "bbb");
    expect(run.status).toBe(EXIT_OK);
    const written = readFileSync(join(dir, "stacks", "Pulumi.org-bbb.yaml"), "utf8");
    expect(written).toContain("placement:\n      cluster: pg-us-1");
    expect(written).not.toContain("postgresql:host");
    expect(run.stdout).toContain("placed on cluster pg-us-1");
  });
});
