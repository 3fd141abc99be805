import { beforeAll, describe, expect, it } from "vitest";
import { isProviderType } from "../../components/provider-plan";
import { RESERVED_CONNECTIONS } from "../../spec/connection-budget";
import { environmentRoleName } from "../../spec/naming";
import { isSecretValue, RecordingMonitor } from "../../harness/recording-monitor";
import type { ProgramRun } from "../../harness/run-program";
import { aclChanges, input, ofType, runOrg, TYPES } from "../helpers/program";
import { validOrgInput } from "../helpers/spec-builder";

const FORBIDDEN_ROLE_ATTRIBUTES = ["superuser", "createDatabase", "createRole", "replication", "bypassRowLevelSecurity"];
const FORBIDDEN_RUNTIME_PRIVILEGES = ["CREATE", "TRUNCATE", "REFERENCES", "TRIGGER", "TEMPORARY", "ALL"];

let acme: ProgramRun;
let sandbox: ProgramRun;

beforeAll(async () => {
  acme = await runOrg(validOrgInput());
  sandbox = await runOrg({ ...validOrgInput(), slug: "globex", tier: "sandbox", apps: [], secrets: [], claimedDomains: [] }, "org-globex");
});

const loginRoles = (run: ProgramRun) => ofType(run, TYPES.role).filter((r) => input(r, "login") === true);
const runtimeRoleNames = (run: ProgramRun) => new Set(loginRoles(run).map((r) => input<string>(r, "name")).filter((n) => n.endsWith("_runtime")));

describe("an org's database (DESIGN properties 1, 3, 4, 15)", () => {
  it("is one dedicated database owned by a NOLOGIN owner role", () => {
    const [database, ...others] = ofType(acme, TYPES.database);
    expect(others).toEqual([]);
    expect(input(database!, "name")).toBe("tn_acme");
    const owner = ofType(acme, TYPES.role).find((r) => input(r, "name") === input(database!, "owner"));
    expect(owner && input(owner, "login")).toBe(false);
  });

  it("has a fixed template, encoding and collation, so it is never replaced (and dropped WITH FORCE)", () => {
    const database = ofType(acme, TYPES.database)[0]!;
    expect(database.inputs).toMatchObject({ template: "template0", encoding: "UTF8", lcCollate: "C", lcCtype: "C" });
  });

  it("is protected and retained on delete in a production-tier org", () => {
    const database = ofType(acme, TYPES.database)[0]!;
    expect([database.protect, database.retainOnDelete]).toEqual([true, true]);
  });

  it("is retained on delete, though not protected, in a sandbox org", () => {
    const database = ofType(sandbox, TYPES.database)[0]!;
    expect([database.protect, database.retainOnDelete]).toEqual([false, true]);
  });

  it("caps the org's connections with a finite database connection limit", () => {
    expect(input(ofType(acme, TYPES.database)[0]!, "connectionLimit")).toBe(20);
  });

  it("revokes CONNECT and TEMPORARY from PUBLIC (an empty Grant revokes all)", () => {
    const revoke = aclChanges(acme).find((r) => input(r, "role") === "public" && input(r, "objectType") === "database");
    expect(revoke?.inputs).toEqual({ role: "public", database: "tn_acme", objectType: "database", privileges: [] });
  });

  it("revokes everything from PUBLIC on the database's public schema", () => {
    const revoke = aclChanges(acme).find((r) => input(r, "role") === "public" && input(r, "objectType") === "schema");
    expect(revoke?.inputs).toEqual({ role: "public", database: "tn_acme", schema: "public", objectType: "schema", privileges: [] });
  });

  it("makes the provider's login a member of the owner role before any ACL change, so database grants take effect", () => {
    const [membership, ...others] = ofType(acme, TYPES.grantRole);
    expect(others).toEqual([]);
    expect(membership!.inputs).toEqual({ role: "tenantry", grantRole: "tn_acme_owner", withAdminOption: false });
    const firstAcl = aclChanges(acme)[0]!;
    expect(firstAcl.dependsOn).toContain(membership!.urn);
  });

  it("splits the connection quota between environments, after the deploy's and an operator's reserve, so no environment can starve another", () => {
    const limits = loginRoles(acme).map((r) => input<number>(r, "connectionLimit"));
    const databaseLimit = input<number>(ofType(acme, TYPES.database)[0]!, "connectionLimit");
    expect(limits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(databaseLimit - RESERVED_CONNECTIONS);
    expect(Object.fromEntries(loginRoles(acme).filter((r) => input<string>(r, "name").startsWith("tn_acme_prod")).map((r) => [input(r, "name"), input(r, "connectionLimit")])))
      .toEqual({ tn_acme_prod_runtime: 4, tn_acme_prod_ddl: 1 });
  });

  it("has a runtime and a DDL login role per environment, named by org and environment", () => {
    expect(loginRoles(acme).map((r) => input(r, "name")).sort()).toEqual(
      ["dev", "test", "prod"].flatMap((env) => [environmentRoleName("acme", env, "ddl"), environmentRoleName("acme", env, "runtime")]).sort(),
    );
  });

  it("gives no role SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, each set explicitly to false", () => {
    for (const role of ofType(acme, TYPES.role)) {
      for (const attribute of FORBIDDEN_ROLE_ATTRIBUTES) expect([role.name, attribute, input(role, attribute)]).toEqual([role.name, attribute, false]);
    }
  });

  it("gives every login role a statement timeout, an idle-in-transaction timeout and a finite connection limit", () => {
    for (const role of loginRoles(acme)) {
      expect(input<number>(role, "statementTimeout")).toBe(5000);
      expect(input<number>(role, "idleInTransactionSessionTimeout")).toBe(10000);
      expect(input<number>(role, "connectionLimit")).toBeGreaterThanOrEqual(1);
      expect(input<number>(role, "connectionLimit")).toBeLessThan(20);
    }
  });

  it("registers every generated password as a Pulumi secret", () => {
    for (const role of loginRoles(acme)) expect(isSecretValue(input(role, "password"))).toBe(true);
  });

  it("exposes credentials only as a secret stack output", () => {
    expect(acme.outputs["credentials"]).toBe("[secret]");
    expect(JSON.stringify(acme.outputs)).not.toMatch(/password/i);
  });
});

describe("an org's schemas and grants (DESIGN properties 2, 3)", () => {
  it("creates one schema <workspace>_<env> per workspace and environment, owned by that environment's DDL role", () => {
    const schemas = ofType(acme, TYPES.schema).filter((s) => input(s, "name") !== "audit").map((s) => [input(s, "name"), input(s, "owner")]);
    expect(schemas.sort()).toEqual(
      ["dev", "test", "prod"].flatMap((env) => ["web", "billing"].map((ws) => [`${ws}_${env}`, `tn_acme_${env}_ddl`])).sort(),
    );
  });

  it("never drops a schema's tables with it", () => {
    for (const schema of ofType(acme, TYPES.schema)) expect(input(schema, "dropCascade")).toBe(false);
  });

  it("gives runtime roles no CREATE anywhere, nor TRUNCATE, REFERENCES or TRIGGER", () => {
    const runtime = runtimeRoleNames(acme);
    const runtimeAcl = aclChanges(acme).filter((r) => runtime.has(input(r, "role")));
    expect(runtimeAcl.length).toBeGreaterThan(0);
    for (const grant of runtimeAcl) {
      for (const privilege of input<string[]>(grant, "privileges")) expect(FORBIDDEN_RUNTIME_PRIVILEGES).not.toContain(privilege);
    }
  });

  it("gives each runtime role DML on what its DDL role creates later, in every schema, through default privileges", () => {
    const expected = ["dev", "test", "prod"].flatMap((env) => ["web", "billing"].flatMap((ws) => [
      { role: `tn_acme_${env}_runtime`, owner: `tn_acme_${env}_ddl`, database: "tn_acme", schema: `${ws}_${env}`, objectType: "table", privileges: ["SELECT", "INSERT", "UPDATE", "DELETE"] },
      { role: `tn_acme_${env}_runtime`, owner: `tn_acme_${env}_ddl`, database: "tn_acme", schema: `${ws}_${env}`, objectType: "sequence", privileges: ["USAGE", "SELECT"] },
    ]));
    expect(ofType(acme, TYPES.defaultPrivileges).map((r) => r.inputs)).toEqual(expected);
  });

  it("never grants a role of one environment anything in another environment's schemas", () => {
    // The audit schema is shared by design: every role gets the same SELECT and column INSERT there.
    for (const grant of aclChanges(acme).filter((r) => input(r, "schema") !== undefined && input(r, "schema") !== "audit" && input(r, "role") !== "public")) {
      const env = /^tn_acme_([a-z0-9]+)_(runtime|ddl)$/.exec(input(grant, "role"))?.[1];
      expect([grant.name, input<string>(grant, "schema").endsWith(`_${env}`)]).toEqual([grant.name, true]);
    }
  });

  it("has exactly one Grant per (role, database, schema, object type), since the provider revokes what a Grant omits", () => {
    const keys = ofType(acme, TYPES.grant).map((g) => [input(g, "role"), input(g, "database"), input(g, "schema"), input(g, "objectType")].join("|"));
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("serializes every ACL change of the org into one chain (parallel grants fail with 'tuple concurrently updated')", () => {
    const acl = aclChanges(acme);
    const position = new Map(acl.map((r, i) => [r.urn, i]));
    acl.forEach((resource, i) => {
      const aclDependencies = resource.dependsOn.filter((urn) => position.has(urn));
      expect([resource.name, aclDependencies]).toEqual([resource.name, i === 0 ? [] : [acl[i - 1]!.urn]]);
    });
  });

  it("names every resource it declares with the org's prefix (the engine names its own default providers)", () => {
    const declared = acme.resources.filter((r) => r.type !== TYPES.stack && !(isProviderType(r.type) && r.name.startsWith("default")));
    for (const resource of declared) expect(resource.name).toMatch(/^org-acme(-|$)/);
  });
});

describe("invalid input", () => {
  it("stops the program before a single resource is registered", async () => {
    const monitor = new RecordingMonitor();
    const bad = { ...validOrgInput(), quotas: { statementTimeoutMs: 0 } };
    await expect(runOrg(bad, "org-acme", monitor)).rejects.toThrowError("tenantry:org.quotas.statementTimeoutMs must be an integer 100..60000 (got 0)");
    expect(monitor.registered.map((r) => r.type)).toEqual([TYPES.stack]);
  });
});
