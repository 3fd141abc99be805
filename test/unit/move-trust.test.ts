import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loginRolesOf, migrationEnv } from "../../fleet/move-local-plan";
import { expectedOwners, foreignRecordEntries, impossibleRecord, MIGRATION_INHERITED_VARIABLES, unexpectedOwners } from "../../fleet/move-trust";
import { environmentRoleName, orgRoleName, schemaName } from "../../spec/naming";

/*
 * The allowlists of fleet/move-trust.ts, attacked with generated input: the tenant's migration
 * command (the caller's environment), a catalog naming an owner that is not the org's, and a
 * hand-edited record naming a neighbour's roles, where the neighbour's slug begins with the org's
 * (`a` and `a-b`: `tn_a_` begins every name of both).
 */

const part = fc.stringMatching(/^[a-z][a-z0-9]{0,5}$/);
/** An org and a neighbour whose slug it prefixes. */
const prefixedPair = fc.tuple(part, part).map(([org, tail]) => ({ org, neighbour: `${org}-${tail}` }));
const environments = fc.uniqueArray(fc.constantFrom("dev", "staging", "prod"), { minLength: 1, maxLength: 3 });
const workspaces = fc.uniqueArray(part, { minLength: 1, maxLength: 3 });

/** Every role name of an org for these environments. */
function rolesOf(org: string, envs: readonly string[]): string[] {
  return [
    ...(["owner", "audit", "breakglass"] as const).map((kind) => orgRoleName(org, kind)),
    ...envs.flatMap((env) => (["runtime", "ddl"] as const).map((kind) => environmentRoleName(org, env, kind))),
  ];
}

const target = { host: "127.0.0.1", port: 5999, database: "tn_acme", user: "tn_acme_dev_ddl", password: "pw", environment: "dev" };

describe("the migration command's environment", () => {
  it("inherits only allowlisted variables, whatever the caller's shell holds (cloud keys, passphrases, tokens)", () => {
    const name = fc.oneof(fc.constantFrom("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "PULUMI_ACCESS_TOKEN", "CLOUDFLARE_API_TOKEN", "NODE_OPTIONS", "PATH", "HOME", "LANG"), fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,15}$/));
    fc.assert(fc.property(fc.dictionary(name, fc.string()), (base) => {
      const env = migrationEnv(base, target);
      const ours = new Set(["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PGPASSWORD", "TENANTRY_ENVIRONMENT"]);
      for (const key of Object.keys(env)) expect(ours.has(key) || MIGRATION_INHERITED_VARIABLES.includes(key), key).toBe(true);
      for (const key of MIGRATION_INHERITED_VARIABLES) expect(env[key]).toBe(base[key]);
    }));
  });
});

describe("whose tables the move assumes", () => {
  it("names every table whose owner is not its schema's expected role: a neighbour's role, the provider login, another environment's DDL role", () => {
    fc.assert(fc.property(prefixedPair, environments, workspaces, fc.nat(), ({ org, neighbour }, envs, spaces, pick) => {
      const expected = expectedOwners(org, envs, spaces);
      const schema = schemaName(spaces[pick % spaces.length]!, envs[pick % envs.length]!);
      const strangers = [...rolesOf(neighbour, envs), "tenantry", "rds_superuser", orgRoleName(org, "owner"), environmentRoleName(org, envs[pick % envs.length]!, "runtime")];
      for (const owner of strangers) {
        expect(unexpectedOwners([{ schema, name: "t", owner }], expected, "source"), owner).toHaveLength(1);
      }
      expect(unexpectedOwners([{ schema, name: "t", owner: expected.get(schema)! }], expected, "source")).toEqual([]);
      expect(unexpectedOwners([{ schema: "audit", name: "events", owner: orgRoleName(org, "audit") }], expected, "source")).toEqual([]);
    }));
  });

  it("a schema of another environment is owned by that environment's DDL role only", () => {
    const expected = expectedOwners("acme", ["dev", "prod"], ["web"]);
    expect(unexpectedOwners([{ schema: "web_prod", name: "t", owner: "tn_acme_dev_ddl" }], expected, "target")).toEqual([
      "web_prod.t on the target is owned by tn_acme_dev_ddl, not by tn_acme_prod_ddl: the move assumes no other role",
    ]);
    expect(unexpectedOwners([{ schema: "public", name: "t", owner: "tn_acme_dev_ddl" }], expected, "target")).toHaveLength(1);
  });
});

describe("a hand-edited record file", () => {
  it("is refused when it names any role of a neighbour whose slug the org's prefixes, or a cluster outside the move", () => {
    fc.assert(fc.property(prefixedPair, environments, fc.boolean(), ({ org, neighbour }, envs, inTarget) => {
      const logins = new Set(loginRolesOf([], org, envs));
      const allow = { sourceLogins: logins, targetLogins: logins, owners: new Set(expectedOwners(org, envs, ["main"]).values()), clusters: ["pg-a", "pg-b"] as const };
      const own = [...logins].map((role) => ({ role, canLogin: true, connectionLimit: -1 }));
      expect(foreignRecordEntries({ sourceLogins: own, targetLogins: own, memberships: [{ cluster: "pg-a", role: orgRoleName(org, "audit") }] }, allow)).toEqual([]);
      for (const role of rolesOf(neighbour, envs)) {
        const hostile = [...own, { role, canLogin: true, connectionLimit: -1 }];
        const file = inTarget ? { targetLogins: hostile, memberships: [] } : { sourceLogins: hostile, memberships: [] };
        expect(foreignRecordEntries(file, allow), role).toHaveLength(1);
        expect(foreignRecordEntries({ memberships: [{ cluster: "pg-a", role }] }, allow), role).toHaveLength(1);
      }
      expect(foreignRecordEntries({ memberships: [{ cluster: "pg-c", role: orgRoleName(org, "audit") }] }, allow)).toHaveLength(1);
    }));
  });

  it("is refused when a login's attributes are not what the freeze records (a limit below -1, not an integer, or a non-boolean login)", () => {
    const allow = { sourceLogins: new Set(["tn_a_dev_runtime"]), targetLogins: new Set<string>(), owners: new Set<string>(), clusters: ["x", "y"] as const };
    for (const entry of [{ connectionLimit: -2, canLogin: true }, { connectionLimit: 1.5, canLogin: true }, { connectionLimit: Number.NaN, canLogin: true }, { connectionLimit: 3, canLogin: "yes" as unknown as boolean }]) {
      expect(foreignRecordEntries({ sourceLogins: [{ role: "tn_a_dev_runtime", ...entry }], memberships: [] }, allow), JSON.stringify(entry)).toHaveLength(1);
    }
  });
});

describe("a record's move", () => {
  it("is impossible from a cluster to itself (its rollback would drop the only copy) or for another stack", () => {
    fc.assert(fc.property(part, part, (a, b) => {
      expect(impossibleRecord({ stack: "org-x", from: a, to: a }, "org-x")).toHaveLength(1);
      expect(impossibleRecord({ stack: "org-x", from: a, to: `${a}-${b}` }, "org-x")).toEqual([]);
      expect(impossibleRecord({ stack: `org-${a}`, from: "pg-a", to: "pg-b" }, `org-${a}-${b}`)).toHaveLength(1);
    }));
  });
});
