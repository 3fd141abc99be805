import { BASE_ROLES, decide, type Subject } from "../workers/lib/access-policy";
import { judgeApiKey, type KeyRecord } from "../workers/lib/api-key-admission";
import { integrationAt, routeOf } from "../workers/lib/integration-route";
import { ssoAdmits } from "../workers/lib/sso";
import type { RouterConfig, RouterKeySlot } from "../workers/dispatch/config";
import type { AccessCell, AccessMatrix, AccessPrincipal } from "./report-model";

/*
 * The trust page's access matrix: who may reach each app in each environment, decided by the
 * functions the router bundles (workers/dispatch/router.ts), over the configuration the program
 * binds into it (components/edge-config.ts routerConfig). Nothing here judges access itself: each
 * cell is the evaluator's, the key check's or the integration route's answer, reason included.
 */

/** The least role that may invoke an app: what a named user or a workspace member is asked as, so the row shows what the app's policy adds. */
export const LEAST_ROLE = BASE_ROLES[0];

/** An address no app names and no claimed domain holds: a role's row shows the role alone. */
export const ROLE_ONLY_EMAIL = "someone@report.invalid";

export const workspacePrincipal = (workspace: string): AccessPrincipal => ({ kind: "workspace", name: `${workspace} members` });
export const keyPrincipal = (slot: RouterKeySlot): AccessPrincipal => ({ kind: "api-key", name: `${slot.name} (${slot.kind} key)` });

/** The matrix's rows: base roles then the org's own, each named user, each workspace's members, each key slot, each integration. */
export function principalsOf(config: RouterConfig): AccessPrincipal[] {
  const users = [...new Set(config.apps.flatMap((app) => ("users" in app.access ? app.access.users.map((u) => u.toLowerCase()) : [])))];
  const workspaces = [...new Set(config.apps.map((app) => app.workspace))];
  return [
    ...[...BASE_ROLES].reverse().map((role): AccessPrincipal => ({ kind: "role", name: role })),
    ...config.roles.map((role): AccessPrincipal => ({ kind: "role", name: role.name })),
    ...users.map((email): AccessPrincipal => ({ kind: "user", name: email })),
    ...workspaces.map(workspacePrincipal),
    ...(config.apiKeys ?? []).map(keyPrincipal),
    ...(config.integrations ?? []).map((i): AccessPrincipal => ({ kind: "integration", name: i.name })),
  ];
}

/** The verified identity a user-token principal stands for: a role alone, a named user or a workspace member (both at the least role). */
export function subjectFor(config: RouterConfig, principal: AccessPrincipal): Subject | undefined {
  const base = { org: config.org, workspaces: [] as string[] };
  if (principal.kind === "role") return { ...base, email: ROLE_ONLY_EMAIL, role: principal.name };
  if (principal.kind === "user") return { ...base, email: principal.name, role: LEAST_ROLE };
  if (principal.kind === "workspace") {
    const workspace = principal.name.replace(/ members$/, "");
    return { ...base, email: ROLE_ONLY_EMAIL, role: LEAST_ROLE, workspaces: [workspace] };
  }
  return undefined;
}

/**
 * A key of `slot` presented to `app` in `environment`, as the router judges it: the stored row is
 * the slot's own (not revoked), a publishable key comes from its own app's first declared origin
 * (a browser where it is meant to be used), a secret key from a server (no browser markers).
 */
function keyCell(config: RouterConfig, slot: RouterKeySlot, app: string, environment: string): Pick<AccessCell, "decision" | "reason"> {
  const keyHash = "0".repeat(64);
  const record: KeyRecord = { id: "report", keyHash, slot: slot.name, app: slot.app, environment: slot.environment, kind: slot.kind, revokedAt: null };
  const target = config.apps.find((a) => a.slug === app);
  const origin = config.apps.find((a) => a.slug === slot.app)?.origins[0];
  const headers = new Headers(slot.kind === "publishable" && origin !== undefined ? { origin } : {});
  const verdict = judgeApiKey(slot.kind, keyHash, record, { org: config.org, app, environment, slots: config.apiKeys ?? [], appOrigins: target?.origins ?? [], headers });
  if (!verdict.admit) return { decision: "deny", reason: `${verdict.status}: ${verdict.reason}` };
  return { decision: "allow", reason: `a ${slot.kind} key of slot ${slot.name}${slot.kind === "publishable" && origin !== undefined ? ` from ${origin}` : " from a server"}` };
}

/** An integration's signed request at `/<environment>/<app><its path>`: the router opens only the integration's own route to it. */
function integrationCell(config: RouterConfig, name: string, app: string, environment: string): Pick<AccessCell, "decision" | "reason"> {
  const integration = (config.integrations ?? []).find((i) => i.name === name);
  if (integration === undefined) return { decision: "deny", reason: `no integration ${name}` };
  const on = integrationAt(config.integrations, `/${environment}/${app}${integration.path}`);
  if (on !== undefined && on.exact && on.integration.name === name) {
    return { decision: "allow", reason: `POST ${routeOf(integration)} with a valid ${integration.scheme} signature (verified before dispatch)` };
  }
  return { decision: "deny", reason: `${name}'s signature opens only ${routeOf(integration)}` };
}

/**
 * What an allow for `email` also takes at the router: before the evaluator is asked, a token for
 * an address the org's SSO rule covers is refused (401) unless its sign-in claim names the SSO
 * (workers/lib/sso.ts, the function the router calls). Asked with a token that carries no claim,
 * so the cell says the condition whenever the router would impose it.
 */
export function ssoCondition(config: RouterConfig, email: string): string {
  if (config.sso.enforce === false || ssoAdmits(config.sso, email, {})) return "";
  return `; only with a token that came through the org's SSO (${config.sso.claim}: ${config.sso.values.join(" or ")}), or the router refuses it (401)`;
}

export function cellFor(config: RouterConfig, principal: AccessPrincipal, app: string, environment: string): AccessCell {
  const at = { principal, app, environment };
  const subject = subjectFor(config, principal);
  if (subject !== undefined) {
    const decision = decide(config, subject, "app.invoke", `app/${app}`);
    return { ...at, decision: decision.allow ? "allow" : "deny", reason: decision.allow ? `${decision.reason}${ssoCondition(config, subject.email)}` : decision.reason };
  }
  if (principal.kind === "api-key") {
    const slot = (config.apiKeys ?? []).find((s) => keyPrincipal(s).name === principal.name);
    return { ...at, ...(slot === undefined ? { decision: "deny", reason: "no such slot" } : keyCell(config, slot, app, environment)) };
  }
  return { ...at, ...integrationCell(config, principal.name, app, environment) };
}

/** Every app in every environment of the org (the router serves `/<environment>/<app>` for each), against every principal. */
export function accessMatrix(config: RouterConfig): AccessMatrix {
  const principals = principalsOf(config);
  const columns = config.apps.flatMap((app) => config.environments.map((environment) => ({ app: app.slug, environment })));
  const cells = principals.flatMap((principal) => columns.map(({ app, environment }) => cellFor(config, principal, app, environment)));
  return { principals, columns, cells };
}
