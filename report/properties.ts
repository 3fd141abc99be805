/*
 * DESIGN.md's twenty posture properties as the trust page states them: the title, what makes each
 * hold (the README's posture table, shortened), the policy pack's rules that guard it, and, for
 * what no proof claim can show from this machine, why not. The one table in code; the page and
 * report/property-verdict.ts read it, and a unit test checks each rule named here is in the pack.
 */

export interface PostureProperty {
  readonly number: number;
  readonly title: string;
  readonly enforcedBy: string;
  /** Rules (or `tenantry check`'s offline-only checks) judged over this org's stack. */
  readonly policies: readonly string[];
  /** Rules that guard it on another stack (the platform stack), so this org's check does not judge them. */
  readonly elsewhere?: { readonly stack: string; readonly policies: readonly string[] };
  /** Why no claim of `prove --local` can show it, when none can. */
  readonly offline?: string;
  /**
   * Set for a property only a placed org has: why it does not hold for an org with no
   * `placement`, whose rules then pass with nothing to judge and so guard nothing for it.
   */
  readonly placedOnly?: string;
}

export const POSTURE_PROPERTIES: readonly PostureProperty[] = [
  {
    number: 1, title: "tenant isolation is structural",
    enforcedBy: "One database tn_<org> per org, CONNECT and TEMPORARY revoked from PUBLIC; every name prefixed tn_<org>_, injective across orgs.",
    policies: ["postgres-public-revoked", "stack-one-org", "postgres-databases-and-schemas-match-org"],
  },
  {
    number: 2, title: "per-workspace and per-environment schemas",
    enforcedBy: "A schema <workspace>_<env> for every pair, owned by that environment's DDL role.",
    policies: ["postgres-databases-and-schemas-match-org"],
  },
  {
    number: 3, title: "least privilege, runtime and DDL separated",
    enforcedBy: "Per environment a DML-only runtime login and a DDL login, a NOLOGIN owner; grants and role kinds only from the pack's allowlists of shapes.",
    policies: ["postgres-role-no-privileged-attributes", "postgres-roles-match-allowed-kinds", "postgres-grants-match-allowed-shapes", "postgres-memberships-match-allowed-shapes", "postgres-one-grant-per-target"],
  },
  {
    number: 4, title: "fail-closed guardrails in the database",
    enforcedBy: "Timeouts, temp_file_limit and a connection limit split from the org's quota on every login; a server-side enforcer ends sessions past their limit whatever they SET; settings put back on every apply.",
    policies: ["postgres-login-role-guardrails"],
  },
  {
    number: 5, title: "append-only audit enforced by privileges",
    enforcedBy: "audit.events owned by a NOLOGIN role, tenants hold SELECT and column-limited INSERT; an event trigger covers every new table with field-level diffs, the actor and the correlation id; a guard refuses switching it off, even by the table's owner.",
    policies: ["audit-ledger-present", "audit-ledger-select-insert-only", "audit-schema-never-cascades", "postgres-migrations-match-platform-sql"],
  },
  {
    number: 6, title: "per-app isolated runtime",
    enforcedBy: "One Workers for Platforms dispatch namespace tn-<org> per org (untrusted mode), each app a user Worker <app>-<env> in it.",
    policies: ["cloudflare-resources-match-org", "workers-dispatch-has-outbound"],
    offline: "Cloudflare's isolation of one user Worker from another is Cloudflare's own; offline the namespace is a stand-in in workerd, so no claim here can attempt to break it.",
  },
  {
    number: 7, title: "fail-closed dispatch router with verified identity",
    enforcedBy: "The router builds the app's request from nothing: allowlisted headers only, identity it verified and signed itself; 404 / 401 / 403 / 429 / 503, never a pass-through.",
    policies: ["workers-dispatch-has-outbound"],
  },
  {
    number: 8, title: "per-app access policies at the edge",
    enforcedBy: "A pure evaluator (workers/lib/access-policy.ts) shared by the router, this page's access matrix and the tests: unknown roles, actions and resources are denied.",
    policies: [],
  },
  {
    number: 9, title: "two trust domains",
    enforcedBy: "The router refuses any token of the operator domain; operators reach the console through a gateway that reads a D1 allowlist on every request, so a revocation holds from the next request.",
    policies: [],
    elsewhere: { stack: "the platform stack", policies: ["cloudflare-operator-allowlist-private", "cloudflare-operator-gateway-audited"] },
  },
  {
    number: 10, title: "secrets by reference",
    enforcedBy: "References only, scoped to <org>/<env>/; a per-org KMS key with rotation; no secret binding on an app; the outbound Worker substitutes a value only for its environment and allowlisted https hosts, and audits each use.",
    policies: ["workers-user-worker-holds-no-secret", "aws-kms-key-rotates", "aws-secret-customer-key-and-recovery", "aws-secret-names-of-org", "aws-iam-no-wildcards"],
  },
  {
    number: 11, title: "no plaintext anywhere",
    enforcedBy: "Generated passwords are Pulumi secrets; a plain-text provider credential is refused by the spec; no statement text in the server's log.",
    policies: ["password-is-secret (offline only)", "workers-no-credential-in-plain-binding"],
    offline: "Where a secret ends up (state, previews, logs of a real deploy) is Pulumi's and the clouds' doing; offline only the registered inputs are checked, by rule.",
  },
  {
    number: 12, title: "promotion with separation of duties",
    enforcedBy: "GitHub environments and main's protection as code in the platform stack: test 1 reviewer, prod 2 approvals, no self-review, deploys from main only.",
    policies: [],
    elsewhere: { stack: "the platform stack", policies: ["github-promotion-gates", "github-main-needs-two-approvals", "github-promotion-gates-complete", "github-deployment-branch-policy-valid"] },
    offline: "Approvals are enforced by GitHub's own rules; nothing here reaches GitHub, and the rules that declare them are judged on the platform stack, not this org's.",
  },
  {
    number: 13, title: "governed break-glass",
    enforcedBy: "Off by default; when on, one login with VALID UNTIL at an expiry at most 24 h ahead, connection limit 1, grants only in its environment (never DDL or the ledger); its grant, its end and its changes are in the ledger.",
    policies: ["postgres-break-glass-expires", "postgres-break-glass-bounded"],
  },
  {
    number: 14, title: "fail fast, no silent downgrade",
    enforcedBy: "zod validates the whole stack file once, before anything is registered; unknown keys are errors; no tenantry:* key but the org, so no bypass switch.",
    policies: ["stack-no-bypass-switches", "stack-resource-types-allowed"],
    offline: "A refusal of invalid config is shown by the spec's tests, not by a claim on a running org: an org that was applied had valid config.",
  },
  {
    number: 15, title: "data is never lost by accident",
    enforcedBy: "Production databases protect-ed and retainOnDelete, sandbox retained; offboarding by a marker, never a drop; a deleted stack file needs the marker first.",
    policies: ["postgres-production-database-protected", "data-retained-on-delete (offline only)", "postgres-database-fixed-settings", "postgres-org-database-declared"],
    offline: "protect and retainOnDelete are honoured by the Pulumi engine of a real deploy, which does not run here; the proof attempts it only for an org marked for offboarding.",
  },
  {
    number: 16, title: "the platform's names are out of tenant reach",
    enforcedBy: "Platform names have a shape no tenant slug composes (one word, or words joined by __).",
    policies: ["postgres-no-platform-names", "stack-names-carry-org-prefix"],
  },
  {
    number: 17, title: "SSO enforced for claimed domains",
    enforcedBy: "With sso.enforce, the router admits a token for an address in a claimed domain only if its sign-in claim says it came through the org's SSO.",
    policies: [],
  },
  {
    number: 18, title: "machine credentials are hash-only",
    enforcedBy: "API key slots in the spec, never keys; a key is shown once and stored as its SHA-256, read on every request; admitted only to its own app and environment, publishable keys only from declared origins, secret keys never from a browser.",
    policies: ["cloudflare-api-key-store-bound", "cloudflare-api-key-store-consistent"],
  },
  {
    number: 19, title: "outbound events are signed",
    enforcedBy: "Webhooks signed per Standard Webhooks with a per-environment key that never leaves the platform; inbound integrations verified (Standard Webhooks or Stripe, 5-minute window) before the app is reached.",
    policies: ["workers-webhooks-stay-in-org"],
  },
  {
    number: 20, title: "capacity is declared, not hoped",
    enforcedBy: "Each org placed on a declared Postgres cluster; the sum of its orgs' connection quotas plus a reserve never exceeds the cluster's limit.",
    policies: ["rds-clusters-declared-by-platform"],
    placedOnly: "this org is not placed on a declared cluster (its stack sets no placement.cluster), so no cluster's capacity check counts it, and the rule that judges placed orgs has nothing of it to judge; its own connection quota is still split among its environments and refused when too small by the spec, and each login's connection limit is property 4's",
  },
];
