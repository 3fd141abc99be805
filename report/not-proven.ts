/*
 * What a trust page made on this machine cannot show, each in a sentence: docs/security.md's
 * "What is not proven" list, as it applies to one org's page, plus what this proof itself leaves out.
 */

export const NOT_PROVEN_OFFLINE: readonly string[] = [
  "Any real cloud: nothing here reaches AWS, Cloudflare, GitHub or a managed Postgres, and no real pulumi up has run; the program runs under Pulumi's mock monitor, the pack in-process, the Workers in workerd and the SQL on an embedded Postgres.",
  "The Postgres provider binary and the Pulumi engine: the local engine re-implements the provider's SQL from its source, so a provider or engine bug outside that SQL is not reproduced.",
  "A managed server's own behaviour: RDS parameter groups, rds_superuser's exact rights, pg_hba and TLS are imitated or absent, not reproduced.",
  "TLS to the database: the embedded server is loopback-only without TLS.",
  "Cloudflare's edge: the dispatch namespace, the Secrets Store and the rate limiter are stand-ins in workerd; the CPU and subrequest limits are not enforced there, and how Cloudflare treats headers in front of the router is not reproduced.",
  "Permissions: the IAM policy, the Cloudflare token scopes and the GitHub token permissions are derived from the providers' sources, not exercised.",
  "Promotion approvals: GitHub's environment and branch rules are declared by the platform stack and judged by its rules, never run against GitHub.",
  "What the audit ledger does not record: DDL that rewrites data, the rows a CREATE TABLE AS starts with, changes made while coverage was missing, and an actor that is only a claim.",
  "The access matrix is the router's own evaluator over the stack's configuration; the identity provider that issues the tokens and the key store's contents are not part of it.",
];

/** The general list, and what this page's own evidence leaves out. */
export function notProvenHere(facts: { readonly noEdge?: boolean; readonly untaggedClaims: number; readonly skippedClaims: number; readonly saved: boolean }): string[] {
  return [
    ...NOT_PROVEN_OFFLINE,
    ...(facts.noEdge === true ? ["This org declares no edge: no router serves its apps, so the access matrix is empty and the edge properties have no claims."] : []),
    ...(facts.skippedClaims > 0 ? [`${facts.skippedClaims} claim(s) of this proof were skipped (each says why under its property): they show nothing.`] : []),
    ...(facts.untaggedClaims > 0 ? [`${facts.untaggedClaims} claim(s) of this proof name no property (a proof saved by another tenantry version?): they are counted, but shown under no property.`] : []),
    ...(facts.saved ? ["This page was built from a saved proof: it shows the server as it was when that proof ran, not as it is now."] : []),
  ];
}
