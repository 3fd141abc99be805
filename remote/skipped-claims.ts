import type { ClaimResult } from "../local/proof/claim";
import type { OrgSpec } from "../spec/spec";

/*
 * The local proof's claims an after-deploy proof does not attempt, each with why. They are
 * attempts made as a tenant role (the only way to show the server refuses what a grant alone
 * would seem to forbid), and those logins' passwords live only in the stack's Pulumi state; or
 * they write to a live server, and the ledger they would write to can never be cleaned. The
 * catalog rows above read what can be read instead; `tenantry prove --local` attempts all of it
 * on the embedded server.
 */

const NOT_ATTEMPTED = "not attempted: read-only, and with no tenant login";
const ONLY_LOCALLY = "`tenantry prove --local` attempts it on the embedded server";

const SKIPPED: readonly { readonly claim: string; readonly why: string }[] = [
  {
    claim: "what each runtime and DDL role can and cannot do: CREATE, DML, another environment's schemas, the ledger and its guard, large objects, the shared databases",
    why: `attempted as each tenant login, whose passwords only the stack's Pulumi state holds; the schemas' and database's ACLs are read above instead; ${ONLY_LOCALLY}`,
  },
  {
    claim: "timeouts cancel, the enforcer ends runaway sessions, connection limits refuse one more, temp_file_limit refuses a spilling sort",
    why: `needs the tenant logins, and would hold the org's connections and run for seconds on a live server; the settings are read above through the drift queries; ${ONLY_LOCALLY}`,
  },
  {
    claim: "a table the DDL role creates is audited; changes are recorded with their diffs; the ledger is append-only",
    why: `would create a table and write events into the append-only ledger, where they can never be removed; ${ONLY_LOCALLY}`,
  },
  {
    claim: "a role with no grants cannot connect; another org's roles cannot connect",
    why: `would create a role, and needs another org's logins; the database's ACL is read above instead; ${ONLY_LOCALLY}`,
  },
  {
    claim: "a role that changes its own settings and password gets the declared ones back from the next up",
    why: `would change a live role's settings and password; ${ONLY_LOCALLY}`,
  },
];

const EDGE = {
  claim: "the edge: unknown app 404, missing or forged identity 401, policy 403, only allowlisted headers, secrets only to their hosts",
  why: "the edge claims run the org's Workers in workerd (`tenantry prove --local`); the deployed Cloudflare edge is not reached from here",
};

export function skippedClaims(spec: OrgSpec): ClaimResult[] {
  return [...SKIPPED, ...(spec.edge === undefined ? [] : [EDGE])].map(({ claim, why }) => ({ claim, attempt: NOT_ATTEMPTED, result: `skipped: ${why}`, status: "skip" }));
}
