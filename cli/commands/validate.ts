import { relative } from "node:path";
import { specWarnings } from "../../spec/spec";
import { tenantStackOrPlacement } from "../../spec/stack-config";
import { readStackFile, resolveStackFile } from "../../harness/stack-file";
import { EXIT_OK } from "../exit-codes";

/** `tenantry validate <stack|path>`: the program's own config check, without loading Pulumi. */
export function validate(stackOrPath: string, projectDir: string): number {
  const stackFile = readStackFile(resolveStackFile(stackOrPath, projectDir));
  const { spec } = tenantStackOrPlacement({ ...stackFile, now: new Date() });
  console.log(
    `${stackFile.stack}: valid (${relative(projectDir, stackFile.path)}): org ${spec.slug}, ${spec.tier} tier, ` +
      `environments ${spec.environments.join(" -> ")}, workspaces ${spec.workspaces.length}, ` +
      `apps ${spec.apps.length}, secret references ${spec.secrets.length}` +
      (spec.offboarding === undefined ? "" : `; marked for offboarding (requested by ${spec.offboarding.requestedBy})`),
  );
  for (const warning of specWarnings(spec)) console.warn(`${stackFile.stack}: ${warning}`);
  return EXIT_OK;
}
