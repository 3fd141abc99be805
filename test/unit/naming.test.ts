import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  databaseName, environmentRoleName, orgRoleName, PG_IDENTIFIER_MAX_BYTES, quoteIdent, schemaName,
} from "../../spec/naming";
import { environmentSlug, orgSlug, workspaceSlug } from "../../spec/spec-fields";

/** Slugs exactly as the spec admits them: generated from its own patterns and filtered by its own schema. */
const org = fc.stringMatching(/^[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,5}){0,3}$/).filter((s) => orgSlug.safeParse(s).success);
const env = fc.stringMatching(/^[a-z][a-z0-9]{1,6}$/).filter((s) => environmentSlug.safeParse(s).success);
const workspace = fc.stringMatching(/^[a-z][a-z0-9]{0,5}(-[a-z0-9]{1,5}){0,3}$/).filter((s) => workspaceSlug.safeParse(s).success);

/** Every cluster-wide name tenantry can generate, tagged with what generated it. */
const clusterName = fc.oneof(
  fc.record({ kind: fc.constant("owner"), org, env: fc.constant("") }).map((x) => ({ ...x, name: orgRoleName(x.org, "owner") })),
  fc.record({ kind: fc.constant("audit"), org, env: fc.constant("") }).map((x) => ({ ...x, name: orgRoleName(x.org, "audit") })),
  fc.record({ kind: fc.constant("runtime"), org, env }).map((x) => ({ ...x, name: environmentRoleName(x.org, x.env, "runtime") })),
  fc.record({ kind: fc.constant("ddl"), org, env }).map((x) => ({ ...x, name: environmentRoleName(x.org, x.env, "ddl") })),
);

describe("naming", () => {
  it("derives the documented names", () => {
    expect(databaseName("acme")).toBe("tn_acme");
    expect(orgRoleName("acme", "owner")).toBe("tn_acme_owner");
    expect(environmentRoleName("acme-eu", "prod", "runtime")).toBe("tn_acme_eu_prod_runtime");
    expect(environmentRoleName("acme", "dev", "ddl")).toBe("tn_acme_dev_ddl");
    expect(schemaName("web-shop", "test")).toBe("web_shop_test");
  });

  it("never gives two different (kind, org, environment) the same role name, across orgs", () => {
    fc.assert(fc.property(clusterName, clusterName, (a, b) => {
      const same = a.kind === b.kind && a.org === b.org && a.env === b.env;
      expect(a.name === b.name).toBe(same);
    }), { numRuns: 2000 });
  });

  it("never gives two different (workspace, environment) the same schema name", () => {
    fc.assert(fc.property(workspace, env, workspace, env, (w1, e1, w2, e2) => {
      expect(schemaName(w1, e1) === schemaName(w2, e2)).toBe(w1 === w2 && e1 === e2);
    }), { numRuns: 2000 });
  });

  it("keeps the longest names the spec admits within Postgres' 63-byte limit", () => {
    const longestOrg = `a${"-b".repeat(15)}`; // 31 characters
    const longestEnv = "e".repeat(16);
    const longestWorkspace = "w".repeat(40);
    expect(orgSlug.parse(longestOrg)).toBe(longestOrg);
    expect(environmentSlug.parse(longestEnv)).toBe(longestEnv);
    for (const name of [
      databaseName(longestOrg),
      environmentRoleName(longestOrg, longestEnv, "runtime"),
      environmentRoleName(longestOrg, longestEnv, "ddl"),
      orgRoleName(longestOrg, "owner"),
      schemaName(longestWorkspace, longestEnv),
    ]) {
      expect(Buffer.byteLength(name)).toBeLessThanOrEqual(PG_IDENTIFIER_MAX_BYTES);
    }
  });

  it("refuses to generate an identifier Postgres would truncate", () => {
    expect(() => databaseName("x".repeat(70))).toThrowError(/is not a safe name of <= 63 bytes/);
  });

  it("quotes identifiers the way quote_ident does", () => {
    expect(quoteIdent("web_dev")).toBe('"web_dev"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });
});
