import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { parse } from "yaml";
import { SpecError } from "../spec/spec-errors";

/*
 * Where the project is, so every command works from any folder inside it (`cd stacks && tenantry
 * check org-acme`). A folder is the project's root when it holds a `stacks/` folder (the org stack
 * files, all a project needs for check, up --local and the rest) or the `Pulumi.yaml` of project
 * `tenantry` (a fresh project without stacks yet). The nearest such folder upward from the
 * working directory wins; another Pulumi project's Pulumi.yaml (platform/'s) is passed over.
 * Stack paths typed on the command line stay relative to the working directory.
 */

const PROJECT_NAME = "tenantry";

/** The nearest project root at or above `start`, or undefined outside any project. */
export function findProjectRoot(start: string): string | undefined {
  for (let dir = start; ; dir = dirname(dir)) {
    if (isDirectory(join(dir, "stacks")) || isTenantryProject(join(dir, "Pulumi.yaml"))) return dir;
    if (dirname(dir) === dir) return undefined;
  }
}

/** {@link findProjectRoot}, or exit 2 with a message that says what was looked for. */
export function projectRoot(start: string): string {
  const root = findProjectRoot(start);
  if (root !== undefined) return root;
  throw new SpecError([{
    field: "project",
    message: `not inside a tenantry project: no folder from ${start} up holds a stacks/ folder or the Pulumi.yaml of project ${PROJECT_NAME}; run tenantry from the project or any folder in it`,
  }]);
}

function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
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
