import { emailAddress } from "../spec/spec-fields";
import { SpecError, type SpecProblem } from "../spec/spec-errors";
import { ORG_ROLES, type OrgSpec } from "../spec/spec";
import { DEFAULT_TOKEN_TTL_SECONDS, TOKEN_TTL_BOUNDS } from "./dev-defaults";
import { ssoClaimsFor, type Subject } from "./edge-subjects";

/*
 * `tenantry token`: who a token of the local identity provider names, checked against the
 * stack's spec before anything is signed. Roles and workspaces are allowlisted from the spec, so
 * a token never carries a role the router does not know or a workspace the org does not have
 * (either would be refused at the router; refusing here says why). Messages name the option and
 * do not echo what was typed.
 */


/** The options as typed. */
export interface TokenRequest {
  readonly email: string;
  readonly role: string;
  /** Comma-separated workspace slugs; none when absent. */
  readonly workspaces?: string;
  /** Whole seconds (the command line parses --ttl with tokenTtlFromText); DEFAULT_TOKEN_TTL_SECONDS when absent. */
  readonly ttlSeconds?: number;
  /**
   * Comma-separated sign-in methods for the token's `amr` claim (RFC 8176), e.g. `pwd` for a
   * password login; an empty text for a token without the claim. Absent: the token says what an
   * SSO login of the org's IdP would, where the org enforces SSO over the address (ssoClaimsFor).
   */
  readonly amr?: string;
}

/** An `amr` value: what the spec allows in sso.values, so any value the spec could accept can be minted. */
const AMR_VALUE = /^[\x21-\x2b\x2d-\x7e]{1,64}$/;

export interface TokenGrant {
  readonly subject: Subject;
  readonly ttlSeconds: number;
}

/** The roles a token may carry for this org: the base roles, then the spec's custom roles. */
export function tokenRoles(spec: Pick<OrgSpec, "roles">): string[] {
  return [...ORG_ROLES, ...spec.roles.map((r) => r.name)];
}

export function parseTokenRequest(spec: Pick<OrgSpec, "slug" | "roles" | "workspaces" | "sso" | "claimedDomains">, request: TokenRequest): TokenGrant {
  const problems: SpecProblem[] = [];
  const problem = (field: string, rule: string) => problems.push({ field, message: `${field} ${rule}` });

  const email = emailAddress.safeParse(request.email);
  if (!email.success) problem("--email", email.error.issues[0]?.message ?? "must be a lower-case e-mail address");

  const roles = tokenRoles(spec);
  if (!roles.includes(request.role)) problem("--role", `must be one of ${roles.join(", ")} (the base roles${spec.roles.length > 0 ? " and tenantry:org.roles" : ""})`);

  const declared = spec.workspaces.map((w) => w.slug);
  const workspaces = (request.workspaces ?? "").split(",").map((w) => w.trim()).filter((w) => w !== "");
  workspaces.forEach((workspace, i) => {
    if (!declared.includes(workspace)) problem(`--workspaces[${i}]`, `must be a workspace of tenantry:org.workspaces (${declared.join(", ")})`);
    else if (workspaces.indexOf(workspace) !== i) problem(`--workspaces[${i}]`, `repeats --workspaces[${workspaces.indexOf(workspace)}]`);
  });

  const ttl = request.ttlSeconds ?? DEFAULT_TOKEN_TTL_SECONDS;
  if (!(Number.isInteger(ttl) && ttl >= TOKEN_TTL_BOUNDS.min && ttl <= TOKEN_TTL_BOUNDS.max)) problem("--ttl", `must be whole seconds ${TOKEN_TTL_BOUNDS.min}..${TOKEN_TTL_BOUNDS.max} (got ${ttl})`);

  const amr = request.amr?.split(",").map((m) => m.trim()).filter((m) => m !== "");
  amr?.forEach((method, i) => {
    if (!AMR_VALUE.test(method)) problem(`--amr[${i}]`, "must be 1..64 printable characters, no spaces or commas");
    else if (amr.indexOf(method) !== i) problem(`--amr[${i}]`, `repeats --amr[${amr.indexOf(method)}]`);
  });

  if (problems.length > 0) throw new SpecError(problems);
  const signIn = amr === undefined ? ssoClaimsFor(spec, request.email) : amr.length === 0 ? {} : { amr };
  return { subject: { sub: request.email, email: request.email, org: spec.slug, role: request.role, workspaces, ...signIn }, ttlSeconds: ttl };
}
