import { cliReferencePage } from "./cli-doc";
import { policiesReferencePage } from "./policies-doc";
import { ORG_SPEC_DOC_PATH, renderOrgSpecDoc } from "./org-spec-doc";
import { renderStackSchema, STACK_SCHEMA_PATH } from "./stack-schema";

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
  { path: STACK_SCHEMA_PATH, source: "the org spec's zod schema (spec/spec.ts) and the stack settings tenantry reads (spec/stack-config.ts, spec/provider-settings.ts), by reference/stack-schema.ts", render: () => renderStackSchema() },
  { path: ORG_SPEC_DOC_PATH, source: "the org spec's zod schema and its descriptions (spec/spec.ts, spec/spec-fields.ts), its cross-field rules (spec/spec-rules.ts) and stacks/Pulumi.org-acme.yaml, by reference/org-spec-doc.ts", render: () => renderOrgSpecDoc() },
];
