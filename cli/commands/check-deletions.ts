import { join } from "node:path";
import { SpecError } from "../../components/spec-errors";
import { orgStackFiles } from "../../harness/stack-file";
import { deletedStacks, orgStackOfPath } from "../changed-stacks";
import { judgeDeletion, type DeletionVerdict } from "../deletion-check";
import { EXIT_OK } from "../exit-codes";
import { changedFilesSince, fileAtRef, isFirstPush } from "../git-changes";

/**
 * `tenantry check-deletions --base <ref>`: refuses (exit 2) a change that deletes the stack file
 * of an org not marked for offboarding on `<ref>`; prints each allowed deletion and why.
 */
export async function checkDeletions(options: { base: string }, projectDir: string): Promise<number> {
  const { base } = options;
  // A gate that cannot see the base cannot judge: it refuses rather than pass.
  if (isFirstPush(base)) throw new SpecError([{ field: "base", message: "check-deletions needs the base commit the change is compared with; a first push has none" }]);
  const files = changedFilesSince(base, projectDir);
  const existing = orgStackFiles(join(projectDir, "stacks")).map((f) => f.stack);
  const verdicts = deletedStacks(files, existing).map((stack): DeletionVerdict => {
    const paths = files.filter((file) => orgStackOfPath(file) === stack);
    const atBase = paths.map((path) => ({ stack, path, baseText: fileAtRef(base, path, projectDir) }));
    const judged = atBase.find((file) => file.baseText !== undefined) ?? atBase[0];
    if (judged === undefined) throw new Error(`internal: deleted stack ${stack} has no path`);
    return judgeDeletion(judged, base, new Date());
  });
  if (verdicts.length === 0) console.log("no org stack file is deleted by this change");
  for (const verdict of verdicts) if (verdict.allowed) console.log(`${verdict.stack}: may be deleted: ${verdict.why}`);
  const refused = verdicts.flatMap((v) => (v.allowed ? [] : [{ field: v.stack, message: `${v.stack}: refused: ${v.message}` }]));
  if (refused.length > 0) throw new SpecError(refused);
  return EXIT_OK;
}
