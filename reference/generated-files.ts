import { cliReferencePage } from "./cli-doc";
import { policiesReferencePage } from "./policies-doc";

/*
 * Files in the repository that are rendered from code: the CLI's command definitions, the org
 * spec's zod schema, the policy pack. Each is committed so it reads on GitHub and in an editor,
 * and a unit test renders each again and fails when the committed copy is stale, so CI refuses
 * a change to the code that forgot its reference page.
 */
export interface GeneratedFile {
  /** Path relative to the project root, with forward slashes. */
  readonly path: string;
  /** What the file is rendered from, for the staleness message. */
  readonly source: string;
  readonly render: () => string | Promise<string>;
}

export const GENERATED_FILES: readonly GeneratedFile[] = [
  { path: "docs/cli.md", source: "the command definitions (cli/main.ts buildCli) and cli/exit-codes.ts, by reference/cli-doc.ts", render: cliReferencePage },
  { path: "docs/policies.md", source: "the policy pack's rules (policies/all.ts), by reference/policies-doc.ts", render: policiesReferencePage },
];
