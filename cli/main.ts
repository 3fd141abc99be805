#!/usr/bin/env node
import { dirname, relative } from "node:path";
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { DEFAULT_DEV_PORT, DEFAULT_TOKEN_TTL_SECONDS, TOKEN_TTL_BOUNDS, tokenTtlFromText } from "../local/dev-defaults";
import { ORG_ROLES } from "../spec/org-roles";
import { SpecError } from "../spec/spec-errors";
import { projectRoot } from "./project-root";
import { registerD1StoreCommands } from "./register-d1-stores";
import { registerMoveCommand } from "./register-move";
import { exitAfterFlush } from "./exit";
import { EXIT_APPLY_FAILED, EXIT_INTERNAL, EXIT_INTERRUPTED, EXIT_INVALID, EXIT_LOCKED, EXIT_OK } from "./exit-codes";
import { versionText } from "./version";

/*
 * The `tenantry` command. Exit codes are a contract (cli/exit-codes.ts): 0 ok, 1 policy
 * violations or broken claims, 2 invalid input with a message naming the field (or a refused
 * change), 3 a bug in tenantry, 4 the server refused a statement during `up --local`, 5 the
 * local state is in use by another command, 130 a local command stopped by SIGINT or SIGTERM.
 * Commands load lazily, so `validate` never pays for importing Pulumi. They work from any folder
 * of the project (cli/project-root.ts); help and --version need none.
 */

let foundProject: string | undefined;

/** The project the command works on, found upward from the working directory when first asked. */
function projectDir(): string {
  foundProject ??= projectRoot(process.cwd());
  return foundProject;
}

export function buildCli(run: (code: Promise<number> | number) => void): Command {
  const cli = new Command("tenantry")
    .description("One isolated tenant org per Pulumi stack, refused before deploy when insecure.")
    .option("-V, --version", "print tenantry's version, and its git commit when run from a checkout")
    .exitOverride()
    .showHelpAfterError();
  // Not commander's .version(string): that would read package.json and run git for every command.
  cli.on("option:version", () => {
    const text = versionText();
    process.stdout.write(`${text}\n`);
    throw new CommanderError(0, "commander.version", text);
  });

  cli.command("validate")
    .argument("<stack>", "a stack name in stacks/ (org-acme) or a path to a Pulumi.<stack>.yaml")
    .description("check a stack's configuration the way the program does, before anything is registered")
    .action(async (stack: string) => run((await import("./commands/validate.js")).validate(stack, projectDir())));

  cli.command("plan")
    .argument("<stack>", "a stack name in stacks/ (org-acme) or a path to a Pulumi.<stack>.yaml")
    .description("print the resource tree the stack would create (the real program under Pulumi's mock monitor)")
    .action(async (stack: string) => run((await import("./commands/plan.js")).plan(stack, projectDir())));

  cli.command("check")
    .argument("[stack]", "a stack name in stacks/ or a path to a Pulumi.<stack>.yaml")
    .option("--all", "check every stack in stacks/, in parallel")
    .option("--concurrency <n>", "with --all: stacks checked at once (default: the number of CPUs)", positiveInteger)
    .option("--json", "print { stack, resources, violations: [{ policy, urn, message }] } (with --all: { stacks: [...], summary })")
    .description("run the policy pack offline over what the stack would create; exit 1 on violations")
    .action(async (stack: string | undefined, options: { json?: boolean; all?: boolean; concurrency?: number }) => {
      const commands = await import("./commands/check.js");
      if (options.all === true && stack === undefined) return run(commands.checkAll(options, projectDir()));
      if (options.all !== true && stack !== undefined && options.concurrency === undefined) return run(commands.check(stack, options, projectDir()));
      throw new SpecError([{ field: "stack", message: "name one stack, or pass --all [--concurrency N] (not both)" }]);
    });

  cli.command("onboard")
    .argument("<slug>", "the new org's slug (2..31 of a-z, 0-9 and single inner hyphens)")
    .option("--workspaces <list>", "comma-separated workspace slugs", commaList, ["main"])
    .option("--environments <list>", "the promotion chain, comma-separated", commaList, ["dev", "test", "prod"])
    .option("--tier <tier>", "production or sandbox", tierOption, "production")
    .option("--like <stack>", "the org stack whose provider connection and edge to share (default: the first in stacks/)")
    .description("write stacks/Pulumi.org-<slug>.yaml for a new org with safe defaults, validated, and print the pull request to open")
    .action(async (slug: string, options: { workspaces: string[]; environments: string[]; tier: "production" | "sandbox"; like?: string }) =>
      run((await import("./commands/onboard.js")).onboard(slug, options, projectDir())));

  cli.command("placement").description("which platform cluster holds each org database, and whether every cluster can hold its orgs")
    .command("plan")
    .option("--new <slug...>", "propose a cluster for each of these new orgs, one after the other")
    .option("--max-connections <n>", "with --new: the new orgs' quotas.maxConnections (default: the spec's)", (value: string) => Number(value))
    .option("--region <region>", "with --new: only clusters in this AWS region")
    .option("--json", "print { clusters, unplaced, unreadable, proposals, problems }")
    .description("print each cluster's databases and connection budget (stacks/ and platform/Pulumi.platform.yaml); exit 1 when a cluster is over-committed or a new org fits nowhere")
    .action(async (options: { new?: string[]; maxConnections?: number; region?: string; json?: boolean }) => run((await import("./commands/placement.js")).placementPlan(options, projectDir())));

  registerMoveCommand(cli, run, projectDir);

  cli.command("offboard")
    .argument("<slug>", "the org to offboard (its stack file stacks/Pulumi.org-<slug>.yaml must exist)")
    .requiredOption("--requested-by <email>", "who asked for the org to go (a lower-case e-mail address)")
    .requiredOption("--reason <text>", "why, in 10..500 characters")
    .option("--ticket <id>", "where the decision is recorded: an issue key or URL")
    .description("mark an org for offboarding in its stack file, validated, and print the steps: the pull request, what pulumi up then does, the final dump, the destroy, the pull request that deletes the file")
    .action(async (slug: string, options: { requestedBy: string; reason: string; ticket?: string }) =>
      run((await import("./commands/offboard.js")).offboard(slug, options, projectDir())));

  cli.command("changed-stacks")
    .requiredOption("--base <ref>", "the git ref the change is compared with, e.g. origin/main (required)")
    .option("--json", "print { stacks: [...], deleted: [...] } (stacks is a GitHub Actions matrix)")
    .option("--tier <tier>", "only orgs of this tier (production or sandbox)", tierOption)
    .description("list the org stacks a change touches (those whose file changed, or all when the program or the pack changed) and those whose file it deleted")
    .action(async (options: { base: string; json?: boolean; tier?: string }) => run((await import("./commands/changed-stacks.js")).changedStacksCommand(options, projectDir())));

  cli.command("check-deletions")
    .requiredOption("--base <ref>", "the git ref the change is compared with, e.g. origin/main (required)")
    .description("refuse (exit 2) a change that deletes the stack file of an org not marked for offboarding on the base (tenantry offboard)")
    .action(async (options: { base: string }) => run((await import("./commands/check-deletions.js")).checkDeletions(options, projectDir())));

  const fleet = cli.command("fleet").description("the whole fleet of org stacks: pulumi preview or up at bounded concurrency, or Kubernetes operator Stacks");
  for (const command of ["preview", "up"] as const) {
    fleet.command(command)
      .option("--concurrency <n>", "stacks at once", positiveInteger, 4)
      .option("--stacks <glob>", "only the org stacks whose names match (org-a*)")
      .option("--dry-run-check", "no Pulumi CLI: run tenantry check over the same stacks instead")
      .description(`run pulumi ${command} for every org stack (Automation API), a bounded number at once; exit 1 if any failed`)
      .action(async (options: { concurrency: number; stacks?: string; dryRunCheck?: boolean }) =>
        run((await import("./commands/fleet.js")).fleet(command, options, projectDir())));
  }
  fleet.command("k8s")
    .requiredOption("--repo <url>", "the https URL of this project's git repository")
    .option("--branch <branch>", "the branch the operator deploys", "main")
    .option("--namespace <namespace>", "the namespace of the Stack objects", "tenantry")
    .option("--service-account <name>", "the service account the operator's workspaces run as", "tenantry-deployer")
    .option("--pulumi-org <org>", "the Pulumi Cloud organization of the stacks")
    .option("--resync-seconds <n>", "seconds between polls of the branch", positiveSeconds, 300)
    .option("--stacks <glob>", "only the org stacks whose names match")
    .description("print one Pulumi Kubernetes Operator (v2) Stack per org stack, so a cluster runs the fleet")
    .action(async (options: { repo: string; branch: string; namespace: string; serviceAccount: string; pulumiOrg?: string; resyncSeconds: number; stacks?: string }) =>
      run((await import("./commands/fleet-k8s.js")).fleetK8s(options, projectDir())));

  cli.command("up")
    .argument("<stacks...>", "one or more stack names or paths; all are validated before any is applied")
    .option("--local", "apply to the embedded Postgres (the only target this command has)")
    .option("--no-prove", "apply only, and skip the proof (a rerun without changes then takes seconds, not the proof's tens of seconds)")
    .option("--verbose", "print every claim of the proof as a table fitted to the terminal, not only the broken ones and the counts")
    .description("apply the stacks' Postgres resources to an embedded Postgres, then prove the posture holds (the database, and the edge run in workerd)")
    .action(async (stacks: string[], options: { local?: boolean; prove: boolean; verbose?: boolean }) => run((await import("./commands/local.js")).up(stacks, options, projectDir())));

  cli.command("prove")
    .argument("<stacks...>", "stack names or paths (applied with up --local, or deployed: one stack with --server-url)")
    .option("--local", "prove against the embedded Postgres")
    .option("--server-url <url>", "read a deployed server as the stack's provider login, read-only: postgres://<login>@<host>:<port>/<database> (password from PGPASSWORD)")
    .option("--verbose", "print every claim as a table fitted to the terminal, not only the broken ones and the counts")
    .option("--json", "print { provedAt, tenantry: { version, commit }, stacks: [{ stack, target, claims: [{ claim, attempt, result, status, properties, at }], summary }] } (provedAt, tenantry, properties and at with --local)")
    .description("attempt what the posture forbids, as each role and through the edge in workerd (--local), or read a deployed server's catalog (--server-url); exit 1 if any claim fails")
    .action(async (stacks: string[], options: { local?: boolean; serverUrl?: string; json?: boolean; verbose?: boolean }) =>
      run((await import("./commands/prove.js")).prove(stacks, options, projectDir())));

  cli.command("report")
    .argument("<stack>", "a stack name in stacks/ (org-acme) or a path to a Pulumi.<stack>.yaml")
    .option("--out <file>", "where to write the page (default: report-<stack>.html in the current folder)")
    .option("--proof <saved.json>", "build the page from a saved `tenantry prove --local <stack> --json` result instead of applying and proving the stack now")
    .description("write the org's trust page, one self-contained HTML file, from evidence: a proof (fresh, after applying the stack as up --local does, or saved), the router's access evaluator, the policy pack; exit 1 if a claim is broken or a mandatory rule fails")
    .action(async (stack: string, options: { out?: string; proof?: string }) => run((await import("./commands/report.js")).report(stack, options, projectDir())));

  cli.command("down")
    .option("--local", "the embedded Postgres")
    .option("--reset", "also delete its data, the local state and the generated credentials")
    .description("stop the embedded Postgres (by its own pid)")
    .action(async (options: { local?: boolean; reset?: boolean }) => run((await import("./commands/local.js")).down(options, projectDir())));

  cli.command("dev")
    .argument("<stack>", "a stack name in stacks/ or a path to a Pulumi.<stack>.yaml")
    .option("--port <n>", "the router's port on 127.0.0.1", portNumber, DEFAULT_DEV_PORT)
    .description("apply the stack to the embedded Postgres as up --local does, without the proof, then serve the org's edge in workerd on a local port until Ctrl-C (exit 130)")
    .action(async (stack: string, options: { port: number }) => run((await import("./commands/dev.js")).dev(stack, options, projectDir())));

  cli.command("token")
    .argument("<stack>", "a stack name in stacks/ or a path to a Pulumi.<stack>.yaml")
    .requiredOption("--email <e-mail>", "whom the token names (a lower-case e-mail address)")
    .requiredOption("--role <role>", `a base role (${ORG_ROLES.join(", ")}) or one of the org's custom roles`)
    .option("--workspaces <list>", "comma-separated workspaces of the org the user is a member of (default: none)")
    .option("--ttl <seconds>", `how long the token is valid, whole seconds ${TOKEN_TTL_BOUNDS.min}..${TOKEN_TTL_BOUNDS.max}`, tokenTtl, DEFAULT_TOKEN_TTL_SECONDS)
    .option("--amr <list>", "comma-separated sign-in methods for the token's amr claim, e.g. pwd for a password login; \"\" for none (default: an SSO login where the org enforces SSO over the address, docs/sso.md)")
    .description("print a token of the local identity provider that tenantry dev's edge trusts (only the token, on stdout)")
    .action(async (stack: string, options: { email: string; role: string; workspaces?: string; ttl: number; amr?: string }) =>
      run((await import("./commands/dev.js")).token(stack, options, projectDir())));

  registerD1StoreCommands(cli, run, projectDir);

  cli.command("sql")
    .argument("<stack>", "a stack name in stacks/ or a path to a Pulumi.<stack>.yaml")
    .description("print the SQL up --local runs on an empty server, as one psql script (passwords as psql variables)")
    .action(async (stack: string) => run((await import("./commands/local.js")).sql(stack, projectDir())));

  return cli;
}

function commaList(value: string): string[] {
  return value.split(",").map((item) => item.trim()).filter((item) => item.length > 0);
}

function positiveSeconds(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 60) throw new InvalidArgumentError("expected whole seconds, at least 60");
  return n;
}

function tokenTtl(value: string): number {
  const seconds = tokenTtlFromText(value);
  if (seconds === undefined) throw new InvalidArgumentError(`expected whole seconds ${TOKEN_TTL_BOUNDS.min}..${TOKEN_TTL_BOUNDS.max}`);
  return seconds;
}

function portNumber(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > 65_535) throw new InvalidArgumentError("expected a port number 1..65535");
  return n;
}

function tierOption(value: string): "production" | "sandbox" {
  if (value !== "production" && value !== "sandbox") throw new InvalidArgumentError("expected production or sandbox");
  return value;
}

/** Worker processes are a few hundred MB each; more than this is a mistake, not a speed-up. */
const MAX_CONCURRENCY = 64;

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > MAX_CONCURRENCY) throw new InvalidArgumentError(`expected a whole number 1..${MAX_CONCURRENCY}`);
  return n;
}

/** Errors that are about the input or the server, not bugs: one line, and the contract's exit code. */
async function expectedFailure(error: unknown): Promise<{ message: string; code: number } | undefined> {
  if (!(error instanceof Error)) return undefined;
  // First, without loading the engine: a refusal for a held lock comes at once.
  const { LockedError } = await import("../local/lock.js");
  if (error instanceof LockedError) {
    const { pid, command, since } = error.holder;
    return {
      message: `${relative(foundProject ?? process.cwd(), dirname(error.lockFile)) || "."} is in use by pid ${pid} (${command}, since ${since}); wait for it to finish or stop it, then run this again`,
      code: EXIT_LOCKED,
    };
  }
  const [{ RefusedChangeError }, { ApplyError }, { NotAppliedError }, { LoginCheckError }] = await Promise.all([
    import("../local/changes.js"), import("../local/sql-runner.js"), import("../local/prove-local.js"), import("../local/logins.js"),
  ]);
  if (error instanceof RefusedChangeError) return { message: `refused, nothing was applied:\n${error.message}`, code: EXIT_INVALID };
  if (error instanceof NotAppliedError) return { message: error.message, code: EXIT_INVALID };
  if (error instanceof ApplyError) {
    // Only a change the state still marks pending is picked up where it stopped.
    const next = error.partial
      ? "part of it took effect and the state marks it pending: the next run resumes from here"
      : "the server rolled it back, so nothing of it was applied and the next run tries it again";
    return { message: `the server refused ${error.message}; ${next}`, code: EXIT_APPLY_FAILED };
  }
  if (error instanceof LoginCheckError) return { message: error.message, code: EXIT_APPLY_FAILED };
  return undefined;
}

async function reportAndExit(error: unknown): Promise<never> {
  if (error instanceof SpecError) {
    for (const problem of error.problems) console.error(`error: ${problem.message}`);
    return exitAfterFlush(EXIT_INVALID);
  }
  const { InterruptedError } = await import("./local-session.js");
  if (error instanceof InterruptedError) {
    console.error(error.message);
    return exitAfterFlush(EXIT_INTERRUPTED);
  }
  const expected = await expectedFailure(error);
  if (expected !== undefined) {
    console.error(`error: ${expected.message}`);
    return exitAfterFlush(expected.code);
  }
  if (error instanceof CommanderError) {
    // Help and version are not errors; a bad command line is invalid input.
    return exitAfterFlush(error.exitCode === 0 ? 0 : EXIT_INVALID);
  }
  console.error(`internal error: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  return exitAfterFlush(EXIT_INTERNAL);
}

async function main(): Promise<number> {
  const outcome: { code: Promise<number> | number } = { code: EXIT_OK };
  const cli = buildCli((code) => { outcome.code = code; });
  await cli.parseAsync(process.argv);
  return outcome.code;
}

// Exit explicitly: open handles (pg sockets, a dependency's exit hooks) must not decide the code.
if (require.main === module) main().then(exitAfterFlush, reportAndExit);
