import { readFileSync } from "node:fs";
import { join } from "node:path";
import { SpecError } from "../../spec/spec-errors";
import { orgStackFiles } from "../../harness/stack-file";
import { deletedStacks, orgStackOfPath } from "../changed-stacks";
import { judgeDeletion, judgeMarkedChange, type DeletionVerdict } from "../deletion-check";
import { EXIT_OK } from "../exit-codes";
import { changedFilesSince, fileAtRef, isFirstPush } from "../git-changes";

/**
 * `tenantry check-deletions --base <ref>`: refuses (exit 2) a change that deletes the stack file
 * of an org not marked for offboarding on `<ref>`, or that takes an environment or workspace
 * away from an org marked for offboarding; prints each allowed change and why.
 */
export async function checkDeletions(options: { base: string }, projectDir: string): Promise<number> {
  const { base } = options;
  // A gate that cannot see the base cannot judge: it refuses rather than pass.
  if (isFirstPush(base)) throw new SpecError([{ field: "base", message: "check-deletions needs the base commit the change is compared with; a first push has none" }]);
  const files = changedFilesSince(base, projectDir);
  const stackFiles = orgStackFiles(join(projectDir, "stacks"));
  /** The stack's file as the base has it, under whichever of the change's paths it had there. */
  const atBase = (stack: string) => {
    const paths = files.filter((file) => orgStackOfPath(file) === stack);
    const found = paths.map((path) => ({ stack, path, baseText: fileAtRef(base, path, projectDir) }));
    const judged = found.find((file) => file.baseText !== undefined) ?? found[0];
    if (judged === undefined) throw new Error(`internal: changed stack ${stack} has no path`);
    return judged;
  };
  const existing = stackFiles.map((f) => f.stack);
  const verdicts: DeletionVerdict[] = deletedStacks(files, existing).map((stack) => judgeDeletion(atBase(stack), base, new Date()));
  // The stacks the change touched and kept: a marked org's may not shed an environment or workspace.
  for (const { stack, path } of stackFiles.filter((f) => files.some((file) => orgStackOfPath(file) === f.stack))) {
    const verdict = judgeMarkedChange({ ...atBase(stack), headText: readFileSync(path, "utf8") }, base, new Date());
    if (verdict !== undefined) verdicts.push(verdict);
  }
  if (verdicts.length === 0) console.log("no org stack file is deleted by this change, and no org marked for offboarding is changed");
  for (const verdict of verdicts) if (verdict.allowed) console.log(`${verdict.stack}: ${verdict.why}`);
  const refused = verdicts.flatMap((v) => (v.allowed ? [] : [{ field: v.stack, message: `${v.stack}: refused: ${v.message}` }]));
  if (refused.length > 0) throw new SpecError(refused);
  return EXIT_OK;
}
