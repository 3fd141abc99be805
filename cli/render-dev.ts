import type { AppSpec, OrgSpec } from "../spec/spec";
import type { Subject } from "../local/edge-subjects";

/*
 * What `tenantry dev` prints once the edge listens: where it is, every route it serves and who
 * each app admits, and a curl that works as pasted. Pure, so the exact text is tested.
 */

/** Characters a POSIX shell takes literally outside quotes. */
const SHELL_SAFE = /^[\w@%+=:,./-]+$/;

/** One word for sh, bash or zsh: as is when safe, else single-quoted (a quote inside as '\''). */
export function shellWord(value: string): string {
  return SHELL_SAFE.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}

/** A curl of `path` on the edge with the token as a bearer credential. */
export function curlCommand(base: URL, path: string, token: string): string {
  return ["curl", "-H", shellWord(`authorization: Bearer ${token}`), shellWord(new URL(path, base).toString())].join(" ");
}

/** Who an app admits, in a few words. */
export function accessSummary(app: Pick<AppSpec, "access" | "workspace">): string {
  const { access } = app;
  if ("minRole" in access) return `role ${access.minRole} or above`;
  if ("users" in access) return `only ${access.users.join(", ")}`;
  if ("workspaceMembers" in access) return `members of workspace ${app.workspace}`;
  return "editors (developer or above)";
}

/** The routes the router serves (every app in every environment), one line per app with whom it admits. */
export function routeLines(spec: Pick<OrgSpec, "apps" | "environments">): string[] {
  const width = Math.max(0, ...spec.apps.map((a) => a.slug.length));
  const example = spec.apps[0] === undefined ? "" : `, e.g. /${spec.environments.at(-1) ?? ""}/${spec.apps[0].slug}/`;
  return [
    `  every app at /<environment>/<app>/ for environments ${spec.environments.join(", ")}${example}:`,
    ...spec.apps.map((app) => `    ${app.slug.padEnd(width)}  ${accessSummary(app)}`),
  ];
}

export interface DevReady {
  readonly stack: string;
  readonly spec: Pick<OrgSpec, "slug" | "apps" | "environments" | "workspaces">;
  readonly url: URL;
  /** Who the sample token names, and the path it is good for. */
  readonly sample: { readonly subject: Subject; readonly path: string; readonly token: string; readonly ttlSeconds: number };
}

function duration(seconds: number): string {
  if (seconds % 3600 === 0) return `${seconds / 3600} h`;
  if (seconds % 60 === 0) return `${seconds / 60} min`;
  return `${seconds} s`;
}

export function renderDevReady({ stack, spec, url, sample }: DevReady): string {
  const { subject } = sample;
  const workspaces = subject.workspaces.length === 0 ? "no workspace" : `workspace ${subject.workspaces.join(", ")}`;
  const allWorkspaces = spec.workspaces.map((w) => w.slug).join(",");
  return [
    `org ${spec.slug}'s edge in workerd: ${url.origin}/ (the router; every request needs a token of the local identity provider)`,
    ...routeLines(spec),
    "",
    `try it (a token for ${subject.email}, role ${subject.role}, ${workspaces}; valid ${duration(sample.ttlSeconds)}):`,
    `  ${curlCommand(url, sample.path, sample.token)}`,
    "",
    `another user or role: TOKEN=$(npx tenantry token ${stack} --email <e-mail> --role <role> [--workspaces ${allWorkspaces}])`,
    "Ctrl-C stops the edge; the embedded Postgres keeps running (npx tenantry down --local stops it).",
  ].join("\n");
}
