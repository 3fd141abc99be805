import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { deletedStacks } from "../../cli/changed-stacks";
import { judgeDeletion, judgeMarkedChange } from "../../cli/deletion-check";
import { EXIT_INVALID, EXIT_OK } from "../../cli/exit-codes";
import { CliProject } from "../helpers/cli-project";
import { REPO_DIR } from "../helpers/local";
import { NOW } from "../helpers/spec-builder";

/*
 * The offboarding gate, as the stack-file author who would break it: a pull request to stacks/
 * that deletes an org's stack file is refused unless the file on the base branch carries the
 * offboarding marker, as the program reads it. Generated change sets and generated near-markers,
 * then the built CLI in a real git repository.
 */

const ACME = readFileSync(join(REPO_DIR, "stacks", "Pulumi.org-acme.yaml"), "utf8");
const MARKER = { requestedBy: "ops@tenantry.example", reason: "contract ended on 2026-05-31", ticket: "OPS-1234" };

/** The acme stack file with `value` set at `path` (a YAML path from the document's root). */
function acmeWith(path: (string | number)[], value: unknown): string {
  const doc = parseDocument(ACME);
  doc.setIn(path, value);
  return doc.toString();
}
const ORG = ["config", "tenantry:org"];
const ACME_ORG = (parseDocument(ACME).toJS() as { config: Record<string, Record<string, unknown>> }).config["tenantry:org"];
const judge = (text: string | undefined, path = "stacks/Pulumi.org-acme.yaml") => judgeDeletion({ stack: "org-acme", path, baseText: text }, "main", NOW);

describe("which stacks a change deletes (generated change sets)", () => {
  /** What a pull request can do to one existing stack file. */
  const OPS = ["keep", "modify", "delete", "to-yml", "to-other-stack", "out-of-stacks", "into-subfolder"] as const;
  const changeSet = fc.record({
    before: fc.subarray(["org-a", "org-b", "org-c", "org-d"], { minLength: 1 }),
    ops: fc.array(fc.constantFrom(...OPS), { minLength: 4, maxLength: 4 }),
    added: fc.subarray(["org-e", "org-a-2"]),
  });

  it("reports exactly the stacks that existed before and do not after, whatever the renames", () => {
    fc.assert(fc.property(changeSet, ({ before, ops, added }) => {
      const beforePaths = new Map(before.map((s) => [`stacks/Pulumi.${s}.yaml`, "v1"]));
      const after = new Map<string, string>();
      before.forEach((stack, i) => {
        const path = `stacks/Pulumi.${stack}.yaml`;
        const op = ops[i] ?? "keep";
        if (op === "keep") after.set(path, "v1");
        if (op === "modify") after.set(path, "v2");
        if (op === "to-yml") after.set(`stacks/Pulumi.${stack}.yml`, "v1");
        if (op === "to-other-stack") after.set(`stacks/Pulumi.${stack}-renamed.yaml`, "v1");
        if (op === "out-of-stacks") after.set(`archive/Pulumi.${stack}.yaml`, "v1");
        if (op === "into-subfolder") after.set(`stacks/old/Pulumi.${stack}.yaml`, "v1");
      });
      for (const stack of added) after.set(`stacks/Pulumi.${stack}.yaml`, "v1");
      // git diff --no-renames --name-only: every path whose presence or content differs.
      const changed = [...new Set([...beforePaths.keys(), ...after.keys()])].filter((p) => beforePaths.get(p) !== after.get(p));
      // What orgStackFiles finds in stacks/ afterwards (directly in it, org-* names only).
      const existingAfter = [...after.keys()].flatMap((p) => /^stacks\/Pulumi\.(org-[a-z0-9-]+)\.ya?ml$/.exec(p)?.[1] ?? []);
      const expected = before.filter((s) => !existingAfter.includes(s)).sort();
      expect(deletedStacks(changed, existingAfter)).toEqual(expected);
    }), { numRuns: 500 });
  });
});

describe("whether a deleted stack file was marked for offboarding on the base", () => {
  it("allows a file that carries the marker, naming who asked", () => {
    expect(judge(acmeWith([...ORG, "offboarding"], MARKER))).toEqual({
      stack: "org-acme", allowed: true, why: "may be deleted: marked for offboarding on main (requested by ops@tenantry.example, ticket OPS-1234)",
    });
  });

  it("refuses an unmarked file, naming the org and what to do", () => {
    expect(judge(ACME)).toEqual({
      stack: "org-acme", allowed: false,
      message: "stacks/Pulumi.org-acme.yaml is deleted, but org acme is not marked for offboarding on main. Offboard it first: run " +
        "`npx tenantry offboard acme --requested-by <email> --reason <text>`, merge that pull request and let its pulumi up revoke the edge, " +
        "then delete the stack file in a later pull request (docs/offboarding.md).",
    });
  });

  it("allows a file the base no longer has: merging it deletes nothing", () => {
    expect(judge(undefined)).toMatchObject({ allowed: true, why: "may be deleted: stacks/Pulumi.org-acme.yaml is already gone on main, so merging deletes nothing" });
  });

  /** Valid markers: any requester address, any reason of 10..500 characters, any ticket. */
  const validMarker = fc.record({
    requestedBy: fc.tuple(fc.stringMatching(/^[a-z0-9._%+-]{1,20}$/), fc.stringMatching(/^[a-z0-9]{1,10}$/)).map(([local, domain]) => `${local}@${domain}.example`),
    reason: fc.string({ minLength: 10, maxLength: 500 }),
    ticket: fc.option(fc.stringMatching(/^[\x21-\x7e]{1,200}$/), { nil: undefined }),
  }).map(({ ticket, ...rest }) => (ticket === undefined ? rest : { ...rest, ticket }));

  it("allows every valid marker, whatever its text (generated)", () => {
    fc.assert(fc.property(validMarker, (marker) => {
      const verdict = judge(acmeWith([...ORG, "offboarding"], marker));
      expect(verdict).toMatchObject({ allowed: true, why: expect.stringContaining(marker.requestedBy) });
    }), { numRuns: 200 });
  });

  /** Every way a file can mention offboarding without being marked as the program reads it. */
  const nearMarker = fc.oneof(
    validMarker.map((m) => `${ACME}# offboarding: ${JSON.stringify(m)}\n`),
    validMarker.map((m) => acmeWith(["offboarding"], m)),
    validMarker.map((m) => acmeWith(["config", "tenantry:offboarding"], m)),
    validMarker.map((m) => acmeWith(["config", "offboarding"], m)),
    validMarker.map((m) => acmeWith([...ORG, "apps", 0, "offboarding"], m)),
    validMarker.map((m) => acmeWith([...ORG, "Offboarding"], m)),
    validMarker.map((m) => acmeWith([...ORG, "breakGlass", "offboarding"], m)),
    validMarker.map((m) => acmeWith([...ORG, "offboarding"], { ...m, reason: "short" })),
    validMarker.map((m) => acmeWith([...ORG, "offboarding"], { ...m, requestedBy: "Ops@Tenantry.example" })),
    validMarker.map((m) => acmeWith([...ORG, "offboarding"], { ...m, approvedBy: m.requestedBy })),
    validMarker.map((m) => acmeWith([...ORG, "offboarding"], { reason: m.reason })),
    // Another org's marked file, renamed over this org's path.
    validMarker.map((m) => acmeWith(ORG, { ...ACME_ORG, slug: "globex", offboarding: m })),
    fc.constantFrom(true, "yes", 1, {}, [], null).map((v) => acmeWith([...ORG, "offboarding"], v)),
    validMarker.map((m) => `${acmeWith([...ORG, "offboarding"], m)}\n  : not yaml [`),
  );

  it("refuses every near-marker: a comment, another key or place, a marker the spec refuses, another org's file (generated)", () => {
    fc.assert(fc.property(nearMarker, (text) => {
      expect(judge(text)).toMatchObject({ allowed: false, message: expect.stringContaining("npx tenantry offboard acme") });
    }), { numRuns: 400 });
  });
});

describe("what a change may do to an org marked for offboarding", () => {
  const ENVIRONMENTS = ["dev", "test", "prod"];
  const WORKSPACES = ["web", "billing"];
  // Apps, secrets, key slots, webhooks and integrations go with the edge while offboarding; dropping them keeps the file valid whatever remains.
  const marked = (environments: string[], workspaces: string[]) =>
    acmeWith(ORG, { ...ACME_ORG, environments, workspaces: workspaces.map((slug) => ({ slug })), apps: [], secrets: [], apiKeys: [], webhooks: [], integrations: [], offboarding: MARKER });
  const judgeChange = (headText: string, baseText: string | undefined) =>
    judgeMarkedChange({ stack: "org-acme", path: "stacks/Pulumi.org-acme.yaml", baseText, headText }, "main", NOW);

  it("refuses a marker that comes with a removed environment or workspace, in the marker's change or after it (generated)", () => {
    fc.assert(fc.property(fc.subarray(ENVIRONMENTS, { minLength: 1 }), fc.subarray(WORKSPACES, { minLength: 1 }), fc.boolean(), (environments, workspaces, baseMarked) => {
      const base = baseMarked ? marked(ENVIRONMENTS, WORKSPACES) : ACME;
      const removed = ENVIRONMENTS.length - environments.length + WORKSPACES.length - workspaces.length;
      const verdict = judgeChange(marked(environments, workspaces), base);
      expect(verdict?.allowed).toBe(removed === 0);
      if (verdict?.allowed === false) {
        for (const env of ENVIRONMENTS.filter((e) => !environments.includes(e))) expect(verdict.message).toContain(`environment ${env}`);
        for (const ws of WORKSPACES.filter((w) => !workspaces.includes(w))) expect(verdict.message).toContain(`workspace ${ws}`);
      }
    }), { numRuns: 200 });
  });

  it("says nothing of an org that is not marked, or a file the base does not have", () => {
    expect(judgeChange(acmeWith([...ORG, "environments"], ["test", "prod"]).replace(/scope: dev/g, "scope: test").replace("acme/dev/db", "acme/test/db"), ACME)).toBeUndefined();
    expect(judgeChange(marked(["prod"], ["web"]), undefined)).toBeUndefined();
  });
});

describe("tenantry check-deletions and changed-stacks in a git repository", () => {
  // A copy of the project's stacks/, made a git repository by the first test.
  const cli = new CliProject();
  const scratch = cli.dir;
  afterAll(() => cli.remove());
  const { git } = cli;
  const tenantry = (...args: string[]) => cli.run(...args);
  const stackFile = (stack: string) => join(scratch, "stacks", `Pulumi.${stack}.yaml`);

  it("refuses deleting an unmarked org's stack file (exit 2), naming the org and what to do; changed-stacks reports the deletion", () => {
    git("init", "-q", "-b", "main");
    git("add", ".");
    git("commit", "-q", "-m", "two orgs");
    git("checkout", "-q", "-b", "delete-acme");
    git("rm", "-q", "stacks/Pulumi.org-acme.yaml");
    git("commit", "-q", "-m", "delete acme");
    const refused = tenantry("check-deletions", "--base", "main");
    expect(refused.code).toBe(EXIT_INVALID);
    expect(refused.stderr).toBe("error: org-acme: refused: stacks/Pulumi.org-acme.yaml is deleted, but org acme is not marked for offboarding on main. " +
      "Offboard it first: run `npx tenantry offboard acme --requested-by <email> --reason <text>`, merge that pull request and let its pulumi up revoke the edge, " +
      "then delete the stack file in a later pull request (docs/offboarding.md).\n");
    expect(JSON.parse(tenantry("changed-stacks", "--base", "main", "--json").stdout)).toEqual({ stacks: [], deleted: ["org-acme"] });
    const text = tenantry("changed-stacks", "--base", "main");
    expect([text.stdout, text.stderr]).toEqual(["", "deleted: org-acme (its stack file is gone; tenantry check-deletions decides whether the change may delete it)\n"]);
  });

  it("refuses a marker added by the deleting pull request itself: the base must already carry it", () => {
    git("checkout", "-q", "-B", "mark-and-delete", "main");
    writeFileSync(stackFile("org-acme"), acmeWith([...ORG, "offboarding"], MARKER));
    git("commit", "-q", "-am", "mark acme");
    git("rm", "-q", "stacks/Pulumi.org-acme.yaml");
    git("commit", "-q", "-m", "delete acme");
    expect(tenantry("check-deletions", "--base", "main")).toMatchObject({ code: EXIT_INVALID, stderr: expect.stringContaining("org acme is not marked for offboarding on main") });
  });

  it("allows the deletion once the marker was merged in an earlier change", () => {
    git("checkout", "-q", "main");
    writeFileSync(stackFile("org-acme"), acmeWith([...ORG, "offboarding"], MARKER));
    git("commit", "-q", "-am", "Mark org acme for offboarding");
    git("checkout", "-q", "-b", "remove-acme");
    git("rm", "-q", "stacks/Pulumi.org-acme.yaml");
    git("commit", "-q", "-m", "Remove org acme");
    expect(tenantry("check-deletions", "--base", "main")).toMatchObject({
      code: EXIT_OK, stderr: "", stdout: "org-acme: may be deleted: marked for offboarding on main (requested by ops@tenantry.example, ticket OPS-1234)\n",
    });
  });

  it("refuses a marker that removes an environment in the same change, naming it", () => {
    git("checkout", "-q", "-B", "mark-and-shrink", "main~1");
    writeFileSync(stackFile("org-acme"), acmeWith(ORG, { ...ACME_ORG, environments: ["test", "prod"], apps: [], secrets: [], apiKeys: [], webhooks: [], integrations: [], offboarding: MARKER }));
    git("commit", "-q", "-am", "mark acme, drop dev");
    const refused = tenantry("check-deletions", "--base", "main~1");
    expect(refused.code).toBe(EXIT_INVALID);
    expect(refused.stderr).toContain("marks org acme for offboarding but removes environment dev");
  });

  it("sees a rename to another stack's name as a deletion, and a .yaml -> .yml rename as none", () => {
    git("checkout", "-q", "-B", "rename-globex", "main");
    renameSync(stackFile("org-globex"), join(scratch, "stacks", "Pulumi.org-globex2.yaml"));
    git("add", "-A");
    git("commit", "-q", "-m", "rename globex");
    expect(tenantry("check-deletions", "--base", "main")).toMatchObject({ code: EXIT_INVALID, stderr: expect.stringContaining("org globex is not marked for offboarding") });
    git("checkout", "-q", "-B", "yml-globex", "main");
    renameSync(stackFile("org-globex"), join(scratch, "stacks", "Pulumi.org-globex.yml"));
    git("add", "-A");
    git("commit", "-q", "-m", "globex as .yml");
    expect(tenantry("check-deletions", "--base", "main")).toMatchObject({ code: EXIT_OK, stderr: "", stdout: "no org stack file is deleted by this change, and no org marked for offboarding is changed\n" });
  });

  it("refuses to judge without a base it can read: an unknown ref, or a first push", () => {
    expect(tenantry("check-deletions", "--base", "no-such-ref").code).toBe(EXIT_INVALID);
    expect(tenantry("check-deletions", "--base", "0".repeat(40))).toMatchObject({ code: EXIT_INVALID, stderr: expect.stringContaining("needs the base commit") });
  });
});
