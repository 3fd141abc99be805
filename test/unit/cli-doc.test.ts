import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as exitCodes from "../../cli/exit-codes";
import { buildCli } from "../../cli/main";
import { renderCliDoc } from "../../reference/cli-doc";
import { anchor, escapeText } from "../../reference/markdown";

/*
 * docs/cli.md is complete: every command, argument and option commander knows (walked here
 * from buildCli, independently of the generator's own walk) is on the committed page, under its
 * command, with its description and default; every exit code is in its table. The staleness
 * check (generated-files.test.ts) then keeps the page equal to what the generator renders, here
 * and in a child process on a machine unlike this one (no dates, no machine state).
 */

const committed = readFileSync(join(__dirname, "..", "..", "docs", "cli.md"), "utf8");
const noop = () => undefined;

function walk(command: Command, path = command.name()): { path: string; command: Command }[] {
  return [{ path, command }, ...command.commands.flatMap((child) => walk(child, `${path} ${child.name()}`))];
}

/** The lines under a command's heading, up to the next heading (none of the usage lines start with #). */
function sectionOf(page: string, path: string): string | undefined {
  const lines = page.split("\n");
  const start = lines.findIndex((line) => new RegExp(`^#{2,4} ${path}$`).test(line));
  if (start < 0) return undefined;
  const end = lines.findIndex((line, i) => i > start && line.startsWith("#"));
  return lines.slice(start + 1, end < 0 ? undefined : end).join("\n");
}

/** Table cells split where GitHub splits them: at every pipe no backslash escapes. */
const cellsOf = (row: string) => row.split(/(?<!\\)\|/).slice(1, -1).map((cell) => cell.trim());

/** What a cell's Markdown renders to, for text that escapeText wrote (pipes unescaped first, as GitHub does in tables). */
const renderedText = (cell: string) => cell.replace(/\\\|/g, "|").replace(/\\([!-/:-@[-`{-~])/g, "$1");

/** Everything of `cli` that `page` lacks: a command without its section, an argument or option without its row. */
function missingFromPage(cli: Command, page: string): string[] {
  return walk(cli).flatMap(({ path, command }) => {
    const section = sectionOf(page, path);
    if (section === undefined) return [path];
    const rows = section.split("\n").filter((line) => line.startsWith("| `"));
    const hasRow = (term: string, description: string, fallback = "") => rows.some((row) =>
      row.startsWith(`| \`${term}\` |`) && row.includes(escapeText(description)) && row.includes(fallback));
    return [
      ...(section.includes(escapeText(command.description())) ? [] : [`${path}: description`]),
      ...command.registeredArguments.filter((argument) => !hasRow(argument.required ? `<${argument.name()}${argument.variadic ? "..." : ""}>` : `[${argument.name()}${argument.variadic ? "..." : ""}]`, argument.description))
        .map((argument) => `${path} ${argument.name()}`),
      ...command.options.filter((option) => !option.hidden)
        .filter((option) => !hasRow(option.flags, option.description, option.defaultValue === undefined ? "" : `\`${JSON.stringify(option.defaultValue)}\``))
        .map((option) => `${path} ${option.flags}`),
    ];
  });
}

describe("docs/cli.md", () => {
  it("has a section for every command buildCli defines, nested ones included, each with every argument and option", () => {
    const cli = buildCli(noop);
    expect(walk(cli).map(({ path }) => path)).toContain("tenantry fleet k8s");
    expect(missingFromPage(cli, committed)).toEqual([]);
  });

  it("misses an option, an argument and a command added to the CLI after it was rendered (the check can fail)", () => {
    const cli = buildCli(noop);
    cli.commands.find((command) => command.name() === "check")!.option("--explain <rule>", "why a rule refuses", "all");
    cli.commands.find((command) => command.name() === "fleet")!.command("drift").argument("<glob>", "stacks to compare");
    expect(missingFromPage(cli, committed)).toEqual(["tenantry check --explain <rule>", "tenantry fleet drift"]);
  });

  it("picks up whatever the CLI defines, with no list of commands of its own", () => {
    const cli = buildCli(noop);
    cli.commands.find((command) => command.name() === "check")!.option("--explain <rule>", "why a rule refuses", "all");
    cli.command("serve").argument("<stack>", "the stack to serve").option("--port <port>", "where the router listens", "8787").option("--no-prove", "skip the proof")
      .command("nested").requiredOption("--deep <x>", "a grandchild's required option");
    const page = renderCliDoc(cli);
    expect(missingFromPage(cli, page)).toEqual([]);
    expect(sectionOf(page, "tenantry serve nested")).toContain("| `--deep <x>` | yes |");
  });

  it("keeps any description in its one table cell and renders it back as written", () => {
    fc.assert(fc.property(fc.string(), fc.string(), (description, defaultValue) => {
      const cli = new Command("tenantry");
      cli.command("run").argument("<stack>", description).option("--mode <m>", description, defaultValue);
      const section = sectionOf(renderCliDoc(cli), "tenantry run") ?? "";
      const [argumentRow, optionRow] = section.split("\n").filter((line) => line.startsWith("| `"));
      const expected = description.replace(/\s+/g, " ").trim();
      expect(cellsOf(argumentRow ?? "")).toHaveLength(3);
      expect(renderedText(cellsOf(argumentRow ?? "")[2] ?? "")).toBe(expected);
      expect(cellsOf(optionRow ?? "")).toHaveLength(4);
      expect(renderedText(cellsOf(optionRow ?? "")[3] ?? "")).toBe(expected);
    }));
  });

  it("never writes this machine's folders, whatever default a command derives from them", () => {
    fc.assert(fc.property(fc.array(fc.stringMatching(/^[a-z0-9._-]{1,8}$/), { maxLength: 3 }), (segments) => {
      const cli = new Command("tenantry");
      const underCwd = [process.cwd(), ...segments].join("/");
      cli.command("run").option("--dir <path>", `where it works (default ${underCwd})`, underCwd).option("--cache <path>", "a cache", join(homedir(), ".cache"));
      const page = renderCliDoc(cli, [{ path: process.cwd(), placeholder: "<current folder>" }, { path: homedir(), placeholder: "~" }]);
      expect(page).not.toContain(process.cwd());
      expect(page).not.toContain(homedir());
      expect(page).toContain(["<current folder>", ...segments].join("/"));
    }));
    // Control: without the machine's folders to replace, the default leaks.
    const cli = new Command("tenantry");
    cli.command("run").option("--dir <path>", "where it works", process.cwd());
    expect(renderCliDoc(cli)).toContain(process.cwd());
  });

  it("links only to headings it has, each heading's anchor once", () => {
    const anchors = committed.split("\n").filter((line) => /^#{1,6} /.test(line)).map((line) => anchor(line.replace(/^#+ /, "")));
    expect(new Set(anchors).size).toBe(anchors.length);
    const links = [...committed.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]);
    expect(links.length).toBeGreaterThan(0);
    expect(links.filter((link) => !anchors.includes(link ?? ""))).toEqual([]);
  });

  it("lists every exit code the CLI exports, by name, with its meaning", () => {
    const exported = Object.entries(exitCodes).filter(([name, value]) => name.startsWith("EXIT_") && typeof value === "number");
    expect(exported.length).toBeGreaterThan(0);
    const table = committed.slice(committed.indexOf("## Exit codes"));
    for (const [name, value] of exported) {
      const entry = exitCodes.EXIT_CODES[name as keyof typeof exitCodes.EXIT_CODES];
      expect(entry?.code, `${name} has no row in EXIT_CODES`).toBe(value);
      expect(table).toContain(`| ${String(value)} | \`${name}\` | ${entry.meaning} |`);
    }
    const codes = Object.values(exitCodes.EXIT_CODES).map((entry) => entry.code);
    expect(new Set(codes).size).toBe(codes.length);
  });
});
