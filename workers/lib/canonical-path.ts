/*
 * One canonical spelling of a path, for deciding which paths an app's own router may treat as an
 * integration's route (B3). App routers commonly ignore case, a trailing slash, repeated slashes,
 * `;params` and percent-encoding, and mount a handler on a prefix (`app.use("/stripe", ...)`);
 * so the router judges a request by this form, and only the exact route spelling carries an
 * integration's signature. Erring towards one form for many spellings only refuses more.
 */

/** How many rounds of percent-decoding: an app that decodes once more than the runtime did is covered. */
const DECODE_ROUNDS = 3;

/** `%XX` runs decoded as UTF-8 (invalid sequences as U+FFFD): never throws, unlike decodeURIComponent. */
function percentDecoded(text: string): string {
  return text.replace(/(?:%[0-9a-fA-F]{2})+/g, (run) => {
    const bytes = Uint8Array.from(run.slice(1).split("%"), (hex) => Number.parseInt(hex, 16));
    return new TextDecoder().decode(bytes);
  });
}

/**
 * The canonical form of `pathname`: percent-decoded (up to three rounds), `\` read as `/`,
 * NFKC-normalised and lower-cased, each segment cut at its first `;`, empty and `.` segments
 * dropped and `..` resolved, no trailing slash. `/prod/app/%53tripe;x//` -> `/prod/app/stripe`.
 */
export function canonicalPath(pathname: string): string {
  let path = pathname;
  for (let round = 0; round < DECODE_ROUNDS; round++) {
    const next = percentDecoded(path);
    if (next === path) break;
    path = next;
  }
  path = path.replace(/\\/g, "/").normalize("NFKC").toLowerCase();
  const segments: string[] = [];
  for (const raw of path.split("/")) {
    const segment = raw.split(";", 1)[0] ?? "";
    if (segment === "" || segment === ".") continue;
    if (segment === "..") segments.pop();
    else segments.push(segment);
  }
  return `/${segments.join("/")}`;
}

/** Whether `pathname`, canonically, is `route` or a path below it (where a prefix-mounted handler answers). */
export function canonicallyWithin(pathname: string, route: string): boolean {
  const path = canonicalPath(pathname);
  const base = canonicalPath(route);
  return path === base || path.startsWith(`${base}/`);
}
