import type { OrgSpec } from "../spec/spec";
import { BASE_ROLES, type BaseRole } from "../workers/lib/access-policy";

/*
 * People to send through an app's policy: the proof tries both, and `tenantry dev` mints its
 * ready-to-paste token for the one admitted.
 */

/** The claims a token of the org's identity provider carries about its subject. */
export type Subject = { sub: string; email: string; org: string; role: string; workspaces: string[] };

/** Someone the app admits, and someone it does not (in the org either way, unless nobody in it is refused). */
export function admittedAndRefused(spec: OrgSpec, app: OrgSpec["apps"][number]): [Subject, Subject] {
  const domain = spec.claimedDomains[0] ?? "example.com";
  const person = (role: string, email = `${role}@${domain}`, workspaces = [app.workspace]): Subject => ({ sub: email, email, org: spec.slug, role, workspaces });
  const { access } = app;
  if ("minRole" in access) {
    const below = BASE_ROLES[BASE_ROLES.indexOf(access.minRole) - 1] as BaseRole | undefined;
    return [person(access.minRole), below === undefined ? { ...person("owner"), org: `not-${spec.slug}` } : person(below)];
  }
  if ("users" in access) return [person("viewer", access.users[0]), person("owner", `someone-else@${domain}`)];
  if ("workspaceMembers" in access) return [person("viewer"), person("owner", undefined, [])];
  return [person("developer"), person("viewer")];
}
