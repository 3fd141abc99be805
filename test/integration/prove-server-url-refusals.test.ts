import { readFileSync, writeFileSync } from "node:fs";
import { describe, expect, inject, it } from "vitest";
import { EXIT_INVALID } from "../../cli/exit-codes";
import { localPaths } from "../../local/paths";
import type { ServerInfo } from "../../local/server";
import { runTenantry, type Finished } from "../helpers/cli-project";
import { writeStackFile } from "../helpers/local";

/*
 * What `tenantry prove <stack> --server-url` refuses, before any claim is read: a superuser's
 * login, a login other than the stack's provider login, a password the server refuses, and URLs
 * it cannot take. Each exits 2 naming --server-url, and never prints a password. Run against the
 * test run's shared server: every case is refused before a catalog is read, so none changes it.
 */

const dir = inject("localDir");
const paths = localPaths(dir);
const server = JSON.parse(readFileSync(paths.serverFile, "utf8")) as ServerInfo;
const providerPassword = (JSON.parse(readFileSync(paths.providerAdminsFile, "utf8")) as Record<string, string>)["tenantry"] ?? "";

const ORG = { slug: "refuseco", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: ["refuseco.example"] };
const stackFile = writeStackFile(ORG);
const serverUrl = (user: string) => `postgres://${user}@127.0.0.1:${server.port}/postgres`;

function proveServer(stack: string, url: string, password: string): Finished {
  return runTenantry(dir, ["prove", stack, "--server-url", url], { ...process.env, PGPASSWORD: password });
}

describe("what --server-url refuses", () => {
  it("a superuser's login: exit 2 before any claim is read, without printing the password", () => {
    // A stack whose provider login is the server's superuser: valid as a stack, refused as a proof.
    const asSuperuser = writeStackFile({ ...ORG, slug: "refusesu" });
    writeFileSync(asSuperuser, readFileSync(asSuperuser, "utf8").replace("postgresql:username: tenantry", "postgresql:username: postgres"));
    expect(readFileSync(asSuperuser, "utf8")).toContain("postgresql:username: postgres");
    const refused = proveServer(asSuperuser, serverUrl("postgres"), server.password);
    expect(refused.code).toBe(EXIT_INVALID);
    expect(refused.stdout).toBe("");
    expect(refused.stderr).toMatch(/^error: --server-url logs in as postgres, a superuser: /);
    expect(refused.out).not.toContain(server.password);
  });

  it("a login other than the stack's provider login: exit 2, naming both", () => {
    const refused = proveServer(stackFile, serverUrl("postgres"), server.password);
    expect(refused.code).toBe(EXIT_INVALID);
    expect(refused.stderr).toMatch(/^error: --server-url must log in as the stack's provider login tenantry \(postgresql:username\), not postgres/);
    expect(refused.out).not.toContain(server.password);
  });

  it("a wrong password: exit 2, the server's refusal, never the password", () => {
    const refused = proveServer(stackFile, serverUrl("tenantry"), "not-the-password-4f7a");
    expect(refused.code).toBe(EXIT_INVALID);
    expect(refused.stderr).toMatch(/^error: could not connect to --server-url postgres:\/\/tenantry@127\.0\.0\.1:\d+\/postgres as tenantry: 28P01/);
    expect(refused.out).not.toContain("not-the-password-4f7a");
  });

  it.each([
    ["not a URL", "pg.example.internal:5432", /^error: --server-url must be a URL: postgres:\/\/<login>@<host>:<port>\/<database>/],
    ["another scheme", "https://tenantry@pg.example.internal/postgres", /^error: --server-url must start with postgres:\/\/ or postgresql:\/\/ \(got https:\)/],
    ["no login", "postgres://pg.example.internal/postgres", /^error: --server-url must name the login: postgres:\/\/<login>@<host>/],
    ["an unknown parameter", "postgres://tenantry@pg.example.internal/postgres?sslcert=x.pem", /^error: --server-url takes no parameter but sslmode \(got sslcert\)/],
    ["a password in the URL, shown only redacted", "postgres://tenantry:hunter2-secret@pg.example.internal/postgres?application_name=x", /^error: --server-url takes no parameter but sslmode \(got application_name\)/],
    ["no TLS to a host that is not loopback", "postgres://tenantry@pg.example.internal/postgres?sslmode=disable", /^error: --server-url asks for sslmode=disable, but pg\.example\.internal is not a loopback address: TLS is required/],
  ])("a URL with %s: exit 2, naming --server-url", (_case, url, message) => {
    const refused = proveServer(stackFile, url, providerPassword);
    expect(refused.code).toBe(EXIT_INVALID);
    expect(refused.stderr).toMatch(message);
    expect(refused.out).not.toContain("hunter2-secret");
    expect(refused.out).not.toContain(providerPassword);
  });

  it("--server-url with --local: exit 2", () => {
    const refused = runTenantry(dir, ["prove", stackFile, "--local", "--server-url", serverUrl("tenantry")]);
    expect(refused.code).toBe(EXIT_INVALID);
    expect(refused.stderr).toMatch(/--local and --server-url/);
  });
});
