import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_INVALID, EXIT_OK } from "../../cli/exit-codes";
import { findProjectRoot } from "../../cli/project-root";

/*
 * Commands work from any folder inside the project: the root is the nearest folder upward with a
 * stack file in stacks/, or tenantry's Pulumi.yaml; outside any project the command says so and
 * exits 2. A stacks/ folder without a stack file (~/stacks) is no project.
 */

const REPO = join(__dirname, "..", "..");
const CLI = join(REPO, "dist", "cli", "main.js");
// realpath: tmpdir() may be a symbolic link, and the walk goes up the path as given.
const scratch = realpathSync(mkdtempSync(join(tmpdir(), "tenantry-root-")));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const tenantry = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: "utf8" });
const segment = fc.stringMatching(/^[a-z][a-z0-9_-]{0,8}$/).filter((s) => s !== "stacks");

describe("the project root", () => {
  it("is found from any folder below it, however deep, by the stack file in its stacks/ folder", () => {
    fc.assert(fc.property(fc.array(segment, { minLength: 0, maxLength: 6 }), (below) => {
      const root = mkdtempSync(join(scratch, "p-"));
      mkdirSync(join(root, "stacks"));
      writeFileSync(join(root, "stacks", "Pulumi.org-acme.yaml"), "config: {}\n");
      const deep = join(root, ...below);
      mkdirSync(deep, { recursive: true });
      expect(findProjectRoot(deep)).toBe(root);
      expect(findProjectRoot(join(root, "stacks"))).toBe(root);
    }), { numRuns: 30 });
  });

  it("is found by tenantry's Pulumi.yaml before any stack exists, and not by another project's", () => {
    const root = join(scratch, "fresh");
    mkdirSync(join(root, "platform"), { recursive: true });
    writeFileSync(join(root, "Pulumi.yaml"), "name: tenantry\nruntime: nodejs\n");
    writeFileSync(join(root, "platform", "Pulumi.yaml"), "name: tenantry-platform\nruntime: nodejs\n");
    expect(findProjectRoot(join(root, "platform"))).toBe(root);
    const other = join(scratch, "other");
    mkdirSync(other);
    writeFileSync(join(other, "Pulumi.yaml"), "name: someone-else\n");
    expect(findProjectRoot(other)).toBeUndefined();
  });

  it("is not a folder whose stacks/ holds no stack file, whatever else it holds; one stack file makes it one (control)", () => {
    const unrelated = fc.oneof(
      fc.stringMatching(/^[a-z][a-z0-9._-]{0,12}$/).filter((name) => !/^Pulumi\..+\.ya?ml$/.test(name)),
      fc.constantFrom("Pulumi.yaml", "Pulumi.yml", "pulumi.org-acme.yaml", "Pulumi.org-acme.json", "Pulumi..yaml.bak", "stack.yaml", "README.md"),
    );
    fc.assert(fc.property(fc.uniqueArray(unrelated, { maxLength: 4 }), fc.array(segment, { maxLength: 4 }), fc.boolean(), (files, below, subfolder) => {
      // A home folder with a stacks/ of its own (empty, or other things), and a folder below it outside any project.
      const home = mkdtempSync(join(scratch, "home-"));
      mkdirSync(join(home, "stacks"));
      for (const file of files) writeFileSync(join(home, "stacks", file), "x\n");
      // A folder named like a stack file is not one.
      if (subfolder) mkdirSync(join(home, "stacks", "Pulumi.org-acme.yaml"));
      const cwd = join(home, "work", ...below);
      mkdirSync(cwd, { recursive: true });
      expect(findProjectRoot(cwd)).toBeUndefined();
      if (subfolder) return;
      writeFileSync(join(home, "stacks", "Pulumi.org-acme.yaml"), "config: {}\n");
      expect(findProjectRoot(cwd)).toBe(home);
    }), { numRuns: 40 });
  });

  it("is the project below a stray stacks/ folder, found by its stack file or by tenantry's Pulumi.yaml", () => {
    const home = join(scratch, "stray");
    mkdirSync(join(home, "stacks"), { recursive: true });
    writeFileSync(join(home, "stacks", "Pulumi.org-other.yaml"), "config: {}\n");
    const byStacks = join(home, "code", "by-stacks");
    mkdirSync(join(byStacks, "stacks"), { recursive: true });
    writeFileSync(join(byStacks, "stacks", "Pulumi.org-acme.yaml"), "config: {}\n");
    const byProject = join(home, "code", "by-project");
    mkdirSync(join(byProject, "stacks"), { recursive: true });
    writeFileSync(join(byProject, "Pulumi.yaml"), "name: tenantry\nruntime: nodejs\n");
    expect(findProjectRoot(join(byStacks, "stacks"))).toBe(byStacks);
    expect(findProjectRoot(byProject)).toBe(byProject);
    expect(findProjectRoot(join(home, "code"))).toBe(home);
  });

  it("is none outside any project", () => {
    expect(findProjectRoot(scratch)).toBeUndefined();
  });
});

describe("a command run below the project root", () => {
  it("finds stacks by name from stacks/ and from platform/ (which is another Pulumi project)", () => {
    for (const cwd of [join(REPO, "stacks"), join(REPO, "platform")]) {
      const run = tenantry(cwd, "validate", "org-acme");
      expect([run.status, run.stdout]).toEqual([EXIT_OK, expect.stringMatching(/^org-acme: valid \(stacks\/Pulumi\.org-acme\.yaml\)/)]);
    }
  });

  it("reads a stack path relative to where it was typed", () => {
    const run = tenantry(join(REPO, "stacks"), "validate", "./Pulumi.org-globex.yaml");
    expect([run.status, run.stdout]).toEqual([EXIT_OK, expect.stringMatching(/^org-globex: valid \(stacks\/Pulumi\.org-globex\.yaml\)/)]);
  });

  it("outside any project exits 2, saying what it looked for; help needs no project", () => {
    const run = tenantry(scratch, "validate", "org-acme");
    expect([run.status, run.stdout, run.stderr]).toEqual([EXIT_INVALID, "",
      `error: not inside a tenantry project: no folder from ${scratch} up holds a stacks/ folder with a Pulumi.<stack>.yaml stack file, or the Pulumi.yaml of project tenantry; run tenantry from the project or any folder in it\n`]);
    expect(tenantry(scratch, "--help").status).toBe(EXIT_OK);
  });
});
