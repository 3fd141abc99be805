/*
 * The access policy evaluator: (subject, action, resource) -> allow | deny, with the reason.
 * Pure and dependency-free: the dispatch router bundles it, and the tests call it directly.
 * Anything it does not recognise (role, action, resource, org) is denied.
 */

/** Base roles, lowest first: owner > admin > developer > viewer. */
export const BASE_ROLES = ["viewer", "developer", "admin", "owner"] as const;
export type BaseRole = (typeof BASE_ROLES)[number];

/** Every action the platform knows; a grant may name one, a prefix (`deploy.*`) or `*`. */
export const ACTIONS = [
  "app.read", "app.invoke", "app.write", "logs.read",
  "deploy.preview", "deploy.production",
  "secret.read", "secret.write",
  "member.invite", "member.remove",
] as const;
export type Action = (typeof ACTIONS)[number];

/** What each base role may do by itself; each role also holds everything below it. */
const BASE_GRANTS: Record<BaseRole, readonly string[]> = {
  viewer: ["app.read", "app.invoke", "logs.read"],
  developer: ["app.write", "deploy.preview"],
  admin: ["deploy.*", "secret.*", "member.invite"],
  owner: ["*"],
};

export interface CustomRole {
  readonly name: string;
  /** The base role it extends (its rank for per-app minRole policies). */
  readonly base: BaseRole;
  /** `*`, an exact action (`deploy.preview`) or a prefix wildcard (`deploy.*`). */
  readonly permissions: readonly string[];
}

export type AppAccess =
  | { readonly minRole: BaseRole }
  | { readonly users: readonly string[] }
  | { readonly workspaceMembers: true }
  | { readonly editorsOnly: true };

export interface AppPolicy {
  readonly slug: string;
  readonly workspace: string;
  readonly access: AppAccess;
}

export interface OrgPolicy {
  readonly org: string;
  readonly environments: readonly string[];
  readonly apps: readonly AppPolicy[];
  readonly roles: readonly CustomRole[];
}

/** Who asks, as the router verified it from the token. */
export interface Subject {
  readonly email: string;
  readonly org: string;
  readonly role: string;
  readonly workspaces: readonly string[];
}

export interface Decision {
  readonly allow: boolean;
  readonly reason: string;
}

const allow = (reason: string): Decision => ({ allow: true, reason });
const deny = (reason: string): Decision => ({ allow: false, reason });
const rank = (role: BaseRole) => BASE_ROLES.indexOf(role);
const isBaseRole = (role: string): role is BaseRole => (BASE_ROLES as readonly string[]).includes(role);

/** Does a grant pattern cover an action? `*` all, `deploy.*` every `deploy.` action, else exact. */
export function grantCovers(grant: string, action: string): boolean {
  if (grant === "*") return true;
  if (grant.endsWith(".*")) return action.startsWith(grant.slice(0, -1));
  return grant === action;
}

/** Every grant a base role holds, its own and those of the roles below it. */
function baseGrants(role: BaseRole): string[] {
  return BASE_ROLES.slice(0, rank(role) + 1).flatMap((r) => BASE_GRANTS[r]);
}

type Resolved = { readonly base: BaseRole; readonly grants: readonly string[] };

function resolveRole(policy: OrgPolicy, role: string): Resolved | undefined {
  if (isBaseRole(role)) return { base: role, grants: baseGrants(role) };
  const custom = policy.roles.find((r) => r.name === role);
  return custom === undefined ? undefined : { base: custom.base, grants: [...baseGrants(custom.base), ...custom.permissions] };
}

type Target = { readonly kind: "app"; readonly app: AppPolicy } | { readonly kind: "environment"; readonly name: string };

/** `app/<slug>`, `project/<slug>`, `runtime/<slug>`; `env/<slug>`; or the tiers `production`, `preview`. */
function resolveResource(policy: OrgPolicy, resource: string): Target | undefined {
  const [kind, name, ...rest] = resource.split("/");
  if (rest.length > 0) return undefined;
  if (name === undefined) return resource === "production" || resource === "preview" ? { kind: "environment", name: resource } : undefined;
  if (kind === "env") return policy.environments.includes(name) ? { kind: "environment", name } : undefined;
  if (kind !== "app" && kind !== "project" && kind !== "runtime") return undefined;
  const app = policy.apps.find((a) => a.slug === name);
  return app === undefined ? undefined : { kind: "app", app };
}

/** The app's own policy: who may reach it at all. */
function appAdmits(app: AppPolicy, subject: Subject, base: BaseRole): Decision {
  const { access } = app;
  if ("minRole" in access) {
    return rank(base) >= rank(access.minRole) ? allow(`role ${base} meets ${app.slug}'s minimum ${access.minRole}`) : deny(`${app.slug} needs role ${access.minRole} or above`);
  }
  if ("users" in access) {
    const email = subject.email.toLowerCase();
    return access.users.some((u) => u.toLowerCase() === email) ? allow(`${email} is named by ${app.slug}`) : deny(`${app.slug} admits only its named users`);
  }
  if ("workspaceMembers" in access) {
    return subject.workspaces.includes(app.workspace) ? allow(`member of workspace ${app.workspace}`) : deny(`${app.slug} admits only members of workspace ${app.workspace}`);
  }
  return rank(base) >= rank("developer") ? allow(`role ${base} is an editor`) : deny(`${app.slug} admits editors only`);
}

export function decide(policy: OrgPolicy, subject: Subject, action: string, resource: string): Decision {
  if (subject.org !== policy.org) return deny(`subject belongs to org ${subject.org || "(none)"}, not ${policy.org}`);
  const role = resolveRole(policy, subject.role);
  if (role === undefined) return deny(`unknown role ${subject.role || "(none)"}`);
  if (!(ACTIONS as readonly string[]).includes(action)) return deny(`unknown action ${action}`);
  const target = resolveResource(policy, resource);
  if (target === undefined) return deny(`unknown resource ${resource}`);
  const grant = role.grants.find((g) => grantCovers(g, action));
  if (grant === undefined) return deny(`role ${subject.role} is not granted ${action}`);
  // Reaching an app is also subject to the app's own policy, whatever the role grants.
  if (action === "app.invoke" && target.kind === "app") return appAdmits(target.app, subject, role.base);
  return allow(`role ${subject.role} holds ${grant}`);
}
