import { isSecretValue, type RegisteredResource } from "../harness/recording-monitor";
import { SECRET_PLACEHOLDER } from "../harness/stack-file";

/*
 * The resource tree a stack would create, as text. Pure: tested directly, and the only place
 * that decides how a value is shown, so a secret can only ever print as `[secret]`.
 */

/** `postgresql:index/role:Role` -> `postgresql:Role`; component tokens stay as they are. */
export function shortType(type: string): string {
  const match = /^([^:]+):[^:]*\/[^:]*:(.+)$/.exec(type);
  return match === null ? type : `${match[1]}:${match[2]}`;
}

export function renderValue(value: unknown): string {
  if (isSecretValue(value)) return SECRET_PLACEHOLDER;
  if (Array.isArray(value)) return `[${value.map(renderValue).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    return `{${Object.entries(value).map(([k, v]) => `${k}=${renderValue(v)}`).join(" ")}}`;
  }
  return String(value);
}

/** Code stays out of the tree: a migration's SQL and a Worker's bundle are summarised. */
function renderInput(key: string, value: unknown): string {
  if (key === "__provider") return "[serialized provider]";
  if (key === "sql" && typeof value === "string") return `[${value.split("\n").length} lines of SQL]`;
  if (key === "content" && typeof value === "string") return `[${Buffer.byteLength(value)} bytes of Worker code]`;
  return renderValue(value);
}

function describe(resource: RegisteredResource): string {
  const flags = [resource.protect ? "protect" : "", resource.retainOnDelete ? "retainOnDelete" : ""].filter(Boolean);
  const inputs = Object.entries(resource.inputs).map(([key, value]) => `${key}=${renderInput(key, value)}`);
  const head = `${shortType(resource.type)} ${resource.name}`;
  return [head, ...flags.map((f) => `[${f}]`), ...inputs].join("  ");
}

/** Renders every registered resource under its parent, in registration order. */
export function renderPlanTree(resources: readonly RegisteredResource[]): string {
  const known = new Set(resources.map((r) => r.urn));
  const children = new Map<string | undefined, RegisteredResource[]>();
  for (const resource of resources) {
    const parent = resource.parent !== undefined && known.has(resource.parent) ? resource.parent : undefined;
    children.set(parent, [...(children.get(parent) ?? []), resource]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, indent: string) => {
    const siblings = children.get(parent) ?? [];
    siblings.forEach((resource, i) => {
      const last = i === siblings.length - 1;
      lines.push(`${indent}${parent === undefined ? "" : last ? "└─ " : "├─ "}${describe(resource)}`);
      walk(resource.urn, parent === undefined ? indent : `${indent}${last ? "   " : "│  "}`);
    });
  };
  walk(undefined, "");
  return lines.join("\n");
}

/** `12 postgresql:Grant, 9 postgresql:Role, ...`, most frequent first. */
export function summarizeTypes(resources: readonly RegisteredResource[]): string {
  const counts = new Map<string, number>();
  for (const r of resources) counts.set(shortType(r.type), (counts.get(shortType(r.type)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([t, n]) => `${n} ${t}`).join(", ");
}
