import { minimumConnections, RESERVED_CONNECTIONS } from "./connection-budget";
import type { ParsedSpec } from "./spec";
import { referenceIsBelow } from "./secret-reference";
import { schemaName } from "./naming";
import { isPostgresOwnedSchema } from "./platform-names";
import { AMR_METHODS } from "./sso-spec";
import { apiKeySlotNamesUnique, apiKeySlotsReferToDeclaredTargets, appOriginsUnique, publishableSlotsHaveOrigins, publishableSlotsOnlyOnOpenApps } from "./api-keys-spec";
import { duplicates } from "./rule-helpers";
import { WEBHOOK_RULES } from "./webhooks-rules";

/*
 * Rules that relate two fields of the org spec. Each one closes a way a stack file could widen
 * access across tenants or switch a guardrail off. Values named in messages have already passed
 * their slug or domain pattern, so echoing them cannot leak a secret.
 */

export interface RuleProblem {
  readonly path: readonly (string | number)[];
  /** Completes the sentence that starts with the field's path. */
  readonly message: string;
}

/** Public mailbox providers: claiming one would admit every stranger with an address there. */
export const PUBLIC_MAIL_DOMAINS: ReadonlySet<string> = new Set([
  "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
  "yahoo.com", "icloud.com", "me.com", "aol.com", "proton.me", "protonmail.com",
  "gmx.com", "gmx.net", "mail.com", "yandex.com", "zoho.com",
]);

const BREAK_GLASS_MAX_AHEAD_MS = 24 * 60 * 60 * 1000;

/**
 * A rule over two or more fields: what JSON Schema cannot say, so editors do not check it and
 * `tenantry validate` does. docs/org-spec.md lists each with the message it gives.
 */
export interface CrossFieldRule {
  /** The field a problem is reported on, `[]` for any item of a list. */
  readonly field: string;
  /** What it requires, as a sentence for the reference page. */
  readonly rule: string;
  readonly check: (spec: ParsedSpec, now: Date) => RuleProblem[];
  /** How the stack files' JSON Schema states it too (spec.ts carries it as metadata), when it can. */
  readonly inSchema?: string;
}

/** In the order their problems are reported. */
export const CROSS_FIELD_RULES: readonly CrossFieldRule[] = [
  { field: "environments[]", rule: "Each environment is listed once.", check: (spec) => duplicates(spec.environments, (env) => env, (env) => `environment ${env}`, "environments"), inSchema: "uniqueItems" },
  { field: "workspaces[].slug", rule: "Each workspace is listed once.", check: (spec) => duplicates(spec.workspaces, (ws) => ws.slug, (ws) => `workspace ${ws.slug}`, "workspaces", "slug"), inSchema: "uniqueItems" },
  { field: "apps[].slug", rule: "Each app is listed once.", check: (spec) => duplicates(spec.apps, (app) => app.slug, (app) => `app ${app.slug}`, "apps", "slug") },
  { field: "claimedDomains[]", rule: "Each claimed domain is listed once.", check: (spec) => duplicates(spec.claimedDomains, (d) => d, (d) => `domain ${d}`, "claimedDomains"), inSchema: "uniqueItems" },
  { field: "secrets[].name", rule: "A secret name appears once per scope.", check: (spec) => duplicates(spec.secrets, (s) => `${s.name} ${s.scope}`, (s) => `secret ${s.name} in scope ${s.scope}`, "secrets", "name") },
  { field: "quotas.lockTimeoutMs", rule: "The lock timeout is no longer than the statement timeout.", check: lockTimeoutWithinStatementTimeout },
  { field: "quotas.maxConnections", rule: "The connection quota covers a runtime and a DDL connection per environment plus the reserve for the deploy and an operator.", check: connectionsForEveryEnvironment },
  { field: "apps[].workspace", rule: "An app belongs to one of the org's workspaces.", check: appsReferToKnownWorkspaces },
  { field: "workspaces[].slug", rule: "No workspace and environment compose a schema name Postgres owns (information_schema).", check: schemasStayOutOfPostgresNames },
  { field: "apps[].access.users[]", rule: "A named user has an address in one of claimedDomains.", check: namedUsersInClaimedDomains },
  { field: "secrets[].scope, secrets[].ref", rule: "A secret is scoped to one of the org's environments and its reference points below <org>/<scope>/ in Secrets Manager.", check: secretsScopedToThisOrg },
  { field: "claimedDomains[]", rule: `No claimed domain is a public mail provider (${[...PUBLIC_MAIL_DOMAINS].join(", ")}) or a name under one.`, check: noPublicMailDomains, inSchema: "not one of these" },
  { field: "sso.enforce", rule: "SSO is enforced only for an org that claims at least one domain.", check: ssoNeedsClaimedDomains },
  { field: "sso.values[]", rule: `With claim amr, no value is a method RFC 8176 registers (${AMR_METHODS.join(", ")}): a password login can carry those.`, check: ssoValuesSayMoreThanAMethod },
  { field: "breakGlass.*", rule: "Break-glass fields are all present when enabled and all absent when not; the grantee is in one of claimedDomains; the environment is one of environments; the expiry is at most 24 h ahead (once it has passed, break-glass is planned as off).", check: breakGlassIsGoverned },
  { field: "roles[].name", rule: "Each custom role is listed once.", check: (spec) => duplicates(spec.roles, (r) => r.name, (r) => `role ${r.name}`, "roles", "name") },
  { field: "edge, edge.operator.*", rule: "An org with apps or secrets has an edge, and its operator issuer and audience differ from its identity provider's.", check: edgeWhereAppsRun },
  { field: "breakGlass.enabled", rule: "Break-glass is off while the org is marked for offboarding.", check: noBreakGlassWhileOffboarding },
  { field: "apps[].origins[]", rule: "Each origin is listed once per app.", check: appOriginsUnique, inSchema: "uniqueItems" },
  { field: "apiKeys[].name", rule: "Each API key slot is listed once.", check: apiKeySlotNamesUnique },
  { field: "apiKeys[].app, apiKeys[].environment", rule: "An API key slot names one of the org's apps and one of its environments.", check: apiKeySlotsReferToDeclaredTargets },
  { field: "apps[].origins", rule: "An app with a publishable API key slot declares at least one origin.", check: publishableSlotsHaveOrigins },
  { field: "apiKeys[].kind", rule: "A publishable key slot is not declared for an app whose access is named users or editors only: the key is public.", check: publishableSlotsOnlyOnOpenApps },
  ...WEBHOOK_RULES,
];

export function checkCrossFieldRules(spec: ParsedSpec, now: Date): RuleProblem[] {
  return CROSS_FIELD_RULES.flatMap((rule) => rule.check(spec, now));
}

/** `amr: [pwd]` or `[mfa]` is how a password login looks too: accepting one would pass the very users SSO is to refuse. */
function ssoValuesSayMoreThanAMethod(spec: ParsedSpec): RuleProblem[] {
  if (spec.sso.claim !== "amr") return [];
  return spec.sso.values.flatMap((value, i) =>
    AMR_METHODS.includes(value)
      ? [{ path: ["sso", "values", i], message: `must not be ${value}, a method RFC 8176 registers for amr: it says how a user proved who they are, which a password login can say too, not that they came through the org's SSO` }]
      : [],
  );
}

/** Enforcing SSO over no domain would look like a guard while guarding no one. */
function ssoNeedsClaimedDomains(spec: ParsedSpec): RuleProblem[] {
  if (!spec.sso.enforce || spec.claimedDomains.length > 0) return [];
  return [{ path: ["sso", "enforce"], message: "requires claimedDomains: list the org's own e-mail domains whose users must sign in through SSO" }];
}

/** Offboarding turns every login of the org off; a break-glass login would be a way back in. */
function noBreakGlassWhileOffboarding(spec: ParsedSpec): RuleProblem[] {
  if (spec.offboarding === undefined || !spec.breakGlass.enabled) return [];
  return [{ path: ["breakGlass", "enabled"], message: "must be false while the org is marked for offboarding (offboarding turns every login off)" }];
}

/** Apps and secrets need somewhere to run; the two trust domains must not be one. */
function edgeWhereAppsRun(spec: ParsedSpec): RuleProblem[] {
  const { edge } = spec;
  if (edge === undefined) {
    return spec.apps.length > 0 || spec.secrets.length > 0
      ? [{ path: ["edge"], message: "is required when the org has apps or secrets (accountId, secretsStoreId, identity, operator, awsRegion)" }]
      : [];
  }
  return [
    ...(edge.operator.issuer === edge.identity.issuer ? [{ path: ["edge", "operator", "issuer"], message: "must differ from edge.identity.issuer: operator tokens never admit into an app" }] : []),
    ...(edge.operator.audience === edge.identity.audience ? [{ path: ["edge", "operator", "audience"], message: "must differ from edge.identity.audience: operator tokens never admit into an app" }] : []),
  ];
}

function lockTimeoutWithinStatementTimeout(spec: ParsedSpec): RuleProblem[] {
  const { lockTimeoutMs, statementTimeoutMs } = spec.quotas;
  if (lockTimeoutMs <= statementTimeoutMs) return [];
  return [{
    path: ["quotas", "lockTimeoutMs"],
    message: `must not exceed quotas.statementTimeoutMs (${statementTimeoutMs}) (got ${lockTimeoutMs})`,
  }];
}

function connectionsForEveryEnvironment(spec: ParsedSpec): RuleProblem[] {
  const minimum = minimumConnections(spec.environments.length);
  if (spec.quotas.maxConnections >= minimum) return [];
  return [{
    path: ["quotas", "maxConnections"],
    message: `must be at least ${minimum} for ${spec.environments.length} environments (a runtime and a DDL connection each, plus ${RESERVED_CONNECTIONS} reserved for the deploy's provider pool, its migrations in the org database and an operator) (got ${spec.quotas.maxConnections})`,
  }];
}

function appsReferToKnownWorkspaces(spec: ParsedSpec): RuleProblem[] {
  const workspaces = new Set(spec.workspaces.map((ws) => ws.slug));
  return spec.apps.flatMap((app, i) =>
    workspaces.has(app.workspace)
      ? []
      : [{ path: ["apps", i, "workspace"], message: `must name one of the org's workspaces (${[...workspaces].join(", ")})` }],
  );
}

/**
 * Each `<workspace>_<env>` must not be a schema Postgres creates itself: workspace
 * `information` with environment `schema` would name `information_schema`.
 */
function schemasStayOutOfPostgresNames(spec: ParsedSpec): RuleProblem[] {
  return spec.workspaces.flatMap((ws, i) => spec.environments.flatMap((env, j) => {
    const name = schemaName(ws.slug, env);
    return isPostgresOwnedSchema(name)
      ? [{ path: ["workspaces", i, "slug"], message: `must not compose, with environments[${j}] (${env}), the schema ${name}: Postgres owns that name` }]
      : [];
  }));
}

/** A named user outside the org's own domains would be a door into the tenant for an outsider. */
function namedUsersInClaimedDomains(spec: ParsedSpec): RuleProblem[] {
  const claimed = new Set(spec.claimedDomains);
  const allowed = spec.claimedDomains.length > 0 ? spec.claimedDomains.join(", ") : "none claimed";
  return spec.apps.flatMap((app, i) => {
    if (!("users" in app.access)) return [];
    return app.access.users.flatMap((user, j) => {
      const domain = user.slice(user.lastIndexOf("@") + 1);
      return claimed.has(domain)
        ? []
        : [{ path: ["apps", i, "access", "users", j], message: `must be an address in one of claimedDomains (${allowed})` }];
    });
  });
}

/**
 * A reference must point below `<org>/<scope>/` in Secrets Manager, so a stack file can never
 * bind another tenant's secret, nor a prod secret into dev.
 */
function secretsScopedToThisOrg(spec: ParsedSpec): RuleProblem[] {
  const environments = new Set(spec.environments);
  return spec.secrets.flatMap((secret, i): RuleProblem[] => {
    if (!environments.has(secret.scope)) {
      return [{ path: ["secrets", i, "scope"], message: `must be one of the org's environments (${spec.environments.join(", ")})` }];
    }
    const prefix = `${spec.slug}/${secret.scope}/`;
    if (referenceIsBelow(secret.ref, prefix)) return [];
    return [{ path: ["secrets", i, "ref"], message: `must name a secret below ${prefix} (this org and the secret's scope)` }];
  });
}

/**
 * A provider's own domain, or any name under it (`eu.gmail.com`): those are the provider's alone
 * to hand out, never the org's, compared label by label on the lower-case domain the field allows.
 */
function noPublicMailDomains(spec: ParsedSpec): RuleProblem[] {
  return spec.claimedDomains.flatMap((domain, i): RuleProblem[] => {
    if (PUBLIC_MAIL_DOMAINS.has(domain)) return [{ path: ["claimedDomains", i], message: `must not be a public mail provider (${domain}): anyone can get an address there` }];
    const provider = [...PUBLIC_MAIL_DOMAINS].find((mail) => domain.endsWith(`.${mail}`));
    return provider === undefined ? [] : [{ path: ["claimedDomains", i], message: `must not be under a public mail provider (${provider}): names under it are the provider's to hand out, never the org's` }];
  });
}

function breakGlassIsGoverned(spec: ParsedSpec, now: Date): RuleProblem[] {
  const { enabled, grantee, reason, expiresAt, environment, access } = spec.breakGlass;
  const present = { grantee, reason, expiresAt, environment, access };
  if (!enabled) {
    return Object.entries(present)
      .filter(([, value]) => value !== undefined)
      .map(([name]) => ({ path: ["breakGlass", name], message: "must be omitted while breakGlass.enabled is false" }));
  }
  const problems: RuleProblem[] = Object.entries(present)
    .filter(([, value]) => value === undefined)
    .map(([name]) => ({ path: ["breakGlass", name], message: "is required when breakGlass.enabled is true" }));
  if (grantee !== undefined && !spec.claimedDomains.includes(grantee.slice(grantee.lastIndexOf("@") + 1))) {
    // Operators reach tenants through their own allowlisted trust domain, never through this.
    problems.push({ path: ["breakGlass", "grantee"], message: `must be an address in one of claimedDomains (${spec.claimedDomains.join(", ") || "none claimed"})` });
  }
  if (environment !== undefined && !spec.environments.includes(environment)) {
    problems.push({ path: ["breakGlass", "environment"], message: `must be one of environments (${spec.environments.join(", ")})` });
  }
  if (expiresAt !== undefined) {
    // A time already passed is not refused: it means off (spec.ts plans it so), and refusing it
    // would block every apply of the org until someone edited the stack file.
    const ahead = Date.parse(expiresAt) - now.getTime();
    if (!(Number.isFinite(ahead) && ahead <= BREAK_GLASS_MAX_AHEAD_MS)) {
      problems.push({ path: ["breakGlass", "expiresAt"], message: "must be a valid time at most 24 h ahead (once it has passed, break-glass is planned as off)" });
    }
  }
  return problems;
}
