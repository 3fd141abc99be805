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
    claim: "what each runtime and DDL role may do, attempted as that role (schemas, ledger, guard, large objects, shared databases)",
    why: `attempted as each tenant login, whose passwords only the stack's Pulumi state holds; the schemas' and database's ACLs are read above instead; ${ONLY_LOCALLY}`,
  },
  {
    claim: "timeouts, the enforcer, connection limits and temp_file_limit, each run into",
    why: `needs the tenant logins, and would hold the org's connections and run for seconds on a live server; the settings are read above through the drift queries; ${ONLY_LOCALLY}`,
  },
  {
    claim: "the ledger records each change to a new table, and is append-only",
    why: `would create a table and write events into the append-only ledger, where they can never be removed; ${ONLY_LOCALLY}`,
  },
  {
    claim: "a role with no grants, or another org's, cannot connect",
    why: `would create a role, and needs another org's logins; the database's ACL is read above instead; ${ONLY_LOCALLY}`,
  },
  {
    claim: "a role's own change of its settings is undone by the next up",
    why: `would change a live role's settings and password; ${ONLY_LOCALLY}`,
  },
];

const EDGE = {
  claim: "the edge: routing, identity, access policies, headers and secrets",
  why: "the edge claims run the org's Workers in workerd (`tenantry prove --local`); the deployed Cloudflare edge is not reached from here",
};

export function skippedClaims(spec: OrgSpec): ClaimResult[] {
  return [...SKIPPED, ...(spec.edge === undefined ? [] : [EDGE])].map(({ claim, why }) => ({ claim, attempt: NOT_ATTEMPTED, result: `skipped: ${why}`, status: "skip" }));
}
