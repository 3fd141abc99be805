/*
 * The one path the operator gateway judges and forwards. A console framework reads a path in
 * ways the gateway cannot know (case-insensitive routes, `;` matrix parameters, percent-decoding,
 * `\` as `/`, suffix patterns), so instead of guessing each reading the gateway accepts only
 * paths that have one: segments of RFC 3986 unreserved characters and `@`, nothing else.
 *
 * Refused (400): `%` in any form (an escape of an allowed character is a second spelling of the
 * same path; an escape of anything else is outside the grammar), `\`, `;` and every other
 * sub-delimiter, empty segments (`//`, which a URL parser reads as a host), `.` and `..`
 * segments, control and non-ASCII characters (which a URL parser hands over as `%`-escapes), and
 * paths over 1024 characters. One trailing `/` is allowed: directory-style URLs are common and it
 * names no other segment.
 */

/** The longest path the gateway forwards. */
export const MAX_CONSOLE_PATH = 1024;

const SEGMENT = "[A-Za-z0-9._~@-]+";
const GRAMMAR = new RegExp(`^(?:/|(?:/${SEGMENT})+/?)$`);

/**
 * `pathname` (a parsed URL's, as the gateway receives it) if it is inside the grammar, unchanged;
 * undefined otherwise. What this returns is the path judged and the path forwarded.
 */
export function canonicalConsolePath(pathname: string): string | undefined {
  if (pathname.length > MAX_CONSOLE_PATH || !GRAMMAR.test(pathname)) return undefined;
  if (pathname.split("/").some((segment) => segment === "." || segment === "..")) return undefined;
  return pathname;
}

/**
 * Whether a canonical path is the console's admin area: its first segment, in any case, is
 * `admin` up to the first character that is not a letter or digit. So `/ADMIN/users`,
 * `/admin.json` (a suffix pattern) and `/admin./x` (a trailing dot some servers strip) are admin
 * paths; `/administer` is not. Erring this way refuses a support-write operator more, never less.
 */
export function isAdminPath(path: string): boolean {
  const first = path.split("/")[1] ?? "";
  return /^admin(?![A-Za-z0-9])/i.test(first);
}
