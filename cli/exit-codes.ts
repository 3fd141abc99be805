/** The CLI contract (DESIGN.md): CI and tests rely on these numbers. */
export const EXIT_OK = 0;
/** `check` found policy violations. */
export const EXIT_VIOLATIONS = 1;
/** Invalid input: the message names the field. */
export const EXIT_INVALID = 2;
/** A bug in tenantry itself, never the user's input. */
export const EXIT_INTERNAL = 3;
/** `up --local`: the server refused a statement (the message says which resource and why). */
export const EXIT_APPLY_FAILED = 4;
/** A local command found the local state in use by another live command (the message names its pid). */
export const EXIT_LOCKED = 5;
/** A local command was stopped by SIGINT or SIGTERM, after cleaning up (128 + SIGINT, as shells report Ctrl-C). */
export const EXIT_INTERRUPTED = 130;
