import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { POSTGRES_KEYS_READ } from "../../spec/provider-settings";
import { SpecError } from "../../spec/spec-errors";
import { tenantStackFromConfig } from "../../spec/stack-config";
import { PROVIDER_CONFIG, stackConfigFor, validOrgInput } from "../helpers/spec-builder";

function messagesOf(config: Parameters<typeof tenantStackFromConfig>[0]): string[] {
  try {
    tenantStackFromConfig(config);
    return [];
  } catch (error) {
    if (!(error instanceof SpecError)) throw error;
    return error.problems.map((p) => p.message);
  }
}

describe("the stack configuration", () => {
  it("accepts the org spec with provider settings and a secret password", () => {
    const config = stackConfigFor(validOrgInput(), { "postgresql:host": "pg.internal", "postgresql:password": "[secret]" }, ["postgresql:password"]);
    expect(tenantStackFromConfig(config)).toMatchObject({ spec: { slug: "acme" }, provider: { adminRole: "tenantry" } });
  });

  it("refuses any other tenantry setting: there is no dev-mode or bypass switch", () => {
    expect(messagesOf(stackConfigFor(validOrgInput(), { "tenantry:devMode": "true" }))).toEqual([
      "tenantry:devMode is not a tenantry setting: tenantry reads only tenantry:org, and has no dev-mode or bypass switch",
    ]);
  });

  it("refuses a provider credential kept in plain text (and a Cloudflare token in the stack file at all)", () => {
    expect(messagesOf(stackConfigFor(validOrgInput(), { "postgresql:password": "hunter2", "cloudflare:apiToken": "t" }))).toEqual([
      "postgresql:password must be a secret: set it with `pulumi config set --secret postgresql:password`, never in plain text",
      "cloudflare:apiToken is not read: the org's Cloudflare provider takes the account from tenantry:org.edge.accountId and its API token from CLOUDFLARE_API_TOKEN in the deploy environment; remove it from the stack file",
    ]);
  });

  it("refuses provider config that the org's explicit providers would silently ignore, naming the key", () => {
    const values = { "aws:region": "us-east-1", "cloudflare:baseUrl": "https://api.example.net", "postgresql:scheme": "awspostgres" };
    expect(messagesOf(stackConfigFor(validOrgInput(), values))).toEqual([
      "aws:region is not read: the org's AWS provider takes its region from tenantry:org.edge.awsRegion and its credentials from the deploy environment; remove it from the stack file",
      "cloudflare:baseUrl is not read: the org's Cloudflare provider takes the account from tenantry:org.edge.accountId and its API token from CLOUDFLARE_API_TOKEN in the deploy environment; remove it from the stack file",
      "postgresql:scheme is not read: the org's Postgres provider takes only postgresql:host, port, username, database, sslmode, sslrootcert, clientcert, superuser, maxConnections, password; remove it from the stack file",
    ]);
  });

  it("refuses every aws:* and cloudflare:* key and every postgresql:* key the provider is not built from, whatever its name", () => {
    const read = new Set(POSTGRES_KEYS_READ.map((key) => `postgresql:${key}`));
    const providerKey = fc.tuple(fc.constantFrom("aws", "cloudflare", "postgresql"), fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_:-]{0,30}$/))
      .map(([pkg, key]) => `${pkg}:${key}`)
      .filter((key) => !read.has(key));
    fc.assert(fc.property(providerKey, (key) => {
      // A secret value, so only the unread key is at issue, not a credential in plain text.
      const problems = messagesOf(stackConfigFor(validOrgInput(), { [key]: "[secret]" }, [key]));
      expect(problems).toHaveLength(1);
      expect(problems[0]?.startsWith(`${key} is not read: `)).toBe(true);
    }), { numRuns: 300 });
  });

  it("refuses a stack without an org", () => {
    const config = { ...stackConfigFor({}), values: { ...PROVIDER_CONFIG } };
    expect(messagesOf(config)).toEqual(["tenantry:org is required: the stack file must declare the org"]);
  });

  it("refuses an org spec copied into another org's stack", () => {
    const config = { ...stackConfigFor(validOrgInput()), stack: "org-globex" };
    expect(messagesOf(config)).toEqual(["tenantry:org.slug must match the stack name: stack org-globex must be named org-acme, one stack per org"]);
  });

  it("refuses a stack not named after its org", () => {
    const config = { ...stackConfigFor(validOrgInput()), stack: "staging" };
    expect(messagesOf(config)).toEqual(["tenantry:org.slug must match the stack name: stack staging must be named org-acme, one stack per org"]);
  });

  it("refuses a provider connection without TLS", () => {
    expect(messagesOf(stackConfigFor(validOrgInput(), { "postgresql:sslmode": "disable" }))).toEqual([
      "postgresql:sslmode must be one of require, verify-ca, verify-full: role passwords are sent over this connection",
    ]);
  });

  it("refuses a superuser provider account", () => {
    expect(messagesOf(stackConfigFor(validOrgInput(), { "postgresql:superuser": "true" }))).toEqual([
      'postgresql:superuser must be "false": tenantry deploys with a non-superuser account (on RDS, grant rds_superuser by membership)',
    ]);
  });

  it("requires postgresql:maxConnections to bound the provider's pool at what the connection budget reserves for it", () => {
    const { ["postgresql:maxConnections"]: _pool, ...unbounded } = stackConfigFor(validOrgInput()).values;
    const message = "postgresql:maxConnections must be 2: the Postgres provider keeps a pool of up to this many connections per database (20 when unset), which count against the org database's connection limit, and tenantry reserves 2 of the quota for it; 1 deadlocks creating the database (the provider holds one connection while it opens another)";
    expect(messagesOf({ ...stackConfigFor(validOrgInput()), values: unbounded })).toEqual([message]);
    fc.assert(fc.property(fc.oneof(fc.integer({ min: -5, max: 300 }).filter((n) => n !== 2).map(String), fc.constantFrom("", " 2", "2.0", "02", "2.5", "two", "1e0", "0x2"), fc.string().filter((s) => s !== "2")), (value) => {
      expect(messagesOf(stackConfigFor(validOrgInput(), { "postgresql:maxConnections": value }))).toEqual([message]);
    }));
    expect(messagesOf(stackConfigFor(validOrgInput(), { "postgresql:maxConnections": "2" }))).toEqual([]);
  });

  it("refuses a provider without a host or with a port out of range", () => {
    const config = stackConfigFor(validOrgInput(), { "postgresql:port": "70000" });
    const { ["postgresql:host"]: _host, ...withoutHost } = config.values;
    expect(messagesOf({ ...config, values: withoutHost })).toEqual([
      "postgresql:host must be the server's host name",
      "postgresql:port must be a port number 1..65535",
    ]);
  });

  it("refuses a provider login whose name a tenant could compose: a tenant role, or <workspace>_<env>", () => {
    for (const username of ["tn_acme_owner", "tenantry_admin", "Tenantry", "x".repeat(64)]) {
      expect(messagesOf(stackConfigFor(validOrgInput(), { "postgresql:username": username }))).toEqual([
        "postgresql:username must be the provider's login role in the platform's name form: one word of a-z and 0-9 (e.g. tenantry), or words joined by __ (tenant names join words with a single _)",
      ]);
    }
  });

  it("refuses a provider login Postgres reserves, though it has the platform's form", () => {
    for (const username of ["public", "none", "pg__monitor"]) {
      expect(messagesOf(stackConfigFor(validOrgInput(), { "postgresql:username": username }))).toEqual([
        "postgresql:username must not be a role name Postgres reserves (public, none, or pg_...)",
      ]);
    }
  });

  it("accepts a provider login in the platform's name form", () => {
    for (const username of ["tenantry", "postgres", "tenantry__provisioner"]) {
      expect(messagesOf(stackConfigFor(validOrgInput(), { "postgresql:username": username }))).toEqual([]);
    }
  });

  it("reports stack-level and spec-level problems together", () => {
    const org = { ...validOrgInput(), tier: "gold" };
    expect(messagesOf(stackConfigFor(org, { "tenantry:bypass": "1" }))).toHaveLength(2);
  });
});
