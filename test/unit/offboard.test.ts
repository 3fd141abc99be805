import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { EXIT_INVALID, EXIT_OK } from "../../cli/exit-codes";
import { markForOffboarding } from "../../cli/offboard-plan";
import { STACK_SCHEMA_MODELINE } from "../../harness/stack-file";
import { CliProject } from "../helpers/cli-project";
import { REPO_DIR } from "../helpers/local";

/* `tenantry offboard`: the built command in a scratch copy of the project's stacks/. */

const cli = new CliProject();
const project = cli.dir;
afterAll(() => cli.remove());
const tenantry = (...args: string[]) => cli.run(...args);
const stackText = (slug: string) => readFileSync(join(project, "stacks", `Pulumi.org-${slug}.yaml`), "utf8");
const ORIGINAL = { acme: stackText("acme"), globex: stackText("globex") };

describe("tenantry offboard", () => {
  it("adds the marker and nothing else, and the marked stack still passes tenantry check", () => {
    const marked = tenantry("offboard", "acme", "--requested-by", "ops@tenantry.example", "--reason", "contract ended on 2026-05-31", "--ticket", "OPS-1234");
    expect(marked.code).toBe(EXIT_OK);
    expect(stackText("acme")).toBe(ORIGINAL.acme.replace(/\n$/, "\n    offboarding:\n      requestedBy: ops@tenantry.example\n      reason: contract ended on 2026-05-31\n      ticket: OPS-1234\n"));
    const checked = tenantry("check", "org-acme", "--json");
    expect(checked.code).toBe(EXIT_OK);
    expect(JSON.parse(checked.stdout)).toMatchObject({ stack: "org-acme", violations: [] });
    expect(tenantry("validate", "org-acme").stdout).toContain("; marked for offboarding (requested by ops@tenantry.example)");
  });

  it("prints the steps: the pull request, what pulumi up then does, the final dump, the destroy, the pull request that deletes the file", () => {
    const { stdout } = tenantry("offboard", "globex", "--requested-by", "ops@tenantry.example", "--reason", "trial ended without a contract");
    expect(stdout.split("\n").filter((line) => /^\d\. /.test(line))).toEqual([
      "1. Open the pull request that marks it; it is reviewed like any change to the org:",
      "2. Once merged, promotion runs pulumi up for org-globex in the test ring (1 approval). It:",
      "3. Take the final dump, now that nothing can write, as a login that may read every schema (for example",
      "4. Destroy the stack: Pulumi forgets the database and everything in it, which stay on the server, and deletes the secrets and the KMS key with a 30-day recovery window:",
      "5. Open the pull request that deletes the stack file; its preview allows it because step 1 was merged first:",
    ]);
    expect(stdout).toContain("     - turns LOGIN off for tn_globex_dev_runtime, tn_globex_dev_ddl, tn_globex_prod_runtime, tn_globex_prod_ddl: nothing can connect or write any more");
    const connection = "host=pg.tenants.internal port=5432 dbname=tn_globex user=tenantry sslmode=require";
    expect(stdout).toContain([
      `     psql "${connection}" -c "GRANT tn_globex_audit TO CURRENT_USER"`,
      `     pg_dump "${connection}" --format=custom --file=tn_globex-final.dump`,
      `     psql "${connection}" -c "REVOKE tn_globex_audit FROM CURRENT_USER"`,
    ].join("\n"));
    expect(stdout).toContain("     pulumi destroy --stack org-globex");
    expect(stdout).toContain('     git rm stacks/Pulumi.org-globex.yaml && git commit -m "Remove org globex (offboarded)"');
  });

  it("refuses, writing nothing and leaving no draft: an org already marked, an unknown org, a bad slug, a bad requester or reason", () => {
    const before = readdirSync(join(project, "stacks")).map((f) => [f, stackText(f.replace(/^Pulumi\.org-|\.yaml$/g, ""))]);
    const ask = (slug: string, requestedBy = "ops@tenantry.example", reason = "contract ended on 2026-05-31") => tenantry("offboard", slug, "--requested-by", requestedBy, "--reason", reason);
    expect(ask("acme")).toMatchObject({ code: EXIT_INVALID, stderr: "error: org acme is already marked for offboarding (requested by ops@tenantry.example): the next steps are in docs/offboarding.md\n" });
    expect(ask("initech")).toMatchObject({ code: EXIT_INVALID, stderr: "error: no org initech: stacks/Pulumi.org-initech.yaml does not exist (run tenantry from the project root)\n" });
    expect(ask("../acme")).toMatchObject({ code: EXIT_INVALID, stderr: expect.stringContaining('error: slug "../acme" must be 2..31 characters') });
    writeFileSync(join(project, "stacks", "Pulumi.org-globex.yaml"), ORIGINAL.globex);
    expect(ask("globex", "Ops@Tenantry.example")).toMatchObject({ code: EXIT_INVALID, stderr: "error: tenantry:org.offboarding.requestedBy must be a lower-case e-mail address\n" });
    expect(ask("globex", "ops@tenantry.example", "done")).toMatchObject({ code: EXIT_INVALID, stderr: "error: tenantry:org.offboarding.reason must explain the offboarding in 10..500 characters\n" });
    expect(tenantry("offboard", "globex", "--reason", "contract ended").code).toBe(EXIT_INVALID);
    expect(stackText("globex")).toBe(ORIGINAL.globex);
    const after = readdirSync(join(project, "stacks")).map((f) => [f, stackText(f.replace(/^Pulumi\.org-|\.yaml$/g, ""))]);
    expect(after).toEqual(before.map(([f, text]) => (f === "Pulumi.org-globex.yaml" ? [f, ORIGINAL.globex] : [f, text])));
  });

  it("refuses an org whose break-glass is on: offboarding turns every login off", () => {
    const expiresAt = new Date(Date.now() + 3_600_000).toISOString();
    writeFileSync(join(project, "stacks", "Pulumi.org-globex.yaml"),
      `${ORIGINAL.globex}    breakGlass: { enabled: true, grantee: oncall@globex.example, reason: restore after incident 7, expiresAt: "${expiresAt}", environment: prod, access: read }\n`);
    const withBreakGlass = stackText("globex");
    expect(tenantry("validate", "org-globex").code).toBe(EXIT_OK);
    expect(tenantry("offboard", "globex", "--requested-by", "ops@tenantry.example", "--reason", "trial ended without a contract")).toMatchObject({
      code: EXIT_INVALID, stderr: "error: tenantry:org.breakGlass.enabled must be false while the org is marked for offboarding (offboarding turns every login off)\n",
    });
    expect(stackText("globex")).toBe(withBreakGlass);
  });
});

describe("the editor's schema line", () => {
  it("stays the first line of an offboarded stack file, spliced or re-rendered", () => {
    expect(ORIGINAL.acme.split("\n")[0]).toBe(STACK_SCHEMA_MODELINE);
    const marked = markForOffboarding(ORIGINAL.acme, { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31" });
    expect(marked.split("\n")[0]).toBe(STACK_SCHEMA_MODELINE);
    // The fallback when a layout cannot be spliced: the yaml library re-renders the document, comments included.
    expect(parseDocument(ORIGINAL.acme).toString().split("\n")[0]).toBe(STACK_SCHEMA_MODELINE);
  });
});

describe("the marker, spliced into a stack file (generated)", () => {
  const FLOW = readFileSync(join(REPO_DIR, "test", "fixtures", "secure", "flow-style-verify-full", "Pulumi.org-acme.yaml"), "utf8");
  const BARE_KEY = ORIGINAL.acme.replace("  tenantry:org:\n", "  org:\n");
  const marker = fc.record({
    requestedBy: fc.constantFrom("ops@tenantry.example", "a.b+c@x-y.example"),
    reason: fc.oneof(fc.string({ minLength: 10, maxLength: 500 }), fc.string({ minLength: 10, maxLength: 80, unit: "binary" }), fc.constantFrom("# not a comment: {x}", "line one\nline two", "  padded  ", "'quoted' \"twice\"", "- a list?")),
    ticket: fc.option(fc.stringMatching(/^[\x21-\x7e]{1,200}$/), { nil: undefined }),
  }).map(({ ticket, ...rest }) => (ticket === undefined ? rest : { ...rest, ticket }));

  it("keeps every original line, in order, and adds exactly the marker, in block, flow and bare-key files", () => {
    fc.assert(fc.property(fc.constantFrom(ORIGINAL.acme, FLOW, BARE_KEY), marker, (text, m) => {
      const marked = markForOffboarding(text, m);
      const org = (t: string) => {
        const config = (parseDocument(t).toJS() as { config: Record<string, Record<string, unknown>> }).config;
        return config["tenantry:org"] ?? config["org"];
      };
      expect(org(marked)).toEqual({ ...org(text), offboarding: m });
      if (text !== FLOW) {
        // Block files: the marker's lines are inserted; no original line is changed.
        const originalLines = text.split("\n");
        const markedLines = marked.split("\n");
        let i = 0;
        for (const line of markedLines) if (line === originalLines[i]) i += 1;
        expect(i).toBe(originalLines.length);
      }
    }), { numRuns: 300 });
  });
});
