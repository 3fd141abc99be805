import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { stackNameOf } from "../harness/stack-file";
import { SpecError } from "../spec/spec-errors";

/*
 * Where the project is, so every command works from any folder inside it (`cd stacks && tenantry
 * check org-acme`). A folder is the project's root when it holds a `stacks/` folder with at least
 * one stack file `Pulumi.<stack>.yaml` (all a project needs for check, up --local and the rest) or
 * the `Pulumi.yaml` of project `tenantry` (a fresh project without stacks yet). A `stacks/` folder
 * alone is not enough: ~/stacks or any folder of that name would otherwise capture every command
 * run below it. The nearest such folder upward from the working directory wins; another Pulumi
 * project's Pulumi.yaml (platform/'s) is passed over.
 * Stack paths typed on the command line stay relative to the working directory.
 */

const PROJECT_NAME = "tenantry";

/** The nearest project root at or above `start`, or undefined outside any project. */
export function findProjectRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (holdsStackFiles(join(dir, "stacks")) || isTenantryProject(join(dir, "Pulumi.yaml"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** {@link findProjectRoot}, or exit 2 with a message that says what was looked for. */
export function projectRoot(start: string): string {
  const root = findProjectRoot(start);
  if (root !== undefined) return root;
  throw new SpecError([{
    field: "project",
    message: `not inside a tenantry project: no folder from ${start} up holds a stacks/ folder with a Pulumi.<stack>.yaml stack file, or the Pulumi.yaml of project ${PROJECT_NAME}; run tenantry from the project or any folder in it`,
  }]);
}

function holdsStackFiles(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isDirectory()) return false;
  try {
    return readdirSync(path, { withFileTypes: true }).some((entry) => !entry.isDirectory() && stackNameOf(entry.name) !== undefined);
  } catch {
    // A folder we may not read is not where our project's stacks are.
    return false;
  }
}

function isTenantryProject(path: string): boolean {
  if (!existsSync(path)) return false;
  try {
    const project = parse(readFileSync(path, "utf8")) as { name?: unknown } | null;
    return project?.name === PROJECT_NAME;
  } catch {
    // Not YAML: not a Pulumi project file of ours, whatever it is.
    return false;
  }
}
