import { join } from "node:path";
import picomatch from "picomatch";
import { stringify } from "yaml";
import { SpecError } from "../../spec/spec-errors";
import { orgStackFiles, readStackFile } from "../../harness/stack-file";
import { EXIT_OK } from "../exit-codes";
import { operatorStack, type OperatorOptions } from "../operator-stacks";

/** `tenantry fleet k8s --repo <url>`: the operator's Stack objects for the selected org stacks, as YAML documents. */
export async function fleetK8s(options: OperatorOptions & { readonly stacks?: string }, projectDir: string): Promise<number> {
  if (!/^https:\/\/[^\s]+$/.test(options.repo)) throw new SpecError([{ field: "repo", message: "--repo must be the https URL of this project's git repository" }]);
  const match = options.stacks === undefined ? () => true : picomatch(options.stacks);
  const documents = orgStackFiles(join(projectDir, "stacks")).filter((f) => match(f.stack)).map(({ stack, path }) => {
    const { values } = readStackFile(path);
    const org = JSON.parse(values["tenantry:org"] ?? "{}") as { slug?: string; tier?: string };
    return operatorStack({ name: stack, slug: org.slug ?? stack.replace(/^org-/, ""), tier: org.tier ?? "production" }, options);
  });
  if (documents.length === 0) throw new SpecError([{ field: "stacks", message: `no org stack in stacks/ matches ${options.stacks ?? "*"}` }]);
  process.stdout.write(documents.map((d) => stringify(d, { lineWidth: 0 })).join("---\n"));
  return EXIT_OK;
}
