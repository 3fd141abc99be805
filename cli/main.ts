#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { SpecError } from "../components/spec-errors";
import { EXIT_INTERNAL, EXIT_INVALID } from "./exit-codes";

/*
 * The `tenantry` command. Exit codes are a contract (cli/exit-codes.ts): 0 ok, 1 policy
 * violations, 2 invalid input with a message naming the field, 3 a bug in tenantry.
 * Commands load lazily, so `validate` never pays for importing Pulumi.
 */

const projectDir = process.cwd();

export function buildCli(run: (code: Promise<number> | number) => void): Command {
  const cli = new Command("tenantry")
    .description("One isolated tenant org per Pulumi stack, refused before deploy when insecure.")
    .exitOverride()
    .showHelpAfterError();

  cli.command("validate")
    .argument("<stack>", "a stack name in stacks/ (org-acme) or a path to a Pulumi.<stack>.yaml")
    .description("check a stack's configuration the way the program does, before anything is registered")
    .action(async (stack: string) => run((await import("./commands/validate.js")).validate(stack, projectDir)));

  cli.command("plan")
    .argument("<stack>", "a stack name in stacks/ (org-acme) or a path to a Pulumi.<stack>.yaml")
    .description("print the resource tree the stack would create (the real program under Pulumi's mock monitor)")
    .action(async (stack: string) => run((await import("./commands/plan.js")).plan(stack, projectDir)));

  return cli;
}

function reportAndExit(error: unknown): never {
  if (error instanceof SpecError) {
    for (const problem of error.problems) console.error(`error: ${problem.message}`);
    process.exit(EXIT_INVALID);
  }
  if (error instanceof CommanderError) {
    // Help and version are not errors; a bad command line is invalid input.
    process.exit(error.exitCode === 0 ? 0 : EXIT_INVALID);
  }
  console.error(`internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exit(EXIT_INTERNAL);
}

async function main(): Promise<void> {
  let exitCode: Promise<number> | number = 0;
  const cli = buildCli((code) => { exitCode = code; });
  await cli.parseAsync(process.argv);
  process.exitCode = await exitCode;
}

if (require.main === module) main().catch(reportAndExit);
