import type { OrgSpec } from "../spec/spec";
import { BASE_ROLES, type BaseRole } from "../workers/lib/access-policy";
import { isClaimedAddress } from "../workers/lib/sso";

/*
 * People to send through an app's policy: the proof tries both, and `tenantry dev` mints its
 * ready-to-paste token for the one admitted.
 */

/**
 * The claims a token of the org's identity provider carries about its subject; with SSO
 * enforced, also the claim that says how they signed in (`amr: ["sso"]` by default).
 */
export type Subject = { sub: string; email: string; org: string; role: string; workspaces: string[]; [claim: string]: unknown };

/**
 * The sign-in claim an SSO login of the org's IdP would carry for this address: the org's
 * `sso.claim` holding the first of `sso.values`, when SSO is enforced over the address's domain;
 * nothing otherwise (a token then looks as it did before SSO existed).
 */
export function ssoClaimsFor(spec: Pick<OrgSpec, "sso" | "claimedDomains">, email: string): Record<string, string[]> {
  const { sso } = spec;
  if (!sso.enforce || !isClaimedAddress(email, spec.claimedDomains)) return {};
  return { [sso.claim]: sso.values.slice(0, 1) };
}

/** Someone the app admits, and someone it does not (in the org either way, unless nobody in it is refused). */
export function admittedAndRefused(spec: OrgSpec, app: OrgSpec["apps"][number]): [Subject, Subject] {
  const domain = spec.claimedDomains[0] ?? "example.com";
  // People of the org sign in the way it requires, so a refusal here is the app's policy, never SSO.
  const person = (role: string, email = `${role}@${domain}`, workspaces = [app.workspace]): Subject => ({ sub: email, email, org: spec.slug, role, workspaces, ...ssoClaimsFor(spec, email) });
  const { access } = app;
  if ("minRole" in access) {
    const below = BASE_ROLES[BASE_ROLES.indexOf(access.minRole) - 1] as BaseRole | undefined;
    return [person(access.minRole), below === undefined ? { ...person("owner"), org: `not-${spec.slug}` } : person(below)];
  }
  if ("users" in access) return [person("viewer", access.users[0]), person("owner", `someone-else@${domain}`)];
  if ("workspaceMembers" in access) return [person("viewer"), person("owner", undefined, [])];
  return [person("developer"), person("viewer")];
}
