import type { z } from "zod";
import { didYouMean } from "./closest-name";
import { knownKeysAt } from "./known-keys";

/** The config key the org spec lives under; every message starts with it. */
export const ORG_CONFIG_KEY = "tenantry:org";

/** One problem in a stack's configuration, addressed by its full field path. */
export interface SpecProblem {
  /** e.g. `tenantry:org.quotas.statementTimeoutMs` */
  readonly field: string;
  /** e.g. `tenantry:org.quotas.statementTimeoutMs must be 100..60000 (got 0)` */
  readonly message: string;
}

/**
 * Invalid or unsafe configuration. Raised before any resource is registered; the CLI maps it
 * to exit code 2. Messages never echo string values: a user who pastes a secret into the
 * wrong field must not see it again in a CI log.
 */
export class SpecError extends Error {
  constructor(readonly problems: readonly SpecProblem[]) {
    super(problems.map((p) => p.message).join("\n"));
    this.name = "SpecError";
  }
}

export function formatPath(root: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, key) => (typeof key === "number" ? `${acc}[${key}]` : `${acc}.${String(key)}`),
    root,
  );
}

/** Numbers and booleans are safe to echo and make a bound violation obvious; strings are not. */
function gotSuffix(input: unknown): string {
  if (typeof input === "number" || typeof input === "boolean") return ` (got ${String(input)})`;
  if (input === null) return " (got null)";
  return "";
}

const TYPE_NAMES: Record<string, string> = {
  object: "an object",
  array: "a list",
  string: "a string",
  number: "a number",
  int: "an integer",
  boolean: "true or false",
};

/**
 * Wording for the checks whose schema does not word its own; passed to zod as the parse-time
 * error map, so every message reads "<field> must ...".
 */
export function fallbackMessage(issue: z.core.$ZodRawIssue): string {
  switch (issue.code) {
    case "invalid_type":
      return `must be ${TYPE_NAMES[issue.expected] ?? issue.expected}`;
    case "invalid_value":
      return `must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}`;
    case "too_small":
      return issue.origin === "array"
        ? `must have at least ${String(issue.minimum)} item(s)`
        : `must be at least ${String(issue.minimum)} long`;
    case "too_big":
      return issue.origin === "array"
        ? `must have at most ${String(issue.maximum)} item(s)`
        : `must be at most ${String(issue.maximum)} long`;
    default:
      return issue.message ?? "is not valid";
  }
}

/**
 * Turns zod's issues into field-naming problems, one per offending field. Given the schema, an
 * unknown key is answered with the known key at its place it most likely meant.
 */
export function problemsFromZod(error: z.ZodError, root = ORG_CONFIG_KEY, schema?: z.core.$ZodType): SpecProblem[] {
  const problems = error.issues.flatMap((issue): SpecProblem[] => {
    if (issue.code === "unrecognized_keys") {
      const known = schema === undefined ? [] : knownKeysAt(schema, issue.path);
      return issue.keys.map((key) => {
        const field = formatPath(root, [...issue.path, key]);
        return {
          field,
          message: `${field} is not a known field (unknown keys are refused so a typo never falls back to a default)${didYouMean(key, known)}`,
        };
      });
    }
    const field = formatPath(root, issue.path);
    if (issue.code === "invalid_type" && issue.input === undefined) {
      // A schema may say where a required value comes from ("is required: ...").
      return [{ field, message: issue.message.startsWith("is required:") ? `${field} ${issue.message}` : `${field} is required` }];
    }
    const suffix = issue.code === "custom" ? "" : gotSuffix(issue.input);
    return [{ field, message: `${field} ${issue.message}${suffix}` }];
  });
  // One field can fail several checks that share one wording (a slug's length and pattern).
  const seen = new Set<string>();
  return problems.filter((p) => !seen.has(p.message) && seen.add(p.message));
}
