import type { Offboarding, OrgSpec } from "../spec/spec";
import { SpecError } from "../spec/spec-errors";
import { orgSpecFromStackConfig } from "../spec/stack-config";
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
  if (baseText === undefined) return { stack, allowed: true, why: `may be deleted: ${path} is already gone on ${base}, so merging deletes nothing` };
  const howTo = `Offboard it first: run \`npx tenantry offboard ${slug} --requested-by <email> --reason <text>\`, merge that pull request ` +
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
  return { stack, allowed: true, why: `may be deleted: marked for offboarding on ${base} (requested by ${marker.requestedBy}${ticket})` };
}

/**
 * An org marked for offboarding keeps every environment and workspace it had on the base branch.
 * Pulumi deletes a resource the program stops declaring with the options its state recorded,
 * and those were the active org's (not retained): dropping an environment in the marker's own
 * change, or after it, would drop that environment's schemas and roles. Undefined when the
 * change does not concern a marked org (or the base has no readable file to compare with).
 */
export function judgeMarkedChange(file: { readonly stack: string; readonly path: string; readonly baseText: string | undefined; readonly headText: string }, base: string, now: Date): DeletionVerdict | undefined {
  const head = specOf(file.headText, file.path, now);
  if (head?.offboarding === undefined || file.baseText === undefined) return undefined;
  const before = specOf(file.baseText, file.path, now);
  if (before === undefined) return undefined;
  const gone = [
    ...before.environments.filter((env) => !head.environments.includes(env)).map((env) => `environment ${env}`),
    ...before.workspaces.filter((ws) => !head.workspaces.some((w) => w.slug === ws.slug)).map((ws) => `workspace ${ws.slug}`),
  ];
  if (gone.length === 0) return { stack: file.stack, allowed: true, why: `may change: marked for offboarding, and keeps every environment and workspace it had on ${base}` };
  return {
    stack: file.stack,
    allowed: false,
    message: `${file.path} marks org ${head.slug} for offboarding but removes ${gone.join(", ")} (on ${base}): ` +
      "an offboarding org keeps all it had, or a pulumi up would drop it with the options its state recorded. Put them back.",
  };
}

function specOf(text: string, path: string, now: Date): OrgSpec | undefined {
  try {
    return orgSpecFromStackConfig({ ...parseStackFile(text, path), now });
  } catch (error) {
    if (error instanceof SpecError) return undefined;
    throw error;
  }
}
