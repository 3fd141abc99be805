import type { Offboarding } from "../components/spec";
import { SpecError } from "../components/spec-errors";
import { orgSpecFromStackConfig } from "../components/stack-config";
import { parseStackFile } from "../harness/stack-file";

/*
 * May a change delete an org's stack file? Only if the org was marked for offboarding in an
 * earlier, merged change: the stack file as the base branch has it must carry the marker, as
 * the program itself reads it. A marker added by the deleting change, one the spec refuses, or
 * the word "offboarding" anywhere else in the file does not count. Pure: the command asks git.
 */

export interface DeletedStackFile {
  /** `org-<slug>` */
  readonly stack: string;
  /** The deleted path, e.g. `stacks/Pulumi.org-acme.yaml`. */
  readonly path: string;
  /** The file's text on the base branch; undefined when the base has no such file. */
  readonly baseText: string | undefined;
}

export type DeletionVerdict =
  | { readonly stack: string; readonly allowed: true; readonly why: string }
  | { readonly stack: string; readonly allowed: false; readonly message: string };

export function judgeDeletion(file: DeletedStackFile, base: string, now: Date): DeletionVerdict {
  const { stack, path, baseText } = file;
  const slug = stack.replace(/^org-/, "");
  if (baseText === undefined) return { stack, allowed: true, why: `${path} is already gone on ${base}: merging deletes nothing` };
  const howTo = `Offboard it first: run \`tenantry offboard ${slug} --requested-by <email> --reason <text>\`, merge that pull request ` +
    "and let its pulumi up revoke the edge, then delete the stack file in a later pull request (docs/offboarding.md).";
  let marker: Offboarding | undefined;
  try {
    marker = orgSpecFromStackConfig({ ...parseStackFile(baseText, path), now }).offboarding;
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    const first = error.problems[0]?.message ?? "it does not parse";
    return { stack, allowed: false, message: `${path} is deleted, but on ${base} it is not a valid stack file of org ${slug} (${first}), so it carries no offboarding marker. ${howTo}` };
  }
  if (marker === undefined) {
    return { stack, allowed: false, message: `${path} is deleted, but org ${slug} is not marked for offboarding on ${base}. ${howTo}` };
  }
  const ticket = marker.ticket === undefined ? "" : `, ticket ${marker.ticket}`;
  return { stack, allowed: true, why: `marked for offboarding on ${base} (requested by ${marker.requestedBy}${ticket})` };
}
