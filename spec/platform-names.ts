/*
 * The names tenantry gives itself, in a form no tenant slug can be composed into (DESIGN
 * property 16).
 *
 * Every name composed from tenant slugs (naming.ts) joins lower-case words with single
 * underscores: `tn_<org>`, `tn_<org>_<kind>`, `tn_<org>_<env>_<kind>`, `<workspace>_<env>`.
 * Slugs use single inner hyphens and environments no separator at all, so such a name always
 * contains an underscore and never two in a row. The platform's own names take the other two
 * forms: one word with no underscore (`audit`), or words joined by a double underscore
 * (`audit__guard`, `tenantry__audit_cover`). The two sets are disjoint by their shape, so a
 * tenant can never name a schema, role or trigger onto one of the platform's, whatever names
 * the platform adds later, as long as they are made here.
 *
 * Postgres' own names are the third namespace: it reserves the `pg_` prefix and creates
 * `information_schema` in every database; the spec keeps tenant compositions out of both
 * (spec-fields.ts, spec-rules.ts).
 */

const WORD = "[a-z][a-z0-9]*";
const TENANT_FORM = new RegExp(`^${WORD}(?:_[a-z0-9]+)+$`);
/**
 * One word, or words joined by `_` or `__` with at least one `__`: a word never holds `_`, so a
 * `__` in the name is always a separator. One pattern, so the stack files' JSON Schema carries it.
 */
export const PLATFORM_FORM = new RegExp(`^${WORD}(?:(?:_{1,2}[a-z0-9]+)*__[a-z0-9]+(?:_{1,2}[a-z0-9]+)*)?$`);

/** The shape of every name composed from tenant slugs: words joined by single underscores. */
export function isTenantForm(name: string): boolean {
  return TENANT_FORM.test(name);
}

/** The shape of every name the platform gives itself: one word, or words joined by `__`. */
export function isPlatformForm(name: string): boolean {
  return PLATFORM_FORM.test(name);
}

/** Joins words with `__`; each word may itself contain single underscores. */
export function platformName(...words: readonly string[]): string {
  const name = words.join("__");
  if (!isPlatformForm(name)) throw new Error(`internal: ${JSON.stringify(name)} is not in the platform's name form`);
  return name;
}

/** Schemas the platform creates in every org database. */
export const PLATFORM_SCHEMAS = {
  /** The append-only ledger, owned by the org's NOLOGIN audit role. */
  ledger: platformName("audit"),
  /** Coverage and tamper refusal, owned by the migration's superuser (rds_superuser on RDS). */
  guard: platformName("audit", "guard"),
} as const;

/** A prefix for a family of platform names: anything it starts contains `__`, so stays in the platform's form. */
function platformPrefix(...words: readonly string[]): string {
  return `${platformName(...words)}_`;
}

/** The row triggers the guard attaches to every covered table: the prefix, then the operation. */
export const AUDIT_TRIGGER_PREFIX = platformPrefix("tenantry", "audit");
export const AUDIT_TRIGGER = {
  insert: platformName("tenantry", "audit_insert"),
  update: platformName("tenantry", "audit_update"),
  delete: platformName("tenantry", "audit_delete"),
  truncate: platformName("tenantry", "audit_truncate"),
} as const;
/** Every covered table carries exactly these, enabled, calling the ledger's own functions. */
export const AUDIT_TRIGGERS: readonly string[] = Object.values(AUDIT_TRIGGER);

/** Database-wide event triggers that keep the ledger's coverage. */
export const EVENT_TRIGGERS = {
  cover: platformName("tenantry", "audit_cover"),
  guard: platformName("tenantry", "audit_guard"),
  drops: platformName("tenantry", "audit_drops"),
  casts: platformName("tenantry", "audit_casts"),
} as const;

/**
 * The guardrail enforcer (components/enforcer-sql.ts): a schema in the cluster's enforcer
 * database (ENFORCER_DATABASE, where pg_cron runs), its table of declared limits, its function, and
 * the pg_cron job that runs it.
 */
export const ENFORCER = {
  schema: platformName("guardrails"),
  limits: platformName("limits"),
  enforce: platformName("enforce"),
  /** Each org's break-glass login and its live grant, as the enforcer judges its sessions by. */
  breakGlass: platformName("break", "glass"),
  job: platformName("tenantry", "guardrails"),
  /** The local loop's sessions announce this as their application_name. */
  loop: platformName("tenantry", "enforcer"),
} as const;

/** Objects the local proof creates for the duration of a claim start with this. */
export const PROOF_OBJECT_PREFIX = platformPrefix("tenantry", "proof");

/** Schema names Postgres owns in every database: its reserved `pg_` prefix and the SQL standard's information schema. */
export function isPostgresOwnedSchema(name: string): boolean {
  return name.startsWith("pg_") || name === "information_schema";
}
