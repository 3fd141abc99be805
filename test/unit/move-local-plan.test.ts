import fc from "fast-check";
import { parseDocument } from "yaml";
import { describe, expect, it } from "vitest";
import { dropOrgCopySql, loginRolesOf, migrationEnv, orgRolesIn, placementIn, withPlacement } from "../../fleet/move-local-plan";
import { grantSetRoleSql, ownersToAssume, revokeSetRoleSql } from "../../fleet/move-owners";
import { TYPE } from "../../local/provider-sql";
import type { AppliedResource } from "../../local/state";
import { orgPrefix } from "../../spec/naming";

/*
 * The decisions of a local move's actions (fleet/move-local-plan.ts), as the adversary sees them:
 * a state file holding another org's roles must not make a move drop them, a caller's libpq
 * variables must not point a migration at another server, and the switch must change the
 * placement and nothing else of the stack file.
 */

const slugArb = fc.stringMatching(/^[a-z][a-z0-9]{1,8}$/);
const role = (name: string, login = false): AppliedResource => ({
  urn: `urn:${name}`, type: TYPE.role, name, inputs: { name, login }, inputsHash: "", protect: false, retainOnDelete: false, dependsOn: [],
});

describe("which roles a move touches", () => {
  it("drops only roles of the org's own prefix, whatever else a state file lists; any other name is refused outright", () => {
    fc.assert(fc.property(slugArb, slugArb, fc.array(fc.constantFrom("owner", "audit", "dev_ddl", "dev_runtime"), { maxLength: 4 }), (org, other, kinds) => {
      fc.pre(org !== other && !orgPrefix(other).startsWith(orgPrefix(org)));
      const state = [...kinds.map((k) => role(`${orgPrefix(org)}${k}`)), ...kinds.map((k) => role(`${orgPrefix(other)}${k}`)), role("postgres"), role("tenantry")];
      const roles = orgRolesIn(state, org);
      expect(roles.every((r) => r.startsWith(orgPrefix(org)))).toBe(true);
      const sql = dropOrgCopySql(org, roles).join("\n");
      expect(sql).not.toContain(orgPrefix(other));
      expect(sql).not.toMatch(/"postgres"|"tenantry"/);
      expect(() => dropOrgCopySql(org, [...roles, `${orgPrefix(other)}owner`])).toThrow(/not roles of/);
    }));
  });

  it("counts a role an interrupted apply left pending, found by its URN's type, and no other pending resource", () => {
    const pending = [
      { urn: "urn:pulumi:org-acme::tenantry::tenantry:org:Tenant$postgresql:index/role:Role::org-acme-owner", action: "create" as const, inputs: { name: "tn_acme_owner" } },
      { urn: "urn:pulumi:org-acme::tenantry::tenantry:org:Tenant$postgresql:index/schema:Schema::org-acme-main", action: "create" as const, inputs: { name: "main_dev" } },
    ];
    expect(orgRolesIn([role("tn_acme_dev_ddl")], "acme", pending)).toEqual(["tn_acme_dev_ddl", "tn_acme_owner"]);
  });

  it("freezes every writer the naming scheme derives and every other login of the org the state records, never another org's", () => {
    const resources = [role("tn_acme_dev_runtime", true), role("tn_acme_webhooks", true), role("tn_acme_owner"), role("tn_other_dev_runtime", true)];
    expect(loginRolesOf(resources, "acme", ["dev", "prod"])).toEqual([
      "tn_acme_breakglass", "tn_acme_dev_ddl", "tn_acme_dev_runtime", "tn_acme_prod_ddl", "tn_acme_prod_runtime", "tn_acme_webhooks",
    ]);
  });

  it("owners are assumed once each; the membership is SET only and taken back by exactly the grant the login made", () => {
    expect(ownersToAssume([{ owner: "b" }, { owner: "a" }, { owner: "b" }])).toEqual(["a", "b"]);
    expect(grantSetRoleSql("tn_acme_audit")).toBe('GRANT "tn_acme_audit" TO SESSION_USER WITH INHERIT FALSE, SET TRUE GRANTED BY SESSION_USER');
    expect(revokeSetRoleSql("tn_acme_audit")).toBe('REVOKE "tn_acme_audit" FROM SESSION_USER GRANTED BY SESSION_USER');
  });
});

describe("the migration's environment", () => {
  it("points libpq at the target as the DDL role, whatever PG* variables the caller had", () => {
    fc.assert(fc.property(fc.dictionary(fc.constantFrom("PGHOST", "PGPORT", "PGSERVICE", "PGSSLMODE", "PGPASSFILE", "HOME"), fc.string()), (base) => {
      const env = migrationEnv(base, { host: "127.0.0.1", port: 5999, database: "tn_acme", user: "tn_acme_dev_ddl", password: "pw", environment: "dev" });
      expect(Object.keys(env).filter((k) => k.startsWith("PG")).sort()).toEqual(["PGDATABASE", "PGHOST", "PGPASSWORD", "PGPORT", "PGUSER"]);
      expect(env).toMatchObject({ PGHOST: "127.0.0.1", PGPORT: "5999", PGUSER: "tn_acme_dev_ddl", TENANTRY_ENVIRONMENT: "dev" });
      if (base["HOME"] !== undefined) expect(env["HOME"]).toBe(base["HOME"]);
    }));
  });
});

describe("the switch's edit of the stack file", () => {
  const text = `# kept: a comment
config:
  postgresql:username: tenantry   # and this one
  tenantry:org:
    slug: acme
    environments: [dev, prod]
    placement:
      cluster: pg-eu-1 # the source
`;

  it("changes placement.cluster and not one other byte", () => {
    const edited = withPlacement(text, "pg-us-1");
    expect(placementIn(edited)).toBe("pg-us-1");
    expect(edited).toBe(text.replace("cluster: pg-eu-1", "cluster: pg-us-1"));
    expect(withPlacement(edited, "pg-eu-1")).toBe(text);
  });

  it("refuses a file without a placement, and quoted clusters stay parseable", () => {
    expect(() => withPlacement("config:\n  tenantry:org:\n    slug: acme\n", "pg-us-1")).toThrow(/no tenantry:org.placement.cluster/);
    const quoted = withPlacement(text.replace("pg-eu-1", '"pg-eu-1"'), "pg-us-1");
    expect(parseDocument(quoted).getIn(["config", "tenantry:org", "placement", "cluster"])).toBe("pg-us-1");
  });
});
