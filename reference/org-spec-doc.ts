import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readStackFile, STACK_FILE_KEYS, STACK_SCHEMA_MODELINE } from "../harness/stack-file";
import { orgSpecFields, type ParsedSpec } from "../spec/spec";
import { formatPath, ORG_CONFIG_KEY } from "../spec/spec-errors";
import { CROSS_FIELD_RULES } from "../spec/spec-rules";
import { orgJsonSchema, RULES_BEYOND_SCHEMA, STACK_SCHEMA_PATH, stackFileSchema } from "./stack-schema";
import { WEBHOOK_RULE_EXAMPLES } from "./webhook-rule-examples";

/*
 * docs/org-spec.md: every field of `tenantry:org` with its type, default, bounds and meaning, read
 * from the same JSON Schema the editors get (rendered by zod from the spec, descriptions
 * included), then the rules an editor does not check, each with the message `tenantry validate`
 * gives, produced by running the rule over a broken copy of the example org.
 */

export const ORG_SPEC_DOC_PATH = "docs/org-spec.md";
const EXAMPLE_STACK = "stacks/Pulumi.org-acme.yaml";

type Schema = Record<string, unknown>;

interface FieldRow {
  readonly path: string;
  readonly type: string;
  readonly required: boolean;
  readonly defaultValue: unknown;
  readonly allowed: string[];
  readonly meaning: string;
}

/** An inline code span, fenced with more backticks than it holds (a header-name pattern holds one). */
function code(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  const fence = text.includes("`") ? "``" : "`";
  return fence.length > 1 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
}
/** A table cell: GitHub splits cells on a pipe even inside code. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");
/** Prose from a description: `<org>` would be read as an HTML tag and `*` as emphasis. */
const prose = (text: string) => text.replace(/</g, "&lt;").replace(/\*/g, "\\*");

function typeOf(schema: Schema): string {
  if (schema["type"] === "array") return `list of ${typeOf((schema["items"] ?? {}) as Schema)}`;
  if (schema["const"] !== undefined) return code(schema["const"]);
  if (Array.isArray(schema["enum"])) {
    const values = schema["enum"] as unknown[];
    // `"false" | false`: quoted when a string sits beside a value of another type.
    const mixed = new Set(values.map((v) => typeof v)).size > 1;
    return values.length > 6 ? "string" : values.map((v) => code(mixed ? JSON.stringify(v) : v)).join(" | ");
  }
  if (schema["$ref"] === "#/definitions/secure") return "a secret (`{ secure: ... }`)";
  if (Array.isArray(schema["anyOf"])) return (schema["anyOf"] as Schema[]).map((option) => [typeOf(option), ...boundsOf(option)].join("; ")).join(", or ");
  return typeof schema["type"] === "string" ? schema["type"] : "value";
}

/** The bounds a schema node states: lengths, ranges, patterns, sizes, allowlists and refusals. */
function boundsOf(schema: Schema): string[] {
  const bounds: string[] = [];
  const range = (low: unknown, high: unknown, unit: string) => {
    if (low !== undefined && high !== undefined) bounds.push(`${String(low)}..${String(high)} ${unit}`.trim());
    else if (low !== undefined) bounds.push(`at least ${String(low)} ${unit}`.trim());
    else if (high !== undefined) bounds.push(`at most ${String(high)} ${unit}`.trim());
  };
  range(schema["minimum"], schema["maximum"], "");
  range(schema["minLength"], schema["maxLength"], "characters");
  range(schema["minItems"], schema["maxItems"], "items");
  if (schema["minProperties"] === 1 && schema["maxProperties"] === 1) bounds.push("exactly one key");
  if (schema["uniqueItems"] === true) bounds.push("no repeats");
  const patterns = [schema["pattern"], ...((schema["allOf"] ?? []) as Schema[]).map((part) => part["pattern"])].filter((p) => typeof p === "string");
  bounds.push(...patterns.map((p) => `matches ${code(p)}`));
  if (Array.isArray(schema["enum"]) && schema["enum"].length > 6) bounds.push(`one of ${(schema["enum"] as unknown[]).map(code).join(", ")}`);
  const not = schema["not"] as Schema | undefined;
  if (Array.isArray(not?.["enum"])) bounds.push(`not ${(not["enum"] as unknown[]).map(code).join(", ")}`);
  const items = schema["items"] as Schema | undefined;
  if (schema["type"] === "array" && items !== undefined && items["type"] !== "object") bounds.push(...boundsOf(items).map((b) => `each ${b}`));
  return bounds;
}

function fieldRows(schema: Schema, path: string, required: boolean, rows: FieldRow[]): void {
  const props = (schema["properties"] ?? {}) as Record<string, Schema>;
  const isList = schema["type"] === "array";
  if (path !== "") {
    rows.push({ path, type: typeOf(schema), required, defaultValue: schema["default"], allowed: boundsOf(schema), meaning: String(schema["description"] ?? "") });
  }
  const requiredKeys = new Set((schema["required"] ?? []) as string[]);
  for (const [key, child] of Object.entries(props)) fieldRows(child, path === "" ? key : `${path}.${key}`, requiredKeys.has(key), rows);
  const items = schema["items"] as Schema | undefined;
  if (isList && items?.["type"] === "object") {
    const itemRequired = new Set((items["required"] ?? []) as string[]);
    for (const [key, child] of Object.entries((items["properties"] ?? {}) as Record<string, Schema>)) fieldRows(child, `${path}[].${key}`, itemRequired.has(key), rows);
  }
}

function fieldTable(): string[] {
  const rows: FieldRow[] = [];
  fieldRows(orgJsonSchema(), "", true, rows);
  return [
    "| field | type | default | allowed | meaning |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((row) => `| ${cell(code(row.path))} | ${cell(row.type)} | ${row.required ? "required" : row.defaultValue === undefined ? "optional" : cell(code(row.defaultValue))} | ${cell(row.allowed.join("; "))} | ${cell(prose(row.meaning))} |`),
  ];
}

/** Broken copies of the example org, each breaking one cross-field rule; the page shows what validate says. */
/** apiKeys and apps[].origins (spec/api-keys-spec.ts): a repeated origin, a repeated slot, a slot for no declared app, a publishable slot for an app without origins. */
const API_KEY_RULE_EXAMPLES: readonly ((spec: ParsedSpec) => ParsedSpec)[] = [
  (spec) => ({ ...spec, apps: spec.apps.map((app, i) => (i === 0 ? { ...app, origins: ["https://shop.acme.com", "https://shop.acme.com"] } : app)) }),
  (spec) => ({ ...spec, apiKeys: [{ name: "billing-sync", app: "invoices", environment: "prod", kind: "secret" }, { name: "billing-sync", app: "invoices", environment: "dev", kind: "secret" }] }),
  (spec) => ({ ...spec, apiKeys: [{ name: "billing-sync", app: "payroll", environment: "prod", kind: "secret" }] }),
  (spec) => ({ ...spec, apps: spec.apps.map((app) => ({ ...app, origins: [] })), apiKeys: [{ name: "storefront-browser", app: "storefront", environment: "prod", kind: "publishable" }] }),
];

const RULE_EXAMPLES: readonly ((spec: ParsedSpec) => ParsedSpec)[] = [
  (spec) => ({ ...spec, environments: [...spec.environments, "dev"] }),
  (spec) => ({ ...spec, workspaces: [...spec.workspaces, { slug: "web" }] }),
  (spec) => ({ ...spec, apps: [...spec.apps, ...spec.apps.slice(0, 1)] }),
  (spec) => ({ ...spec, claimedDomains: [...spec.claimedDomains, ...spec.claimedDomains] }),
  (spec) => ({ ...spec, secrets: [...spec.secrets, ...spec.secrets.slice(0, 1)] }),
  (spec) => ({ ...spec, quotas: { ...spec.quotas, lockTimeoutMs: spec.quotas.statementTimeoutMs + 1_000 } }),
  (spec) => ({ ...spec, quotas: { ...spec.quotas, maxConnections: 6 } }),
  (spec) => ({ ...spec, apps: spec.apps.map((app, i) => (i === 0 ? { ...app, workspace: "shop" } : app)) }),
  (spec) => ({ ...spec, workspaces: [...spec.workspaces, { slug: "information" }], environments: [...spec.environments, "schema"] }),
  (spec) => ({ ...spec, apps: spec.apps.map((app, i) => (i === 0 ? { ...app, access: { users: ["contractor@example.org"] } } : app)) }),
  (spec) => ({ ...spec, secrets: spec.secrets.map((s, i) => (i === 0 ? { ...s, ref: "aws-secretsmanager:globex/prod/db#url" } : s)) }),
  (spec) => ({ ...spec, claimedDomains: [...spec.claimedDomains, "gmail.com"] }),
  (spec) => ({ ...spec, claimedDomains: [], sso: { ...spec.sso, enforce: true } }),
  (spec) => ({ ...spec, sso: { enforce: true, claim: "amr", values: ["sso", "mfa"] } }),
  (spec) => ({ ...spec, breakGlass: { enabled: true, grantee: "oncall@acme.com", reason: "restore after incident 7" } }),
  (spec) => ({ ...spec, roles: [{ name: "auditor", base: "viewer", permissions: [] }, { name: "auditor", base: "viewer", permissions: ["logs.read"] }] }),
  (spec) => (spec.edge === undefined ? spec : { ...spec, edge: { ...spec.edge, operator: { ...spec.edge.operator, issuer: spec.edge.identity.issuer } } }),
  (spec) => ({ ...spec, offboarding: { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31" }, breakGlass: { enabled: true, grantee: "oncall@acme.com", reason: "restore after incident 7", expiresAt: "2026-01-01T06:00:00Z" } }),
  ...API_KEY_RULE_EXAMPLES,
  ...WEBHOOK_RULE_EXAMPLES,
];

/** A fixed clock, so break-glass examples and the page do not change with the day. */
const EXAMPLE_NOW = new Date("2026-01-01T00:00:00Z");

function ruleLines(root: string): string[] {
  const acme = orgSpecFields.parse(JSON.parse(readStackFile(join(root, EXAMPLE_STACK)).values[ORG_CONFIG_KEY] ?? "{}"));
  const examples = RULE_EXAMPLES.map((example) => example(structuredClone(acme)));
  return CROSS_FIELD_RULES.map((rule) => {
    const problem = examples.map((spec) => rule.check(spec, EXAMPLE_NOW)[0]).find((p) => p !== undefined);
    if (problem === undefined) throw new Error(`no example in RULE_EXAMPLES breaks the rule on ${rule.field}: add one`);
    const editor = rule.inSchema === undefined ? "" : ` An editor flags it too (${rule.inSchema}).`;
    return `- ${code(rule.field)}: ${prose(rule.rule)}${editor}\n  ${code(`${formatPath(ORG_CONFIG_KEY, problem.path)} ${problem.message}`)}`;
  });
}

/** `[pP][aA]...` (JSON Schema has no flags) read back as the word, marked as matched in any case. */
function readablePattern(pattern: string): string {
  const folded = pattern.replace(/\[([a-z])([A-Z])\]/g, (whole, lower: string, upper: string) => (lower.toUpperCase() === upper ? lower : whole));
  return folded === pattern ? code(pattern) : `${code(folded)} in any case`;
}

/** The stack file's other keys, from the same schema: the provider's settings and what is refused. */
function settingLines(): string[] {
  const config = (stackFileSchema()["properties"] as Record<string, Schema>)["config"] as Schema;
  const settings = Object.entries(config["properties"] as Record<string, Schema>).filter(([key]) => key.startsWith("postgresql:"));
  const refusals = Object.entries(config["patternProperties"] as Record<string, Schema>);
  const required = new Set(config["required"] as string[]);
  return [
    "| key | required | allowed | meaning |",
    "| --- | --- | --- | --- |",
    ...settings.map(([key, schema]) => `| ${code(key)} | ${required.has(key) ? "required" : "optional"} | ${cell([typeOf(schema) === "value" ? "" : typeOf(schema), ...boundsOf(schema)].filter((s) => s !== "").join("; ") || "see meaning")} | ${cell(prose(String(schema["description"] ?? "")))} |`),
    "",
    "Other keys, by pattern: refused whatever their value (the editor marks them too), or, for a credential, allowed only as a secret:",
    "",
    ...refusals.map(([pattern, schema]) => `- ${readablePattern(pattern)}: ${prose(String(schema["description"] ?? ""))}`),
  ];
}

/** The project root, from the source (reference/) or the build (dist/reference/) alike. */
function projectRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, "Pulumi.yaml"))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error("no Pulumi.yaml above reference/: run from the project");
    dir = parent;
  }
  return dir;
}

export function renderOrgSpecDoc(root = projectRoot()): string {
  const example = readFileSync(join(root, EXAMPLE_STACK), "utf8");
  return [
    "<!-- Generated by `npm run generate` from spec/spec.ts, spec/spec-fields.ts and spec/spec-rules.ts (reference/org-spec-doc.ts). Do not edit: CI fails when it is stale. -->",
    "",
    "# The org spec: `tenantry:org`",
    "",
    "A stack file `stacks/Pulumi.org-<slug>.yaml` declares one org under `config:` `tenantry:org`.",
    "This page lists every field: its type, its default (the safe value), what is allowed, and what it means.",
    "Unknown keys are errors, so a typo never falls back to a default. `tenantry validate <stack>` checks",
    "a file completely; the message names the field and what is allowed.",
    "",
    "## In your editor",
    "",
    `Every stack file starts with \`${STACK_SCHEMA_MODELINE}\`. Editors that`,
    "use yaml-language-server (VS Code's YAML extension, Neovim, JetBrains with the YAML plugin) then complete",
    `field names, show each field's meaning on hover, and mark what [\`${STACK_SCHEMA_PATH}\`](../${STACK_SCHEMA_PATH}) refuses while`,
    "you type. The schema is generated from the same zod schema as this page and checked in CI. It states",
    "less than `tenantry validate`: the rules below it cannot express are listed under",
    "[Checked by `tenantry validate`, not by the editor](#checked-by-tenantry-validate-not-by-the-editor).",
    "It never marks a file that `tenantry validate` accepts.",
    "",
    "## Fields",
    "",
    "Paths are relative to `tenantry:org`; `[]` is any item of a list. \"optional\" means absent is allowed and",
    "has no default.",
    "",
    ...fieldTable(),
    "",
    "## Checked by `tenantry validate`, not by the editor",
    "",
    "### Rules on one field",
    "",
    ...RULES_BEYOND_SCHEMA.map((rule) => `- ${code(rule.field)}: ${prose(rule.rule)}`),
    "",
    "### Rules over two or more fields",
    "",
    "Each with the message `tenantry validate` gives when a file breaks it (from a broken copy of the example below):",
    "",
    ...ruleLines(root),
    "",
    "## The rest of the stack file",
    "",
    "Besides `tenantry:org` (or `org`: Pulumi puts a key without a namespace into the project's), tenantry",
    "reads the Postgres provider's settings. Secrets are `{ secure: ... }` values, written by",
    "`pulumi config set --secret`. Keys of namespaces tenantry does not read are allowed and ignored.",
    `Pulumi's own top-level keys (${STACK_FILE_KEYS.filter((key) => key !== "config").map(code).join(", ")}) are`,
    "allowed beside `config:`; any other top-level key is refused by `tenantry validate`, with the key it most",
    "likely meant, and marked by the editor (a misspelt `config:` would otherwise drop every setting).",
    "",
    ...settingLines(),
    "",
    "## Example",
    "",
    `\`${EXAMPLE_STACK}\`:`,
    "",
    "```yaml",
    example.trimEnd(),
    "```",
    "",
  ].join("\n");
}
