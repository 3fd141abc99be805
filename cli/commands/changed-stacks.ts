import { join } from "node:path";
import { orgStackFiles, readStackFile } from "../../harness/stack-file";
import { changedStacks, deletedStacks } from "../changed-stacks";
import { EXIT_OK } from "../exit-codes";
import { changedFilesSince, isFirstPush } from "../git-changes";

/**
 * `tenantry changed-stacks --base <ref> [--json] [--tier <tier>]`: the org stacks a pull request
 * or a merge touches, one per line on stdout (so a shell loop can run them), and the ones whose
 * stack file it deleted, on stderr. `--json` prints `{ "stacks": [...], "deleted": [...] }`;
 * `stacks` is a GitHub Actions matrix. `--tier` filters `stacks` only: a deleted stack has no
 * file left to read its tier from, and every deletion must be seen.
 */
export async function changedStacksCommand(options: { base: string; json?: boolean; tier?: string }, projectDir: string): Promise<number> {
  const existing = orgStackFiles(join(projectDir, "stacks")).map((f) => f.stack);
  // A branch's first push has no base: every stack, and no deletion can be told.
  const files = isFirstPush(options.base) ? undefined : changedFilesSince(options.base, projectDir);
  const stacks = (files === undefined ? [...existing].sort() : changedStacks(files, existing))
    .filter((stack) => options.tier === undefined || tierOf(join(projectDir, "stacks", `Pulumi.${stack}.yaml`)) === options.tier);
  const deleted = files === undefined ? [] : deletedStacks(files, existing);
  if (options.json === true) {
    console.log(JSON.stringify({ stacks, deleted }));
  } else {
    if (stacks.length > 0) console.log(stacks.join("\n"));
    for (const stack of deleted) console.error(`deleted: ${stack} (its stack file is gone; tenantry check-deletions decides whether the change may delete it)`);
  }
  return EXIT_OK;
}

/** The org's tier as its stack file states it (production when unset, as the spec defaults). */
function tierOf(path: string): string {
  const org = JSON.parse(readStackFile(path).values["tenantry:org"] ?? "{}") as { tier?: string };
  return org.tier ?? "production";
}
