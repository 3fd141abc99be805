import { readFileSync } from "node:fs";
import { join } from "node:path";
import { offlineOnlyChecks } from "../../harness/offline-checks";
import { runPolicies, type Violation } from "../../harness/run-policies";
import { runProgram } from "../../harness/run-program";
import { readStackFile, resolveStackFile } from "../../harness/stack-file";
import { EXIT_OK, EXIT_VIOLATIONS } from "../exit-codes";

/**
 * `tenantry check <stack> [--json]`: the real program under the mock monitor, then the policy
 * pack's own rules over what it registered; printed the way `pulumi preview` prints violations.
 * Exit 0 when compliant, 1 on violations, 2 on invalid input. Messages name resources, never
 * secret values (the rules only ever print names).
 */
export async function check(stackOrPath: string, options: { json?: boolean }, projectDir: string): Promise<number> {
  const stackFile = readStackFile(resolveStackFile(stackOrPath, projectDir));
  const run = await runProgram(stackFile);
  const violations = [...(await runPolicies(run.resources)), ...offlineOnlyChecks(run.resources)];
  if (options.json === true) {
    const report = { stack: run.stack, resources: run.resources.length, violations: violations.map(({ policy, urn, message }) => ({ policy, urn, message })) };
    console.log(JSON.stringify(report, null, 2));
  } else {
    console.log(render(run.stack, run.resources.length, violations, packVersion(projectDir)));
  }
  // Advisories (a rule skipped on a value unknown during preview) are shown, and do not fail.
  return violations.some((v) => v.enforcementLevel === "mandatory") ? EXIT_VIOLATIONS : EXIT_OK;
}

function packVersion(projectDir: string): string {
  return (JSON.parse(readFileSync(join(projectDir, "policies", "package.json"), "utf8")) as { version: string }).version;
}

function render(stack: string, resources: number, violations: readonly Violation[], version: string): string {
  if (violations.length === 0) return `${stack}: ${resources} resources, no policy violations (tenantry-security v${version})`;
  const lines = violations.flatMap((v) => [
    `    [${v.enforcementLevel}]  tenantry-security v${version}  ${v.policy}${v.urn === undefined ? "" : ` (${v.urn})`}`,
    `    ${v.message}`,
  ]);
  return [`Policy Violations:`, ...lines, "", `${stack}: ${violations.length} policy violation(s) in ${resources} resources`].join("\n");
}
