/*
 * Which org stacks a change touches: the ones whose stack file changed, or every one when the
 * change touches what every stack runs (the program, its components and Workers, the policy
 * pack, the dependencies). Pure: the command asks git for the file list.
 */

/** Paths whose change reaches every stack. */
const SHARED = [/^index\.ts$/, /^components\//, /^workers\//, /^policies\//, /^harness\//, /^cli\//, /^package(-lock)?\.json$/, /^Pulumi\.yaml$/, /^tsconfig(\.build)?\.json$/];
const STACK_FILE = /^stacks\/Pulumi\.(org-[a-z0-9-]+)\.ya?ml$/;

export function changedStacks(changedFiles: readonly string[], existingStacks: readonly string[]): string[] {
  if (changedFiles.some((file) => SHARED.some((pattern) => pattern.test(file)))) return [...existingStacks].sort();
  const touched = new Set(changedFiles.flatMap((file) => STACK_FILE.exec(file)?.[1] ?? []));
  // A stack file that is gone (an offboarding) has nothing left to preview here.
  return existingStacks.filter((stack) => touched.has(stack)).sort();
}
