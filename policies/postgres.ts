import * as postgresql from "@pulumi/postgresql";
import { validateResourceOfType } from "@pulumi/policy";
import { QUOTA_BOUNDS, withinBounds, type Bounds } from "../spec/quota-bounds";
import { orgProviderRule } from "./org-providers";
import { postgresProviderFindings } from "./provider-inputs";
import { breakGlassBoundProblems } from "./break-glass";
import { roleKindProblems } from "./shape-match";
import { judgeAgainstOrg } from "./stack-org";
import { isPlatformClusterUrn } from "./platform-clusters";
import type { TenantryResourcePolicy, TenantryStackPolicy } from "./policy-types";

/*
 * Postgres roles: each one of the kinds the design declares, none with a privileged attribute,
 * and fail-closed guardrails on every login role; and every Postgres resource on the org's own
 * provider.
 */

const ROLE = "postgresql:index/role:Role";
const PRIVILEGED = ["superuser", "createDatabase", "createRole", "replication", "bypassRowLevelSecurity"] as const;
/** What the platform's provisioning login holds by design (rds-provisioning-login-shape judges it exactly). */
const PROVISIONING = ["createDatabase", "createRole"] as const;

/** Absent (the provider's default is false) or false: any other value might turn the attribute on. */
const isOff = (value: unknown) => value === undefined || value === null || value === false;

export const postgresRoleNoPrivilegedAttributes: TenantryResourcePolicy = {
  name: "postgres-role-no-privileged-attributes",
  description: "Tenant roles never hold SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS; the platform cluster's provisioning login holds CREATEDB and CREATEROLE only.",
  rationale: "Any of them escapes the org's database: a superuser reads every org's data and can silence the ledger, CREATEROLE and CREATEDB make roles and databases no stack declares, REPLICATION streams the whole server, BYPASSRLS ignores row security. A value like the string \"true\" is not \"off\", so only false or absent passes.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(postgresql.Role, (role, args, reportViolation) => {
    // The login org stacks deploy as is made by the platform's cluster component, never by an org stack.
    const allowed: readonly string[] = isPlatformClusterUrn(args.urn) ? PROVISIONING : [];
    const held = PRIVILEGED.filter((attribute) => !allowed.includes(attribute) && !isOff(role[attribute]));
    if (held.length > 0) reportViolation(`Role ${args.name} must not hold ${held.join(", ")}: set them to false.`);
  }),
};

export const postgresRolesMatchAllowedKinds: TenantryStackPolicy = {
  name: "postgres-roles-match-allowed-kinds",
  description: "Every Role is one of the org's role kinds (owner and audit NOLOGIN; runtime, DDL and break-glass LOGIN), named as the program names it, with no membership of its own.",
  rationale: "Roles are cluster-wide: a role outside the org's names could be anyone's, and a role's own membership list (roles, assumeRole) would hand it another role's privileges without a GrantRole the membership rule judges.",
  enforcementLevel: "mandatory",
  validateStack: (args, reportViolation) => judgeAgainstOrg(args.resources, [ROLE], ["name", "login", "roles", "assumeRole"], reportViolation, (resource, values, org) =>
    roleKindProblems(values, org).map((problem) => `Role ${resource.name} (${String(values["name"])}) ${problem}.`)),
};

const range = ({ min, max }: Bounds) => `${min}..${max}`;
const { statementTimeoutMs, idleInTransactionTimeoutMs, maxConnections } = QUOTA_BOUNDS;

export const postgresLoginRoleGuardrails: TenantryResourcePolicy = {
  name: "postgres-login-role-guardrails",
  description: "Every LOGIN role has a bounded statement timeout, idle-in-transaction timeout and a finite connection limit.",
  rationale: "A login without limits can run a statement forever, hold locks in an idle transaction, or take every connection of a server other orgs share. 0 means \"no timeout\" and -1 \"unlimited\" in Postgres, so the bounds fail closed.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(postgresql.Role, (role, args, reportViolation) => {
    // Anything but an explicit NOLOGIN might log in: judge it as a login. The platform's
    // provisioning login runs migrations no tenant timeout fits; rds-provisioning-login-shape judges it.
    if (isOff(role.login) || isPlatformClusterUrn(args.urn)) return;
    // 0 means "no timeout" and -1 "unlimited" in Postgres: both fail these bounds.
    if (!withinBounds(role.statementTimeout, statementTimeoutMs)) {
      reportViolation(`Login role ${args.name} needs statementTimeout ${range(statementTimeoutMs)} ms.`);
    }
    if (!withinBounds(role.idleInTransactionSessionTimeout, idleInTransactionTimeoutMs)) {
      reportViolation(`Login role ${args.name} needs idleInTransactionSessionTimeout ${range(idleInTransactionTimeoutMs)} ms.`);
    }
    if (!withinBounds(role.connectionLimit, maxConnections)) {
      reportViolation(`Login role ${args.name} needs a finite connectionLimit ${range(maxConnections)}.`);
    }
  }),
};

const BREAK_GLASS_MAX_MS = 24 * 60 * 60 * 1000;

/** Break-glass roles are named `..._breakglass`; an unbounded one is a standing backdoor. */
export const postgresBreakGlassExpires: TenantryResourcePolicy = {
  name: "postgres-break-glass-expires",
  description: "A break-glass role carries an expiry at most 24 h ahead.",
  rationale: "An emergency login with no expiry, or one far ahead, is a standing backdoor; VALID UNTIL makes its password stop working on its own, whether or not anyone remembers to remove it.",
  enforcementLevel: "mandatory",
  validateResource: validateResourceOfType(postgresql.Role, (role, args, reportViolation) => {
    if (!String(role.name ?? args.name).endsWith("_breakglass")) return;
    const ahead = Date.parse(String(role.validUntil ?? "infinity")) - Date.now();
    if (!(ahead > 0 && ahead <= BREAK_GLASS_MAX_MS)) reportViolation(`Break-glass role ${args.name} needs validUntil in the future and at most 24 h ahead.`);
  }),
};

export const postgresBreakGlassBounded: TenantryStackPolicy = {
  name: "postgres-break-glass-bounded",
  description: "The break-glass role has connection limit 1, the org's statement and idle timeouts, and a validUntil no later than breakGlass.expiresAt.",
  rationale: "An emergency login is one person's session for a stated time: a pool of connections, looser timeouts than the org's, or an expiry later than the one the spec (and the audit ledger) states would make it more than what was granted. Judged against the org's facts, never the role's own inputs.",
  enforcementLevel: "mandatory",
  // Only roles named as a break-glass login are read: an unknown value of another role is no concern of this rule.
  validateStack: (args, reportViolation) => judgeAgainstOrg(args.resources.filter((r) => r.type !== ROLE || String(r.props["name"]).endsWith("_breakglass")), [ROLE],
    ["name", "connectionLimit", "validUntil", "statementTimeout", "idleInTransactionSessionTimeout"], reportViolation, (resource, values, org) =>
      breakGlassBoundProblems(values, org).map((problem) => `Break-glass role ${resource.name} ${problem}.`)),
};

/**
 * Every Postgres resource on the org's own provider: the default provider would connect with
 * whatever `postgresql:*` and PG* settings the deploy job holds, and could silently reach
 * another server as another login. The org's own provider holds only what tenantry sets, each
 * with the stack's validated value (provider-inputs.ts).
 */
export const postgresOrgProvider: TenantryStackPolicy = orgProviderRule("postgresql", {
  name: "postgres-org-provider",
  description: "Every Postgres resource uses its org's explicit Postgres provider, which holds only the stack's validated host, port, login, database and TLS mode, and is no superuser.",
  rationale: "The default provider connects with whatever postgresql:* and PG* settings the deploy job holds, so a resource on it could land on another server as another login; the org's provider holds only the stack's validated values.",
  settings: postgresProviderFindings,
});
