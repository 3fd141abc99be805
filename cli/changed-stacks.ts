/*
 * Which org stacks a change touches: the ones whose stack file changed, or every one when the
 * change touches what every stack runs (the program, its components and Workers, the policy
 * pack, the dependencies); and the ones whose stack file the change deleted. Pure: the command
 * asks git for the file list.
 */

/** Paths whose change reaches every stack. */
const SHARED = [/^index\.ts$/, /^spec\//, /^components\//, /^workers\//, /^policies\//, /^harness\//, /^cli\//, /^package(-lock)?\.json$/, /^Pulumi\.yaml$/, /^tsconfig(\.build)?\.json$/];
const STACK_FILE = /^stacks\/Pulumi\.(org-[a-z0-9-]+)\.ya?ml$/;

/** `stacks/Pulumi.org-acme.yaml` -> `org-acme`; undefined for any other path. */
export function orgStackOfPath(file: string): string | undefined {
  return STACK_FILE.exec(file)?.[1];
}

/** The org stacks whose file the change touched, by the stack name in the file's path. */
function touchedStacks(changedFiles: readonly string[]): Set<string> {
  return new Set(changedFiles.flatMap((file) => orgStackOfPath(file) ?? []));
}

export function changedStacks(changedFiles: readonly string[], existingStacks: readonly string[]): string[] {
  if (changedFiles.some((file) => SHARED.some((pattern) => pattern.test(file)))) return [...existingStacks].sort();
  const touched = touchedStacks(changedFiles);
  // A stack file that is gone has nothing left to preview: deletedStacks reports it instead.
  return existingStacks.filter((stack) => touched.has(stack)).sort();
}

/**
 * The org stacks the change deleted: a stack file it touched whose stack no longer exists.
 * Judged by stack, not by file: renaming `.yaml` to `.yml` keeps the stack, while renaming the
 * file to another stack's name, or out of stacks/, deletes it.
 */
export function deletedStacks(changedFiles: readonly string[], existingStacks: readonly string[]): string[] {
  const existing = new Set(existingStacks);
  return [...touchedStacks(changedFiles)].filter((stack) => !existing.has(stack)).sort();
}
