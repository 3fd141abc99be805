#!/usr/bin/env node
import { Command, CommanderError } from "commander";
import { SpecError } from "../components/spec-errors";
import { EXIT_INTERNAL, EXIT_INVALID, EXIT_OK } from "./exit-codes";

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

  cli.command("up")
    .argument("<stacks...>", "one or more stack names or paths; all are validated before any is applied")
    .option("--local", "apply to the embedded Postgres (the only target this command has)")
    .description("apply the stacks' Postgres resources to an embedded Postgres, then prove the posture holds")
    .action(async (stacks: string[], options: { local?: boolean }) => run((await import("./commands/local.js")).up(stacks, options, projectDir)));

  cli.command("prove")
    .argument("<stacks...>", "stack names or paths already applied with up --local")
    .option("--local", "prove against the embedded Postgres")
    .description("connect as each role and attempt what the posture forbids; exit 1 if any claim fails")
    .action(async (stacks: string[], options: { local?: boolean }) => run((await import("./commands/local.js")).proveCommand(stacks, options, projectDir)));

  cli.command("down")
    .option("--local", "the embedded Postgres")
    .option("--reset", "also delete its data, the local state and the generated credentials")
    .description("stop the embedded Postgres (by its own pid)")
    .action(async (options: { local?: boolean; reset?: boolean }) => run((await import("./commands/local.js")).down(options, projectDir)));

  cli.command("sql")
    .argument("<stack>", "a stack name in stacks/ or a path to a Pulumi.<stack>.yaml")
    .description("print the SQL up --local runs on an empty server, as one psql script (passwords as [secret])")
    .action(async (stack: string) => run((await import("./commands/local.js")).sql(stack, projectDir)));

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

async function main(): Promise<number> {
  const outcome: { code: Promise<number> | number } = { code: EXIT_OK };
  const cli = buildCli((code) => { outcome.code = code; });
  await cli.parseAsync(process.argv);
  return outcome.code;
}

// Exit explicitly: open handles (pg sockets, a dependency's exit hooks) must not decide the code.
if (require.main === module) main().then((code) => process.exit(code), reportAndExit);
