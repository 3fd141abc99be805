import { existsSync, readdirSync, readFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { parse } from "yaml";
import { didYouMean } from "../spec/closest-name";
import { SpecError, type SpecProblem } from "../spec/spec-errors";

/** A stack file as the Pulumi CLI would hand it to the program. */
export interface StackFile {
  readonly path: string;
  /** From the file name: `Pulumi.<stack>.yaml`. */
  readonly stack: string;
  /** Flat config, `namespace:key` -> string; objects as JSON text, as the Pulumi CLI passes them. */
  readonly values: Readonly<Record<string, string>>;
  /** Keys set with `secure:`; their value here is a placeholder, never the ciphertext. */
  readonly secretKeys: ReadonlySet<string>;
}

const PROJECT = "tenantry";

/**
 * The top-level keys of Pulumi's stack settings file (its ProjectStack: config, secretsprovider,
 * encryptedkey, encryptionsalt, environment); tenantry reads config only. Any other key is
 * refused, as unknown keys are everywhere else: a misspelt `config:` would drop every setting.
 * schema/stack.schema.json allows exactly these (reference/stack-schema.ts reads this list).
 */
export const STACK_FILE_KEYS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"] as const;
export type StackFileKey = (typeof STACK_FILE_KEYS)[number];

/**
 * The shape Pulumi reads for each of its own keys. tenantry does not read them, but refuses a
 * value of another shape, as the schema does, so the two never disagree on a file.
 */
const PULUMI_VALUES: Readonly<Record<Exclude<StackFileKey, "config">, { readonly shape: string; readonly holds: (value: unknown) => boolean }>> = {
  secretsprovider: { shape: "a string", holds: (value) => typeof value === "string" },
  encryptedkey: { shape: "a string", holds: (value) => typeof value === "string" },
  encryptionsalt: { shape: "a string", holds: (value) => typeof value === "string" },
  environment: {
    shape: "a list of environment names or a mapping",
    holds: (value) => isRecord(value) || (Array.isArray(value) && value.every((name) => typeof name === "string")),
  },
};

/**
 * The first line of every stack file in stacks/: editors with yaml-language-server check the file
 * against the generated schema (schema/stack.schema.json) while the user types. The server
 * resolves a relative path against the stack file's own folder.
 */
export const STACK_SCHEMA_MODELINE = "# yaml-language-server: $schema=../schema/stack.schema.json";
const STACK_FILE = /^Pulumi\.(.+)\.ya?ml$/;

/** `Pulumi.<stack>.yaml` -> `<stack>`; undefined for any other file name. */
export function stackNameOf(fileName: string): string | undefined {
  return STACK_FILE.exec(basename(fileName))?.[1];
}

/** The org stacks (`Pulumi.org-<slug>.yaml`) of a stacks/ directory, sorted by name. */
export function orgStackFiles(stacksDir: string): { readonly stack: string; readonly path: string }[] {
  return readdirSync(stacksDir)
    .flatMap((file) => {
      const stack = stackNameOf(file);
      return stack !== undefined && /^org-[a-z0-9-]+$/.test(stack) ? [{ stack, path: join(stacksDir, file) }] : [];
    })
    .sort((a, b) => a.stack.localeCompare(b.stack));
}
export const SECRET_PLACEHOLDER = "[secret]";

/** `<stack>` is a stack name found in `<projectDir>/stacks`, or a path to any `Pulumi.<stack>.yaml`. */
export function resolveStackFile(stackOrPath: string, projectDir: string): string {
  const looksLikePath = stackOrPath.includes("/") || /\.ya?ml$/.test(stackOrPath);
  const path = looksLikePath ? resolve(stackOrPath) : join(projectDir, "stacks", `Pulumi.${stackOrPath}.yaml`);
  if (!existsSync(path)) {
    const looked = looksLikePath ? path : `stacks/Pulumi.${stackOrPath}.yaml`;
    const hint = looksLikePath ? "" : didYouMean(stackOrPath, stackNames(join(projectDir, "stacks")));
    throw new SpecError([{ field: "stack", message: `stack ${stackOrPath} not found (looked for ${looked})${hint}` }]);
  }
  return path;
}

/** Every stack of a stacks/ directory (org stacks and any other), none when it is missing. */
function stackNames(stacksDir: string): string[] {
  if (!existsSync(stacksDir)) return [];
  return readdirSync(stacksDir).flatMap((file) => stackNameOf(file) ?? []).sort();
}

export function readStackFile(path: string): StackFile {
  if (stackNameOf(path) === undefined) {
    throw new SpecError([{ field: "stack", message: `${basename(path)} is not a stack file name (expected Pulumi.<stack>.yaml)` }]);
  }
  return parseStackFile(readFileSync(path, "utf8"), path);
}

/** A stack file's text, read as {@link readStackFile} reads it; `path` names it (its stack comes from its file name). */
export function parseStackFile(text: string, path: string): StackFile {
  const stack = stackNameOf(path);
  if (stack === undefined) {
    throw new SpecError([{ field: "stack", message: `${basename(path)} is not a stack file name (expected Pulumi.<stack>.yaml)` }]);
  }
  let document: unknown;
  try {
    document = parse(text);
  } catch (error) {
    // The YAML parser's message can quote the offending line, which may hold a secret.
    const where = error instanceof Error && "linePos" in error ? lineOf(error) : "";
    throw new SpecError([{ field: "stack", message: `${basename(path)} is not valid YAML${where}` }]);
  }
  if (isRecord(document)) throwOnTopLevelProblems(document, path);
  const config = isRecord(document) ? document["config"] ?? {} : undefined;
  if (!isRecord(config)) {
    throw new SpecError([{ field: "config", message: `${basename(path)} must be a mapping with a config: mapping` }]);
  }
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [rawKey, value] of Object.entries(config)) {
    // Pulumi puts keys without a namespace into the project's own.
    const key = rawKey.includes(":") ? rawKey : `${PROJECT}:${rawKey}`;
    if (isRecord(value) && Object.keys(value).length === 1 && typeof value["secure"] === "string") {
      secretKeys.add(key);
      values[key] = SECRET_PLACEHOLDER;
    } else {
      values[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { path, stack, values, secretKeys };
}

function throwOnTopLevelProblems(document: Record<string, unknown>, path: string): void {
  const known: readonly string[] = STACK_FILE_KEYS;
  const problems = Object.entries(document).flatMap(([key, value]): SpecProblem[] => {
    if (!known.includes(key)) {
      return [{
        field: key,
        message: `${key} is not a stack file setting: ${basename(path)} may hold only ${STACK_FILE_KEYS.join(", ")} at its top level (tenantry reads config)${didYouMean(key, STACK_FILE_KEYS)}`,
      }];
    }
    const pulumi = key === "config" ? undefined : PULUMI_VALUES[key as Exclude<StackFileKey, "config">];
    return pulumi === undefined || pulumi.holds(value) ? [] : [{ field: key, message: `${key} must be ${pulumi.shape} (Pulumi's setting)` }];
  });
  if (problems.length > 0) throw new SpecError(problems);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function lineOf(error: Error): string {
  const pos = (error as { linePos?: { line: number }[] }).linePos?.[0];
  return pos === undefined ? "" : ` (line ${pos.line})`;
}
