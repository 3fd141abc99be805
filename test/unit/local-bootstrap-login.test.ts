import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { EXIT_INVALID, EXIT_OK } from "../../cli/exit-codes";
import { localLoginProblems } from "../../local/provider-admin";
import { BOOTSTRAP_SUPERUSER } from "../../local/server";
import { CliProject } from "../helpers/cli-project";

/*
 * The embedded server's own superuser is called postgres. A stack whose provider login has that
 * name (legitimate on RDS, where it is the master user) would have the local engine try to turn
 * the bootstrap superuser into the provider's login: Postgres refuses, and the statement, with
 * its generated password, used to reach the server's log. The local engine refuses such a stack
 * before it touches anything.
 */

describe("the provider login the local engine accepts", () => {
  it("is any name but the bootstrap superuser's (generated)", () => {
    const platformForm = fc.oneof(fc.stringMatching(/^[a-z0-9]{1,20}$/), fc.constant(BOOTSTRAP_SUPERUSER), fc.constantFrom("postgres1", "postgre", "tenantry"));
    fc.assert(fc.property(platformForm, (login) => {
      const problems = localLoginProblems(login);
      expect(problems.length > 0).toBe(login === BOOTSTRAP_SUPERUSER);
    }));
  });

  it("names the field and what to use instead", () => {
    expect(localLoginProblems(BOOTSTRAP_SUPERUSER)).toEqual([{
      field: "postgresql:username",
      message: "postgresql:username must not be postgres with --local: the embedded server's own superuser has that name; use another login name (e.g. tenantry) for the local engine",
    }]);
  });
});

describe("tenantry up --local with postgresql:username postgres", () => {
  const ORG = { slug: "bootco", tier: "sandbox", environments: ["dev"], workspaces: [{ slug: "web" }], claimedDomains: ["bootco.example"] };
  const cli = new CliProject([ORG]);
  afterAll(() => cli.remove());
  const stackFile = join(cli.dir, "stacks", "Pulumi.org-bootco.yaml");
  writeFileSync(stackFile, readFileSync(stackFile, "utf8").replace("postgresql:username: tenantry", "postgresql:username: postgres"));

  it("is refused in one line with exit 2, before a server or any state exists", () => {
    for (const command of [["up", "--local", "org-bootco"], ["prove", "--local", "org-bootco"]]) {
      const refused = cli.run(...command);
      expect(refused).toMatchObject({ code: EXIT_INVALID, stdout: "", stderr: `error: ${localLoginProblems(BOOTSTRAP_SUPERUSER)[0]?.message}\n` });
    }
    expect(cli.exists(".tenantry") ? readdirSync(cli.paths.root) : []).toEqual([]);
  });

  it("is still a valid stack: on a managed server postgres is a legitimate master user", () => {
    expect(cli.run("validate", "org-bootco").code).toBe(EXIT_OK);
  });
});
