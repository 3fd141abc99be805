import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { packageRoot, versionText } from "../../cli/version";
import { gitIn } from "../helpers/cli-project";

/*
 * `tenantry --version`: the package's own version, read from package.json when asked, and the
 * commit only when the package is a checkout of its own.
 */

const REPO = join(__dirname, "..", "..");
const CLI = join(REPO, "dist", "cli", "main.js");
const scratch = mkdtempSync(join(tmpdir(), "tenantry-version-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function packageAt(dir: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "tenantry", version }));
  return dir;
}

describe("tenantry --version", () => {
  it("prints package.json's version and this checkout's commit, and exits 0", () => {
    const { version } = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { version: string };
    const commit = gitIn(REPO)("rev-parse", "--short", "HEAD").trim();
    for (const flag of ["--version", "-V"]) {
      const run = spawnSync(process.execPath, [CLI, flag], { cwd: scratch, encoding: "utf8" });
      expect([run.status, run.stdout, run.stderr]).toEqual([0, `tenantry ${version} (commit ${commit})\n`, ""]);
    }
  });

  it("reads the version when asked: a package.json with another version prints that one", () => {
    expect(versionText(packageAt(join(scratch, "plain"), "9.8.7"))).toBe("tenantry 9.8.7");
  });

  it("names the commit of a package that is a checkout of its own, and none inside another repository", () => {
    const own = packageAt(join(scratch, "own"), "1.2.3");
    const git = gitIn(own);
    git("init", "-q");
    git("add", "package.json");
    git("commit", "-q", "-m", "first");
    expect(versionText(own)).toBe(`tenantry 1.2.3 (commit ${git("rev-parse", "--short", "HEAD").trim()})`);
    // Installed as a dependency of that repository: its commit is not tenantry's.
    const dependency = packageAt(join(own, "node_modules", "tenantry"), "1.2.4");
    expect(versionText(dependency)).toBe("tenantry 1.2.4");
  });

  it("still prints the version where git is not installed", () => {
    const run = spawnSync(process.execPath, [CLI, "--version"], { cwd: scratch, encoding: "utf8", env: { PATH: "/nonexistent" } });
    expect([run.status, run.stdout]).toEqual([0, expect.stringMatching(/^tenantry \d+\.\d+\.\d+\n$/)]);
  });

  it("finds tenantry's own package.json from the source and from the build", () => {
    expect(packageRoot(join(REPO, "cli"))).toBe(REPO);
    expect(packageRoot(join(REPO, "dist", "cli"))).toBe(REPO);
  });
});
