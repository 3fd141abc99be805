/**
 * The CLI contract (DESIGN.md): CI and tests rely on these numbers. Each code's meaning is said
 * here once; docs/cli.md renders this table (reference/cli-doc.ts), so the page cannot drift.
 */
export const EXIT_CODES = {
  EXIT_OK: { code: 0, meaning: "Success: the stack is compliant, every claim holds, or the command did what it says." },
  EXIT_VIOLATIONS: { code: 1, meaning: "`check` found policy violations, `prove` or `up --local` found a claim that does not hold, or a `fleet` stack failed." },
  EXIT_INVALID: { code: 2, meaning: "Invalid input: the message names the field (or the command line was wrong, or a change was refused and nothing was applied)." },
  EXIT_INTERNAL: { code: 3, meaning: "A bug in tenantry itself, never the user's input." },
  EXIT_APPLY_FAILED: { code: 4, meaning: "`up --local`: the server refused a statement (the message says which resource and why)." },
  EXIT_LOCKED: { code: 5, meaning: "A local command found the local state in use by another live command (the message names its pid)." },
  EXIT_INTERRUPTED: { code: 130, meaning: "A local command was stopped by SIGINT or SIGTERM, after cleaning up (128 + SIGINT, as shells report Ctrl-C)." },
} as const;

export const EXIT_OK = EXIT_CODES.EXIT_OK.code;
export const EXIT_VIOLATIONS = EXIT_CODES.EXIT_VIOLATIONS.code;
export const EXIT_INVALID = EXIT_CODES.EXIT_INVALID.code;
export const EXIT_INTERNAL = EXIT_CODES.EXIT_INTERNAL.code;
export const EXIT_APPLY_FAILED = EXIT_CODES.EXIT_APPLY_FAILED.code;
export const EXIT_LOCKED = EXIT_CODES.EXIT_LOCKED.code;
export const EXIT_INTERRUPTED = EXIT_CODES.EXIT_INTERRUPTED.code;
