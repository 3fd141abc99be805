/*
 * Where the operator gateway sends an admitted request: the console's origin, with only the path
 * and the query taken from the request. The URL starts as the origin and the two are set on it,
 * so nothing in them is ever parsed as a scheme or a host (`new URL(path, origin)` reads a path
 * starting with `//` or `/\` as a host: the open forward this replaces). The result is checked
 * once more before it is returned: a target on any other origin, or with another path than the
 * one judged, is refused.
 */

/** The console URL for `path` and `search`; throws (the gateway answers 503) if it would leave the console's origin or change the path. */
export function consoleTarget(consoleOrigin: string, path: string, search: string): URL {
  const origin = new URL(consoleOrigin).origin;
  const target = new URL(origin);
  target.pathname = path;
  target.search = search;
  if (target.origin !== origin) throw new Error("the console target left the console's origin");
  if (target.pathname !== path) throw new Error("the console target's path is not the path judged");
  return target;
}
