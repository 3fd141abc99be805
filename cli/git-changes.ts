import { execFileSync } from "node:child_process";
import { SpecError } from "../spec/spec-errors";

/*
 * What git says about a change: the files it touched since the base, and a file as the base has
 * it. `changed-stacks` and `check-deletions` read the same list, so they can never disagree.
 */

/** GitHub's "before" of a branch's first push is all zeros: there is no base to compare with. */
export const isFirstPush = (base: string) => /^0{40}$/.test(base);

function git(args: readonly string[], projectDir: string): string {
  return execFileSync("git", [...args], { cwd: projectDir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 64 * 1024 * 1024 });
}

/**
 * The paths the change touched since it left `base`. Three dots: what the branch changed, not
 * what the base did meanwhile. No rename detection: a renamed stack file is a deletion of one
 * path and an addition of another, and both must be seen.
 */
export function changedFilesSince(base: string, projectDir: string): string[] {
  try {
    return git(["diff", "--name-only", "--no-renames", `${base}...HEAD`], projectDir).split("\n").filter(Boolean);
  } catch {
    throw new SpecError([{ field: "base", message: `git cannot compare ${base}...HEAD here: fetch the base branch first (actions/checkout with fetch-depth: 0)` }]);
  }
}

/** `path` as it is at `ref`, or undefined when `ref` has no such file. */
export function fileAtRef(ref: string, path: string, projectDir: string): string | undefined {
  try {
    git(["rev-parse", "--verify", "--quiet", `${ref}^{commit}`], projectDir);
  } catch {
    throw new SpecError([{ field: "base", message: `git knows no commit ${ref} here: fetch the base branch first (actions/checkout with fetch-depth: 0)` }]);
  }
  try {
    return git(["show", `${ref}:${path}`], projectDir);
  } catch {
    return undefined;
  }
}
