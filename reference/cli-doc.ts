import { homedir } from "node:os";
import { Help, type Argument, type Command, type Option } from "commander";
import { EXIT_CODES } from "../cli/exit-codes";
import { buildCli } from "../cli/main";
import { anchor, code, escapeText, table } from "./markdown";

/*
 * docs/cli.md, rendered from commander's own objects: whatever buildCli defines (commands,
 * nested commands, arguments, options, defaults, choices, required options) is on the page,
 * with no list of commands here to forget one. commander's Help decides what is visible, as it
 * does for `--help`; the exit codes come from cli/exit-codes.ts.
 */

/** A folder of this machine, and what the page says instead, so the page is the same everywhere. */
export interface MachinePath {
  readonly path: string;
  readonly placeholder: string;
}

const INTRO = `Every command of \`tenantry\`, its arguments and options, and the exit codes CI relies on.
After \`npm ci\`, run it as \`npx tenantry <command>\` from the project's root folder, where npm finds the
project's own command ([why the root](getting-started.md#npx-tenantry-runs-the-projects-own-command): from a folder
with a \`package.json\` of its own, such as \`policies/\`, or from outside the project, npx would look for a package
of that name in the registry). The [exit codes](#exit-codes) mean the same for every command. For a first run, start
with [getting-started.md](getting-started.md).`;

export function renderCliDoc(cli: Command, machinePaths: readonly MachinePath[] = []): string {
  const help = cli.createHelp();
  const scrub = scrubber(machinePaths);
  const commands = subcommandsOf(cli, help);
  return [
    `# ${cli.name()} command reference`,
    "<!-- Generated from cli/main.ts and cli/exit-codes.ts by reference/cli-doc.ts: do not edit, run `npm run generate`. -->",
    INTRO,
    helpLine(cli, help),
    "## Commands",
    commands.map((command) => `${"  ".repeat(depth(command) - 1)}- [${code(pathOf(command))}](#${anchor(pathOf(command))}): ${escapeText(scrub(summaryOf(command)))}`).join("\n"),
    ...[cli, ...commands].flatMap((command) => commandSection(command, help, scrub)),
    "## Exit codes",
    exitCodeTable(),
  ].join("\n\n") + "\n";
}

/** Every command below `command`, depth first in definition order, without commander's implicit `help` command. */
export function subcommandsOf(command: Command, help: Help = command.createHelp()): Command[] {
  return help.visibleCommands(command)
    .filter((child) => command.commands.includes(child))
    .flatMap((child) => [child, ...subcommandsOf(child, help)]);
}

/** The options a command defines itself (not commander's implicit help option) that `--help` shows. */
export function definedOptionsOf(command: Command, help: Help = command.createHelp()): Option[] {
  return help.visibleOptions(command).filter((option) => command.options.includes(option));
}

/** `tenantry fleet preview`: the command's name after its ancestors'. */
export function pathOf(command: Command): string {
  return command.parent === null ? command.name() : `${pathOf(command.parent)} ${command.name()}`;
}

const depth = (command: Command): number => (command.parent === null ? 0 : depth(command.parent) + 1);
const summaryOf = (command: Command) => command.summary() || command.description();

/** commander's implicit help (an option on every command, and a `help` command where there are subcommands), said once. */
function helpLine(cli: Command, help: Help): string {
  const helpOptions = help.visibleOptions(cli).filter((option) => !cli.options.includes(option));
  const helpCommands = help.visibleCommands(cli).filter((child) => !cli.commands.includes(child));
  const parts = [
    ...helpOptions.map((option) => `${code(option.flags)} (${escapeText(option.description)}) works on every command`),
    ...helpCommands.map((child) => `${code(`${cli.name()} ${help.subcommandTerm(child)}`)} prints the same`),
  ];
  return parts.length === 0 ? "" : `${parts.join("; ")}.`;
}

function exitCodeTable(): string {
  // The meanings are written as Markdown next to the constants.
  return table(["code", "constant", "meaning"], Object.entries(EXIT_CODES).map(([name, { code: exitCode, meaning }]) => [String(exitCode), code(name), meaning]));
}

function commandSection(command: Command, help: Help, scrub: (text: string) => string): string[] {
  const args = command.registeredArguments;
  const options = definedOptionsOf(command, help);
  // The root's subcommands are the list at the top of the page.
  const children = command.parent === null ? [] : help.visibleCommands(command).filter((child) => command.commands.includes(child));
  return [
    `${"#".repeat(Math.min(depth(command) + 2, 4))} ${pathOf(command)}`,
    escapeText(scrub(command.description())),
    "```text\n" + scrub(help.commandUsage(command)) + "\n```",
    ...(args.length === 0 ? [] : [table(["argument", "presence", "description"], args.map((argument) => argumentRow(argument, scrub)))]),
    ...(options.length === 0 ? [] : [table(["option", "required", "default", "description"], options.map((option) => optionRow(option, scrub)))]),
    ...(children.length === 0 ? [] : [`Subcommands: ${children.map((child) => `[${code(pathOf(child))}](#${anchor(pathOf(child))})`).join(", ")}.`]),
  ].filter((part) => part !== "");
}

function argumentRow(argument: Argument, scrub: (text: string) => string): string[] {
  const term = argument.required ? `<${argument.name()}${argument.variadic ? "..." : ""}>` : `[${argument.name()}${argument.variadic ? "..." : ""}]`;
  const presence = argument.required ? (argument.variadic ? "one or more, required" : "required") : (argument.variadic ? "any number" : "optional");
  const extras = [
    argument.argChoices === undefined ? "" : `One of ${argument.argChoices.map(code).join(", ")}.`,
    argument.defaultValue === undefined ? "" : `Default: ${code(scrub(argument.defaultValueDescription ?? JSON.stringify(argument.defaultValue)))}.`,
  ];
  return [code(term), presence, [escapeText(scrub(argument.description)), ...extras].filter((part) => part !== "").join(" ")];
}

function optionRow(option: Option, scrub: (text: string) => string): string[] {
  // A boolean flag's default is commander's bookkeeping (--no-x defaults x to true); a value option's is the user's.
  const shownDefault = option.defaultValue !== undefined && (option.required || option.optional || typeof option.defaultValue === "boolean");
  const extras = [
    option.argChoices === undefined ? "" : `One of ${option.argChoices.map(code).join(", ")}.`,
    option.envVar === undefined ? "" : `Also read from ${code(option.envVar)}.`,
  ];
  return [
    code(option.flags),
    option.mandatory ? "yes" : "",
    shownDefault ? code(scrub(option.defaultValueDescription ?? JSON.stringify(option.defaultValue))) : "",
    [escapeText(scrub(option.description)), ...extras].filter((part) => part !== "").join(" "),
  ];
}

/** Replaces each machine path (the longest first) where it stands as a whole path, not as the start of a longer name. */
export function scrubber(machinePaths: readonly MachinePath[]): (text: string) => string {
  const usable = [...machinePaths].filter(({ path }) => path.length > 1).sort((a, b) => b.path.length - a.path.length);
  const wholePath = String.raw`(?=$|[/\\\s"'\x60,;:)\]])`;
  return (text) => usable.reduce(
    (result, { path, placeholder }) => result.replace(new RegExp(path.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") + wholePath, "g"), placeholder),
    text,
  );
}

/** The page as committed: the CLI as buildCli defines it, with this machine's folders kept out. */
export function cliReferencePage(): string {
  return renderCliDoc(buildCli(() => undefined), [
    { path: process.cwd(), placeholder: "<current folder>" },
    { path: homedir(), placeholder: "~" },
  ]);
}
