import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { SpecError } from "../../components/spec-errors";
import { orgStackFiles, readStackFile } from "../../harness/stack-file";
import { changedStacks } from "../changed-stacks";
import { EXIT_OK } from "../exit-codes";

/**
 * `tenantry changed-stacks --base <ref> [--json]`: the org stacks a pull request or a merge
 * touches, one per line (or a JSON array, for a GitHub Actions matrix).
 */
export async function changedStacksCommand(options: { base: string; json?: boolean; tier?: string }, projectDir: string): Promise<number> {
  const existing = orgStackFiles(join(projectDir, "stacks")).map((f) => f.stack);
  // GitHub's "before" of a branch's first push is all zeros: there is no base, so every stack.
  const firstPush = /^0{40}$/.test(options.base);
  let diff = "";
  if (!firstPush) try {
    // Three dots: what the branch changed since it left the base, not what the base did since.
    diff = execFileSync("git", ["diff", "--name-only", `${options.base}...HEAD`], { cwd: projectDir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch {
    throw new SpecError([{ field: "base", message: `git cannot compare ${options.base}...HEAD here: fetch the base branch first (actions/checkout with fetch-depth: 0)` }]);
  }
  const stacks = (firstPush ? [...existing].sort() : changedStacks(diff.split("\n").filter(Boolean), existing))
    .filter((stack) => options.tier === undefined || tierOf(join(projectDir, "stacks", `Pulumi.${stack}.yaml`)) === options.tier);
  console.log(options.json === true ? JSON.stringify(stacks) : stacks.join("\n"));
  return EXIT_OK;
}

/** The org's tier as its stack file states it (production when unset, as the spec defaults). */
function tierOf(path: string): string {
  const org = JSON.parse(readStackFile(path).values["tenantry:org"] ?? "{}") as { tier?: string };
  return org.tier ?? "production";
}
