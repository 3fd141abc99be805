import { relative } from "node:path";
import { platformClustersBeside } from "../../harness/platform-reference";
import { runProgram } from "../../harness/run-program";
import { readStackFile, resolveStackFile, SECRET_PLACEHOLDER } from "../../harness/stack-file";
import { EXIT_OK } from "../exit-codes";
import { renderPlanTree, summarizeTypes } from "../render-plan";

/** `tenantry plan <stack|path>`: the resource tree the stack would create, from the real program under mocks. */
export async function plan(stackOrPath: string, projectDir: string): Promise<number> {
  const stackFile = readStackFile(resolveStackFile(stackOrPath, projectDir));
  // A placed org reads its cluster from the platform stack file of the project it is in.
  const run = await runProgram(stackFile, { platformClusters: platformClustersBeside(stackFile.path) });
  console.log(`Plan for stack ${run.stack} (${relative(projectDir, stackFile.path)}), offline under Pulumi's mock monitor:\n`);
  console.log(renderPlanTree(run.resources));
  console.log(`\n${run.resources.length} resources to create: ${summarizeTypes(run.resources)}`);
  console.log(`Stack outputs: ${Object.keys(run.outputs).map((k) => `${k}${run.outputs[k] === SECRET_PLACEHOLDER ? ` ${SECRET_PLACEHOLDER}` : ""}`).join(", ")}`);
  return EXIT_OK;
}
