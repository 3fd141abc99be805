import { describe, expect, it } from "vitest";
import { decide, grantCovers, type OrgPolicy, type Subject } from "../../workers/lib/access-policy";

/* The access policy evaluator, table-driven; the first rows are the seed examples. */

const POLICY: OrgPolicy = {
  org: "acme",
  environments: ["dev", "test", "prod"],
  apps: [
    { slug: "app-web", workspace: "web", access: { minRole: "viewer" } },
    { slug: "storefront", workspace: "web", access: { minRole: "developer" } },
    { slug: "finance-console", workspace: "billing", access: { users: ["cfo@acme.com"] } },
    { slug: "invoices", workspace: "billing", access: { workspaceMembers: true } },
    { slug: "admin-panel", workspace: "web", access: { editorsOnly: true } },
  ],
  roles: [
    { name: "maintainer", base: "developer", permissions: ["deploy.preview", "logs.*"] },
    { name: "release-manager", base: "viewer", permissions: ["deploy.*"] },
    { name: "auditor", base: "viewer", permissions: [] },
  ],
};

const subject = (role: string, extra: Partial<Subject> = {}): Subject => ({ email: `${role}@acme.com`, org: "acme", role, workspaces: ["web"], ...extra });

describe("decide(subject, action, resource)", () => {
  it.each([
    // The seeds' examples.
    ["developer", "deploy.production", "project/app-web", false, "role developer is not granted deploy.production"],
    ["maintainer", "deploy.preview", "project/app-web", true, "role maintainer holds deploy.preview"],
    ["viewer", "logs.read", "runtime/app-web", true, "role viewer holds logs.read"],
    ["developer", "secret.write", "production", false, "role developer is not granted secret.write"],
    // Role hierarchy: each role holds what those below it hold.
    ["admin", "deploy.production", "project/app-web", true, "role admin holds deploy.*"],
    ["admin", "secret.write", "production", true, "role admin holds secret.*"],
    ["admin", "member.remove", "production", false, "role admin is not granted member.remove"],
    ["owner", "member.remove", "env/prod", true, "role owner holds *"],
    ["developer", "logs.read", "runtime/storefront", true, "role developer holds logs.read"],
    // Custom roles: prefix wildcard, and a base role's grants underneath.
    ["release-manager", "deploy.production", "project/storefront", true, "role release-manager holds deploy.*"],
    ["release-manager", "secret.read", "production", false, "role release-manager is not granted secret.read"],
    ["auditor", "logs.read", "runtime/app-web", true, "role auditor holds logs.read"],
    // Unknown anything is denied.
    ["intern", "logs.read", "runtime/app-web", false, "unknown role intern"],
    ["owner", "db.drop", "production", false, "unknown action db.drop"],
    ["owner", "logs.read", "runtime/unknown-app", false, "unknown resource runtime/unknown-app"],
    ["owner", "logs.read", "env/staging", false, "unknown resource env/staging"],
    ["owner", "logs.read", "cluster/app-web", false, "unknown resource cluster/app-web"],
    ["owner", "logs.read", "runtime/app-web/extra", false, "unknown resource runtime/app-web/extra"],
    ["owner", "logs.read", "", false, "unknown resource "],
  ] as const)("%s %s on %s -> %s", (role, action, resource, allowed, reason) => {
    expect(decide(POLICY, subject(role), action, resource)).toEqual({ allow: allowed, reason });
  });

  it.each([
    // minRole
    ["viewer", {}, "storefront", false, "storefront needs role developer or above"],
    ["developer", {}, "storefront", true, "role developer meets storefront's minimum developer"],
    ["maintainer", {}, "storefront", true, "role developer meets storefront's minimum developer"],
    ["auditor", {}, "storefront", false, "storefront needs role developer or above"],
    // named users, case-insensitively, and nobody else however senior
    ["viewer", { email: "CFO@acme.com" }, "finance-console", true, "cfo@acme.com is named by finance-console"],
    ["owner", {}, "finance-console", false, "finance-console admits only its named users"],
    // workspace members
    ["viewer", { workspaces: ["billing"] }, "invoices", true, "member of workspace billing"],
    ["admin", { workspaces: ["web"] }, "invoices", false, "invoices admits only members of workspace billing"],
    // editors only
    ["developer", {}, "admin-panel", true, "role developer is an editor"],
    ["viewer", {}, "admin-panel", false, "admin-panel admits editors only"],
  ] as const)("%s (%j) invoking %s -> %s", (role, extra, app, allowed, reason) => {
    expect(decide(POLICY, subject(role, extra), "app.invoke", `app/${app}`)).toEqual({ allow: allowed, reason });
  });

  it("denies a subject of another org, whatever its role", () => {
    expect(decide(POLICY, subject("owner", { org: "globex" }), "app.read", "app/app-web")).toEqual({ allow: false, reason: "subject belongs to org globex, not acme" });
  });

  it("reads grant patterns as *, prefix wildcard or exact, and nothing looser", () => {
    expect([grantCovers("*", "deploy.preview"), grantCovers("deploy.*", "deploy.preview"), grantCovers("deploy.preview", "deploy.preview")]).toEqual([true, true, true]);
    expect([grantCovers("deploy.*", "deployment.x"), grantCovers("deploy", "deploy.preview"), grantCovers("deploy.pre", "deploy.preview"), grantCovers("deploy.*", "deploy")]).toEqual([false, false, false, false]);
  });
});
