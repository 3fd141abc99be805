import { z } from "zod";
import { formatPath, SpecError } from "../spec/spec-errors";

/*
 * A saved `tenantry prove --local --json` result, read back by `tenantry report --proof`:
 * validated once, here, so the model is built only from a proof whose every field is what
 * prove wrote. Unknown keys are errors (a hand-edited or foreign file is refused, not half-read).
 * Messages name the field and what is allowed, never a string value from the file.
 */

const claimSchema = z.strictObject({
  claim: z.string(),
  attempt: z.string(),
  result: z.string(),
  status: z.enum(["pass", "fail", "skip"]),
  properties: z.array(z.number().int().min(1).max(20)).min(1).optional(),
  at: z.iso.datetime().optional(),
});

const count = z.number().int().min(0);

export const savedProofSchema = z.strictObject({
  provedAt: z.iso.datetime(),
  tenantry: z.strictObject({ version: z.string().min(1), commit: z.string().min(1) }),
  stacks: z.array(z.strictObject({
    stack: z.string().min(1),
    // prove --local --json is the only proof that writes provedAt, and it proves the embedded server:
    // an allowlist of one, so a hand-edited target cannot write a sentence into the page's provenance line.
    target: z.literal("embedded"),
    claims: z.array(claimSchema),
    summary: z.strictObject({ hold: count, broken: count, skipped: count }),
  })).min(1),
});

export type SavedProof = z.infer<typeof savedProofSchema>;
export type SavedStackProof = SavedProof["stacks"][number];

const KINDS: Record<string, string> = { object: "an object", array: "a list", string: "a string", number: "a number" };

/** A key of the file as the terminal may show it: control characters (escape sequences above all) written as \u escapes, never sent. */
function shownKey(key: string): string {
  return key.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

/** What zod found wrong, said without echoing the file's strings. */
function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === "unrecognized_keys") return `has unknown key(s) ${issue.keys.map(shownKey).join(", ")}`;
  if (issue.code === "invalid_value") return `must be one of ${issue.values.map(String).join(", ")}`;
  if (issue.code === "invalid_type") return `must be ${KINDS[issue.expected] ?? issue.expected}${issue.input === undefined ? " (missing)" : ""}`;
  if (issue.code === "invalid_format") return "must be an ISO 8601 time (as prove --json writes it)";
  if (issue.code === "too_small") return issue.origin === "array" ? `must have at least ${String(issue.minimum)} item(s)` : `must be at least ${String(issue.minimum)}`;
  if (issue.code === "too_big") return `must be at most ${String(issue.maximum)}`;
  return issue.message;
}

/** How far a saved proof's clock may run ahead of this machine's (two machines' clocks differ). */
const CLOCK_SKEW_MS = 5 * 60_000;

/**
 * Times a proof prove wrote cannot have: proved after now, or a claim run after the proof was
 * written (prove stamps provedAt when every claim has run). A file that has them was edited.
 */
function refuseLaterThan(proof: SavedProof, file: string, now: Date): void {
  const provedAt = Date.parse(proof.provedAt);
  const problems = [
    ...(provedAt > now.getTime() + CLOCK_SKEW_MS ? [{ field: "--proof.provedAt", message: `--proof.provedAt is later than now (in ${file}): a proof cannot have run in the future` }] : []),
    ...proof.stacks.flatMap((s, i) => s.claims.flatMap((c, j) => {
      const field = `--proof.stacks[${i}].claims[${j}].at`;
      return c.at !== undefined && Date.parse(c.at) > provedAt ? [{ field, message: `${field} is later than the proof's provedAt (in ${file}): prove writes provedAt after every claim has run` }] : [];
    })),
  ];
  if (problems.length > 0) throw new SpecError(problems);
}

/**
 * The proof of `stack` in a saved result: the file parsed as JSON, validated whole, and the
 * stack's own entry picked. A file of other stacks only, or not of prove's shape, is refused.
 */
export function savedProofOf(text: string, file: string, stack: string, now = new Date()): { readonly proof: SavedProof; readonly stack: SavedStackProof } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new SpecError([{ field: "--proof", message: `--proof ${file} is not JSON: save it with tenantry prove --local ${stack} --json > ${file}` }]);
  }
  const parsed = savedProofSchema.safeParse(json);
  if (!parsed.success) {
    throw new SpecError(parsed.error.issues.map((issue) => {
      const field = formatPath("--proof", issue.path);
      return { field, message: `${field} ${describe(issue)} (in ${file}, which must be the output of tenantry prove --local --json)` };
    }));
  }
  refuseLaterThan(parsed.data, file, now);
  const own = parsed.data.stacks.find((s) => s.stack === stack);
  if (own === undefined) {
    const held = parsed.data.stacks.map((s) => s.stack).join(", ");
    throw new SpecError([{ field: "--proof", message: `--proof ${file} is a proof of ${held}, not of ${stack}: prove this stack (tenantry prove --local ${stack} --json) or name the stack it is for` }]);
  }
  return { proof: parsed.data, stack: own };
}
