import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { collidingSlug } from "../../cli/onboard-plan";
import { EXIT_INVALID, EXIT_OK } from "../../cli/exit-codes";
import { readStackFile, STACK_SCHEMA_MODELINE } from "../../harness/stack-file";
import { CliProject } from "../helpers/cli-project";

/* `tenantry onboard`, the built command in a scratch copy of the project's stacks/. */

const cli = new CliProject();
const project = cli.dir;
afterAll(() => cli.remove());
const tenantry = (...args: string[]) => cli.run(...args);

describe("tenantry onboard", () => {
  it("writes a stack file that passes tenantry check, and prints the pull request to open", () => {
    const written = tenantry("onboard", "initech", "--workspaces", "web,api", "--environments", "dev,prod", "--tier", "sandbox");
    expect(written.code).toBe(EXIT_OK);
    expect(written.stdout).toContain("wrote stacks/Pulumi.org-initech.yaml: org initech, sandbox tier, environments dev -> prod, workspaces web, api");
    expect(written.stdout).toContain("git checkout -b onboard-initech");
    expect(readFileSync(join(project, "stacks", "Pulumi.org-initech.yaml"), "utf8").split("\n")[0]).toBe(STACK_SCHEMA_MODELINE);
    expect(written.stdout).toContain("then creates and deploys it in the test ring (1 approval)");
    const checked = tenantry("check", "org-initech", "--json");
    expect(checked.code).toBe(EXIT_OK);
    expect(JSON.parse(checked.stdout)).toMatchObject({ stack: "org-initech", violations: [] });
  });

  it("puts the new org in the template's Cloudflare account and its one Secrets Store, and says so", () => {
    const written = tenantry("onboard", "vandelay", "--like", "org-globex");
    expect(written.code).toBe(EXIT_OK);
    expect(written.stdout).toContain("edge: Cloudflare account 0123456789abcdef0123456789abcdef, in its Secrets Store fedcba9876543210fedcba9876543210 (the platform stack's, one per account: pulumi stack output secretsStoreIds in platform/)");
    const org = JSON.parse(readStackFile(join(project, "stacks", "Pulumi.org-vandelay.yaml")).values["tenantry:org"] ?? "{}") as { edge?: Record<string, unknown> };
    expect([org.edge?.["accountId"], org.edge?.["secretsStoreId"]]).toEqual(["0123456789abcdef0123456789abcdef", "fedcba9876543210fedcba9876543210"]);
  });

  it("defaults to a production org with dev, test and prod and one workspace", () => {
    expect(tenantry("onboard", "hooli").code).toBe(EXIT_OK);
    expect(tenantry("validate", "org-hooli").stdout).toContain("org hooli, production tier, environments dev -> test -> prod, workspaces 1");
  });

  it("refuses an existing slug and one that extends or is extended by another, writing nothing", () => {
    const before = readdirSync(join(project, "stacks")).sort();
    expect(tenantry("onboard", "acme")).toMatchObject({ code: EXIT_INVALID, stderr: expect.stringContaining("error: org acme already exists") });
    expect(tenantry("onboard", "acme-eu")).toMatchObject({ code: EXIT_INVALID, stderr: expect.stringContaining("acme-eu collides with org acme") });
    expect(tenantry("onboard", "glob")).toMatchObject({ code: EXIT_OK });
    expect(tenantry("onboard", "glob-x")).toMatchObject({ code: EXIT_INVALID });
    expect(readdirSync(join(project, "stacks")).sort()).toEqual([...before, "Pulumi.org-glob.yaml"].sort());
  });

  it("refuses an invalid slug or workspace with the field named, and leaves no draft behind", () => {
    expect(tenantry("onboard", "../evil")).toMatchObject({ code: EXIT_INVALID, stderr: expect.stringContaining('slug "../evil" must be 2..31 characters') });
    expect(tenantry("onboard", "umbrella", "--workspaces", "pg-internal")).toMatchObject({ code: EXIT_INVALID, stderr: expect.stringContaining("tenantry:org.workspaces[0].slug must not be pg") });
    expect(tenantry("onboard", "umbrella", "--tier", "gold").code).toBe(EXIT_INVALID);
    expect(existsSync(join(project, "stacks", "Pulumi.org-umbrella.yaml"))).toBe(false);
    expect(readdirSync(join(project, "stacks")).filter((f) => f.startsWith("."))).toEqual([]);
  });
});

describe("colliding slugs", () => {
  it.each([
    ["acme", ["acme"], "acme"], ["acme-dev", ["acme"], "acme"], ["acme", ["acme-dev"], "acme-dev"],
    ["acmecorp", ["acme"], undefined], ["globex", ["acme", "initech"], undefined],
  ] as const)("%s among %j -> %s", (slug, existing, clash) => expect(collidingSlug(slug, existing)).toBe(clash));
});
