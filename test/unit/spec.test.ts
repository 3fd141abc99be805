import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { planBreakGlass } from "../../components/break-glass-plan";
import { parseOrgSpec, specWarnings } from "../../spec/spec";
import { SpecError } from "../../spec/spec-errors";
import { NOW, problemsAfter, validOrgInput } from "../helpers/spec-builder";

type Org = Record<string, any>;

function parse(org: unknown) {
  return parseOrgSpec(org, { now: NOW });
}

/** The messages a spec is refused with, or [] when it is accepted. */
const problemsOf = (mutate: (org: Org) => void) => problemsAfter(mutate);

const hoursFromNow = (h: number) => new Date(NOW.getTime() + h * 3_600_000).toISOString();

describe("the org spec accepts", () => {
  it("the happy-path spec, unchanged", () => {
    expect(parse(validOrgInput()).slug).toBe("acme");
  });

  it("a minimal spec and fills in the safe defaults", () => {
    const spec = parse({ slug: "acme", workspaces: [{ slug: "web" }] });
    expect(spec.tier).toBe("production");
    expect(spec.environments).toEqual(["dev", "test", "prod"]);
    expect(spec.quotas).toEqual({
      maxConnections: 20, statementTimeoutMs: 5000, lockTimeoutMs: 2000,
      idleInTransactionTimeoutMs: 10000, maxPageSize: 500, maxConcurrentRequests: 50, tempFileLimitMb: 512,
    });
    expect(spec.breakGlass).toEqual({ enabled: false });
    expect(spec.apps).toEqual([]);
  });

  it("a break-glass grant with a grantee, a reason and an expiry within 24 h", () => {
    const org = validOrgInput();
    org["breakGlass"] = { enabled: true, grantee: "oncall@acme.com", reason: "restore billing after incident 42", expiresAt: hoursFromNow(23), environment: "prod", access: "read" };
    expect(parse(org).breakGlass).toEqual({ enabled: true, grantee: "oncall@acme.com", reason: "restore billing after incident 42", expiresAt: hoursFromNow(23), environment: "prod", access: "read" });
  });

  it("a break-glass grant whose expiry has passed, planned as off and said so in a warning naming breakGlass.expiresAt, for any time passed", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 10 * 365 * 24 * 3_600 }), (secondsAgo) => {
      const expiresAt = new Date(NOW.getTime() - secondsAgo * 1000).toISOString();
      const org = { ...validOrgInput(), breakGlass: { enabled: true, grantee: "oncall@acme.com", reason: "restore billing after incident 42", expiresAt, environment: "prod", access: "read" } };
      const spec = parse(org);
      expect(spec.breakGlass).toEqual({ enabled: false, expired: { grantee: "oncall@acme.com", expiresAt } });
      expect(planBreakGlass(spec)).toBeUndefined();
      expect(specWarnings(spec)).toEqual([expect.stringMatching(/^warning: tenantry:org\.breakGlass\.expiresAt \(.+\) has passed: break-glass for oncall@acme\.com is planned as off/)]);
    }));
    // Control: an expiry one second ahead is a live grant, with no warning.
    const live = parse({ ...validOrgInput(), breakGlass: { enabled: true, grantee: "oncall@acme.com", reason: "restore billing data", expiresAt: new Date(NOW.getTime() + 1000).toISOString(), environment: "prod", access: "read" } });
    expect(live.breakGlass.enabled).toBe(true);
    expect(specWarnings(live)).toEqual([]);
  });

  it("an offboarding marker naming who asked and why, with or without a ticket", () => {
    const marker = { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31" };
    expect(parse({ ...validOrgInput(), offboarding: marker }).offboarding).toEqual(marker);
    expect(parse({ ...validOrgInput(), offboarding: { ...marker, ticket: "https://tracker.example/OPS-1234" } }).offboarding?.ticket).toBe("https://tracker.example/OPS-1234");
    expect(parse(validOrgInput()).offboarding).toBeUndefined();
  });

  it("headers an app declares in forwardHeaders, and none when it declares none", () => {
    const org: Org = validOrgInput();
    org["apps"][0].forwardHeaders = ["x-shop-locale", "idempotency-key", "x-requested-with", "accept"];
    const [storefront, financeConsole] = parse(org).apps;
    expect(storefront?.forwardHeaders).toEqual(["x-shop-locale", "idempotency-key", "x-requested-with", "accept"]);
    expect(financeConsole?.forwardHeaders).toEqual([]);
  });

  it("each of the four app access forms", () => {
    for (const access of [{ minRole: "viewer" }, { users: ["a@acme.com"] }, { workspaceMembers: true }, { editorsOnly: true }]) {
      expect(problemsOf((org) => { org["apps"][0].access = access; })).toEqual([]);
    }
  });
});

describe("the org spec refuses, naming the field", () => {
  const cases: [string, (org: Org) => void, string[]][] = [
    ["a statement timeout of 0 (Postgres: no timeout)", (o) => { o["quotas"].statementTimeoutMs = 0; },
      ["tenantry:org.quotas.statementTimeoutMs must be an integer 100..60000 (got 0)"]],
    ["a connection limit of -1 (Postgres: unlimited)", (o) => { o["quotas"].maxConnections = -1; },
      ["tenantry:org.quotas.maxConnections must be an integer 1..200 (got -1)"]],
    ["an idle-in-transaction timeout above its bound", (o) => { o["quotas"].idleInTransactionTimeoutMs = 600_001; },
      ["tenantry:org.quotas.idleInTransactionTimeoutMs must be an integer 1000..600000 (got 600001)"]],
    ["a temp file limit of -1 (Postgres: unlimited)", (o) => { o["quotas"].tempFileLimitMb = -1; },
      ["tenantry:org.quotas.tempFileLimitMb must be an integer 16..65536 (got -1)"]],
    ["a temp file limit above its bound", (o) => { o["quotas"].tempFileLimitMb = 65_537; },
      ["tenantry:org.quotas.tempFileLimitMb must be an integer 16..65536 (got 65537)"]],
    ["a fractional timeout", (o) => { o["quotas"].lockTimeoutMs = 150.5; },
      ["tenantry:org.quotas.lockTimeoutMs must be an integer 100..60000 (got 150.5)"]],
    ["a timeout given as text", (o) => { o["quotas"].statementTimeoutMs = "5000"; },
      ["tenantry:org.quotas.statementTimeoutMs must be an integer 100..60000"]],
    ["a lock timeout longer than the statement timeout", (o) => { o["quotas"].lockTimeoutMs = 6000; },
      ["tenantry:org.quotas.lockTimeoutMs must not exceed quotas.statementTimeoutMs (5000) (got 6000)"]],
    ["an unknown top-level key (a bypass switch)", (o) => { o["tenantBypass"] = true; },
      ["tenantry:org.tenantBypass is not a known field (unknown keys are refused so a typo never falls back to a default)"]],
    ["an unknown quota key", (o) => { o["quotas"].maxConection = 5; },
      ["tenantry:org.quotas.maxConection is not a known field (unknown keys are refused so a typo never falls back to a default); did you mean maxConnections?"]],
    ["a missing slug", (o) => { delete o["slug"]; }, ["tenantry:org.slug is required"]],
    ["an org slug with upper case", (o) => { o["slug"] = "Acme"; },
      ["tenantry:org.slug must be 2..31 characters of a-z, 0-9 and single inner hyphens, starting with a letter (it prefixes every cluster-wide name)"]],
    ["an org slug with a double hyphen (it would collide after - -> _)", (o) => { o["slug"] = "ac--me"; },
      ["tenantry:org.slug must be 2..31 characters of a-z, 0-9 and single inner hyphens, starting with a letter (it prefixes every cluster-wide name)"]],
    ["an org slug too long for a 63-byte role name", (o) => { o["slug"] = "a".repeat(32); },
      ["tenantry:org.slug must be 2..31 characters of a-z, 0-9 and single inner hyphens, starting with a letter (it prefixes every cluster-wide name)"]],
    ["an unknown tier", (o) => { o["tier"] = "prod"; }, ["tenantry:org.tier must be production or sandbox"]],
    ["an environment with a separator", (o) => { o["environments"] = ["dev", "pre-prod"]; },
      ["tenantry:org.environments[1] must be 2..16 characters of a-z and 0-9, starting with a letter"]],
    ["no environments", (o) => { o["environments"] = []; }, ["tenantry:org.environments must list 1..5 environments"]],
    ["a repeated environment", (o) => { o["environments"] = ["dev", "prod", "dev"]; },
      ["tenantry:org.environments[2] repeats environment dev; each must be unique"]],
    ["a repeated workspace", (o) => { o["workspaces"] = [{ slug: "web" }, { slug: "billing" }, { slug: "web" }]; },
      ["tenantry:org.workspaces[2].slug repeats workspace web; each must be unique"]],
    ["a workspace named into Postgres' reserved pg_ schemas", (o) => { o["workspaces"] = [{ slug: "pg-catalog" }]; o["apps"] = []; },
      ["tenantry:org.workspaces[0].slug must not be pg or start with pg- (Postgres reserves pg_ schema names)"]],
    ["an app in a workspace the org does not have", (o) => { o["apps"][0].workspace = "admin"; },
      ["tenantry:org.apps[0].workspace must name one of the org's workspaces (web, billing)"]],
    ["an app with two access forms", (o) => { o["apps"][0].access = { minRole: "viewer", editorsOnly: true }; },
      ["tenantry:org.apps[0].access must set exactly one of minRole, users, workspaceMembers, editorsOnly (got 2)"]],
    ["an app with no access form", (o) => { o["apps"][0].access = {}; },
      ["tenantry:org.apps[0].access must set exactly one of minRole, users, workspaceMembers, editorsOnly (got 0)"]],
    ["workspaceMembers: false (meaningless, so refused)", (o) => { o["apps"][0].access = { workspaceMembers: false }; },
      ["tenantry:org.apps[0].access.workspaceMembers must be true when present (got false)"]],
    ["an unknown minimum role", (o) => { o["apps"][0].access = { minRole: "root" }; },
      ["tenantry:org.apps[0].access.minRole must be one of owner, admin, developer, viewer"]],
    ["a named user outside the claimed domains", (o) => { o["apps"][1].access = { users: ["eve@evil.example"] }; },
      ["tenantry:org.apps[1].access.users[0] must be an address in one of claimedDomains (acme.com)"]],
    ["a forwarded header in upper case", (o) => { o["apps"][0].forwardHeaders = ["X-Shop-Locale"]; },
      ["tenantry:org.apps[0].forwardHeaders[0] must be a lower-case header name of 1..64 characters: a-z, 0-9 and !#$%&'*+-.^`|~ (RFC 9110 token), no _ and no upper case"]],
    ["a forwarded header with _ (read as - by some servers)", (o) => { o["apps"][0].forwardHeaders = ["x-shop-locale", "x_user"]; },
      ["tenantry:org.apps[0].forwardHeaders[1] must be a lower-case header name of 1..64 characters: a-z, 0-9 and !#$%&'*+-.^`|~ (RFC 9110 token), no _ and no upper case"]],
    ["a forwarded header that is not a token (space, colon, empty)", (o) => { o["apps"][0].forwardHeaders = ["x shop", "x-shop:", ""]; }, [
      "tenantry:org.apps[0].forwardHeaders[0] must be a lower-case header name of 1..64 characters: a-z, 0-9 and !#$%&'*+-.^`|~ (RFC 9110 token), no _ and no upper case",
      "tenantry:org.apps[0].forwardHeaders[1] must be a lower-case header name of 1..64 characters: a-z, 0-9 and !#$%&'*+-.^`|~ (RFC 9110 token), no _ and no upper case",
      "tenantry:org.apps[0].forwardHeaders[2] must be a lower-case header name of 1..64 characters: a-z, 0-9 and !#$%&'*+-.^`|~ (RFC 9110 token), no _ and no upper case",
    ]],
    ["authorization as a forwarded header", (o) => { o["apps"][0].forwardHeaders = ["authorization"]; },
      ['tenantry:org.apps[0].forwardHeaders[0] must not carry identity or credentials (it names "auth"): the router injects the only identity an app may trust']],
    ["an identity word inside a forwarded header's name", (o) => { o["apps"][0].forwardHeaders = ["x-shop-locale", "x-shopuserid", "x-api-key", "x-org-id"]; }, [
      'tenantry:org.apps[0].forwardHeaders[1] must not carry identity or credentials (it names "user"): the router injects the only identity an app may trust',
      'tenantry:org.apps[0].forwardHeaders[2] must not carry identity or credentials (it names "apikey"): the router injects the only identity an app may trust',
      'tenantry:org.apps[0].forwardHeaders[3] must not carry identity or credentials (it names "org"): the router injects the only identity an app may trust',
    ]],
    ["cookie as a forwarded header", (o) => { o["apps"][0].forwardHeaders = ["cookie"]; },
      ["tenantry:org.apps[0].forwardHeaders[0] must not carry cookies: no cookie reaches an app, as cookies carry access-proxy and session identity (docs/edge.md)"]],
    ["the router's own identity header as a forwarded header", (o) => { o["apps"][0].forwardHeaders = ["x-tenantry-identity"]; },
      ["tenantry:org.apps[0].forwardHeaders[0] must not be in the router's own x-tenantry- namespace: the router sets those itself"]],
    ["a hop-by-hop header as a forwarded header", (o) => { o["apps"][0].forwardHeaders = ["connection", "transfer-encoding"]; }, [
      "tenantry:org.apps[0].forwardHeaders[0] must not be a hop-by-hop or connection header (connection, host, te, upgrade, ...): it describes one connection, not the request",
      "tenantry:org.apps[0].forwardHeaders[1] must not be a hop-by-hop or connection header (connection, host, te, upgrade, ...): it describes one connection, not the request",
    ]],
    ["a proxy's client-address header as a forwarded header", (o) => { o["apps"][0].forwardHeaders = ["x-forwarded-for", "cf-connecting-ip"]; }, [
      "tenantry:org.apps[0].forwardHeaders[0] must not be a proxy's or platform's header (forwarded, via, x-forwarded-*, x-real-ip, cf-*, x-amzn-*, baggage, ...): a client can send any value",
      "tenantry:org.apps[0].forwardHeaders[1] must not be a proxy's or platform's header (forwarded, via, x-forwarded-*, x-real-ip, cf-*, x-amzn-*, baggage, ...): a client can send any value",
    ]],
    ["a forwarded header declared twice", (o) => { o["apps"][0].forwardHeaders = ["x-shop-locale", "x-cart", "x-shop-locale"]; },
      ["tenantry:org.apps[0].forwardHeaders[2] repeats forwardHeaders[0]; each must be unique"]],
    ["more than 20 forwarded headers", (o) => { o["apps"][0].forwardHeaders = Array.from({ length: 21 }, (_, i) => `x-shop-${i}`); },
      ["tenantry:org.apps[0].forwardHeaders must list at most 20 headers"]],
    ["forwardHeaders that is not a list", (o) => { o["apps"][0].forwardHeaders = "x-shop-locale"; },
      ["tenantry:org.apps[0].forwardHeaders must be a list of header names"]],
    ["a secret value where a reference belongs", (o) => { o["secrets"][0].ref = "postgres://app:hunter2@db/acme"; },
      ["tenantry:org.secrets[0].ref must be a reference aws-secretsmanager:<name>#<key>, never a secret value"]],
    ["a reference to another org's secret", (o) => { o["secrets"][0].ref = "aws-secretsmanager:globex/prod/db#url"; },
      ["tenantry:org.secrets[0].ref must name a secret below acme/prod/ (this org and the secret's scope)"]],
    ["a dev-scoped binding of a prod secret", (o) => { o["secrets"][0] = { name: "DB", scope: "dev", ref: "aws-secretsmanager:acme/prod/db#url" }; },
      ["tenantry:org.secrets[0].ref must name a secret below acme/dev/ (this org and the secret's scope)"]],
    ["a reference escaping its scope with ..", (o) => { o["secrets"][0].ref = "aws-secretsmanager:acme/prod/../../globex/prod/db#url"; },
      ["tenantry:org.secrets[0].ref must name a secret below acme/prod/ (this org and the secret's scope)"]],
    ["a reference to the scope itself rather than a secret in it", (o) => { o["secrets"][0].ref = "aws-secretsmanager:acme/prod/#url"; },
      ["tenantry:org.secrets[0].ref must name a secret below acme/prod/ (this org and the secret's scope)"]],
    ["a connection quota too small to give every environment a connection beside the deploy's reserve", (o) => { o["quotas"].maxConnections = 10; },
      ["tenantry:org.quotas.maxConnections must be at least 11 for 3 environments (a runtime and a DDL connection each, plus 5 reserved for the deploy's provider pool, its migrations in the org database and an operator) (got 10)"]],
    ["a break-glass grantee outside the claimed domains", (o) => {
      o["breakGlass"] = { enabled: true, grantee: "eve@evil.example", reason: "restore billing data", expiresAt: hoursFromNow(2), environment: "prod", access: "read" };
    }, ["tenantry:org.breakGlass.grantee must be an address in one of claimedDomains (acme.com)"]],
    ["a secret scoped to an unknown environment", (o) => { o["secrets"][0].scope = "staging"; },
      ["tenantry:org.secrets[0].scope must be one of the org's environments (dev, test, prod)"]],
    ["a public mail provider as a claimed domain", (o) => { o["claimedDomains"] = ["acme.com", "gmail.com"]; },
      ["tenantry:org.claimedDomains[1] must not be a public mail provider (gmail.com): anyone can get an address there"]],
    ["break-glass without grantee, reason and expiry", (o) => { o["breakGlass"] = { enabled: true }; }, [
      "tenantry:org.breakGlass.grantee is required when breakGlass.enabled is true",
      "tenantry:org.breakGlass.reason is required when breakGlass.enabled is true",
      "tenantry:org.breakGlass.expiresAt is required when breakGlass.enabled is true",
      "tenantry:org.breakGlass.environment is required when breakGlass.enabled is true",
      "tenantry:org.breakGlass.access is required when breakGlass.enabled is true",
    ]],
    ["break-glass expiring more than 24 h ahead", (o) => {
      o["breakGlass"] = { enabled: true, grantee: "oncall@acme.com", reason: "restore billing data", expiresAt: hoursFromNow(25), environment: "prod", access: "read" };
    }, ["tenantry:org.breakGlass.expiresAt must be a valid time at most 24 h ahead (once it has passed, break-glass is planned as off)"]],
    ["break-glass in an environment the org does not have", (o) => {
      o["breakGlass"] = { enabled: true, grantee: "oncall@acme.com", reason: "restore billing data", expiresAt: hoursFromNow(2), environment: "staging", access: "read" };
    }, ["tenantry:org.breakGlass.environment must be one of environments (dev, test, prod)"]],
    ["break-glass with an access that is not read or write", (o) => {
      o["breakGlass"] = { enabled: true, grantee: "oncall@acme.com", reason: "restore billing data", expiresAt: hoursFromNow(2), environment: "prod", access: "ddl" };
    }, ["tenantry:org.breakGlass.access must be one of read, write"]],
    ["break-glass leftovers while it is off", (o) => { o["breakGlass"] = { enabled: false, grantee: "oncall@acme.com" }; },
      ["tenantry:org.breakGlass.grantee must be omitted while breakGlass.enabled is false"]],
    ["an offboarding marker without who asked", (o) => { o["offboarding"] = { reason: "contract ended on 2026-05-31" }; },
      ["tenantry:org.offboarding.requestedBy is required"]],
    ["an offboarding marker with a one-word reason", (o) => { o["offboarding"] = { requestedBy: "ops@tenantry.example", reason: "done" }; },
      ["tenantry:org.offboarding.reason must explain the offboarding in 10..500 characters"]],
    ["an offboarding marker with a ticket holding spaces", (o) => { o["offboarding"] = { requestedBy: "ops@tenantry.example", reason: "contract ended", ticket: "OPS 1234" }; },
      ["tenantry:org.offboarding.ticket must be a ticket id or URL: 1..200 printable characters, no spaces"]],
    ["an offboarding marker with an unknown key (e.g. a switch to drop the data)", (o) => { o["offboarding"] = { requestedBy: "ops@tenantry.example", reason: "contract ended", dropData: true }; },
      ["tenantry:org.offboarding.dropData is not a known field (unknown keys are refused so a typo never falls back to a default)"]],
    ["offboarding: true instead of a marker", (o) => { o["offboarding"] = true; },
      ["tenantry:org.offboarding must be an object (got true)"]],
    ["break-glass on while the org is marked for offboarding", (o) => {
      o["breakGlass"] = { enabled: true, grantee: "oncall@acme.com", reason: "restore billing data", expiresAt: hoursFromNow(2), environment: "prod", access: "read" };
      o["offboarding"] = { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31" };
    }, ["tenantry:org.breakGlass.enabled must be false while the org is marked for offboarding (offboarding turns every login off)"]],
    ["a spec that is not an object", (o) => { for (const k of Object.keys(o)) delete o[k]; }, [
      "tenantry:org.slug is required",
      "tenantry:org.workspaces is required",
    ]],
  ];

  it.each(cases)("%s", (_name, mutate, expected) => {
    expect(problemsOf(mutate)).toEqual(expected);
  });

  it("a value that is not an object at all", () => {
    expect(() => parse("acme")).toThrowError(new SpecError([{ field: "tenantry:org", message: "tenantry:org must be an object" }]));
  });

  it("every problem at once, not just the first", () => {
    expect(problemsOf((o) => { o["slug"] = "A"; o["tier"] = "gold"; o["quotas"].maxConnections = 0; })).toHaveLength(3);
  });

  it("without ever echoing a string value, so a pasted secret stays out of CI logs", () => {
    const secret = "s3cr3t-Value-That-Must-Not-Leak";
    const messages = [
      ...problemsOf((o) => { o["secrets"][0].ref = secret; }),
      ...problemsOf((o) => { o["slug"] = secret; }),
      ...problemsOf((o) => { o["apps"][0].access = { users: [secret] }; }),
    ];
    expect(messages).toHaveLength(3);
    for (const message of messages) expect(message).not.toContain(secret);
    // A header name is a token, so a pasted (lower-case) secret can pass its pattern: refused as
    // identity-like, as upper case, and as a repeat, none of the messages repeats it.
    const pasted = `x-token-${secret.toLowerCase()}`;
    const headerMessages = problemsOf((o) => { o["apps"][0].forwardHeaders = [pasted, pasted, `x-${secret}`]; });
    expect(headerMessages).toHaveLength(4);
    for (const message of headerMessages) expect(message.toLowerCase()).not.toContain(secret.toLowerCase());
  });
});
