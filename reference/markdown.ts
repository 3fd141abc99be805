/*
 * The few Markdown pieces the generated pages share. Text from the code (descriptions, reasons)
 * is escaped, not trusted: `<slug>` is an HTML tag to a Markdown renderer and would vanish, `&lt;`
 * an entity, and a `|` would split a table cell.
 */

/**
 * Plain text as Markdown that renders to the same characters (trimmed, on one line), in a
 * paragraph or a table cell: inline punctuation escaped, and a start that would open a heading,
 * a list or a code block defused.
 */
export function escapeText(text: string): string {
  return text.replace(/\s+/g, " ").trim()
    .replace(/[\\`*_<>&|[\]]/g, (character) => `\\${character}`)
    .replace(/^([#=+-])/, "\\$1")
    .replace(/^(\d+)([.)])/, "$1\\$2");
}

/** A code span; a table cell needs its `|` escaped even there (GitHub renders `\|` in code as `|`). */
export function code(text: string): string {
  const fence = text.includes("`") ? "``" : "`";
  const padded = text.startsWith("`") || text.endsWith("`") ? ` ${text} ` : text;
  return `${fence}${padded.replace(/\|/g, "\\|")}${fence}`;
}

/** A GitHub-style table; cells are Markdown already (escape text with escapeText first). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map(() => "---")), ...rows.map(line)].join("\n");
}

/**
 * The anchor GitHub gives a heading: lower case, punctuation other than `-` and `_` dropped,
 * spaces to hyphens. The headings these pages link to are unique, so no `-1` suffix is needed.
 */
export function anchor(heading: string): string {
  return heading.toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}
