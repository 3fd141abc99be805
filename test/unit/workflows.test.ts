import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { changedStacks } from "../../cli/changed-stacks";
import { buildCli } from "../../cli/main";
import { CliProject } from "../helpers/cli-project";
import { REPO_DIR } from "../helpers/local";

/*
 * The GitHub workflows: they parse, every action is pinned by commit, permissions are least
 * privilege, forks never get secrets, and every tenantry command they call exists and works.
 */

const DIR = join(REPO_DIR, ".github", "workflows");
const files = readdirSync(DIR).filter((f) => f.endsWith(".yml"));
const text = (file: string) => readFileSync(join(DIR, file), "utf8");
type Step = { uses?: string; run?: string; with?: Record<string, unknown> };
type Job = { permissions?: Record<string, string>; steps?: Step[]; uses?: string; if?: string; environment?: string; concurrency?: { group: string } };
const workflow = (file: string) => parse(text(file)) as { on: Record<string, unknown>; permissions?: unknown; jobs: Record<string, Job> };

describe("the workflows", () => {
  it("are preview, its comment, promote and the stage they call", () => {
    expect(files.sort()).toEqual(["preview-comment.yml", "preview.yml", "promote.yml", "stage.yml"]);
  });

  it("comment a fork's check report from the base repository, running none of its code", () => {
    const wf = workflow("preview-comment.yml");
    expect(Object.keys(wf.on)).toEqual(["workflow_run"]);
    const steps = wf.jobs["comment"]?.steps ?? [];
    expect(steps.map((s) => s.uses?.split("@")[0])).toEqual(["actions/download-artifact", "actions/github-script"]);
    expect(steps.some((s) => s.uses?.startsWith("actions/checkout"))).toBe(false);
    expect(String(steps[1]?.with?.["script"])).toContain("pull.head.sha !== process.env.CHECKED_SHA");
    expect(Object.keys(workflow("preview.yml").jobs["check"]?.permissions ?? {})).toEqual(["contents"]);
  });

  it.each(files)("%s: no pull_request_target, no default permissions, every job granting its own", (file) => {
    const wf = workflow(file);
    expect(Object.keys(wf.on)).not.toContain("pull_request_target");
    expect(wf.permissions).toEqual({});
    for (const [name, job] of Object.entries(wf.jobs)) {
      expect(job.permissions, `${file}: job ${name}`).toBeDefined();
      const writes = Object.entries(job.permissions ?? {}).filter(([, level]) => level === "write").map(([scope]) => scope);
      expect(writes.every((scope) => scope === "pull-requests"), `${file}: job ${name} writes ${writes.join(", ")}`).toBe(true);
      // Only the base repository's own comment job may write to pull requests of a fork's run.
      if (writes.length > 0) expect(`${file}:${name}`).toMatch(/^(preview-comment\.yml:comment|preview\.yml:preview)$/);
    }
  });

  it.each(files)("%s: every action pinned by a full commit SHA with its version beside it, and no persisted git credentials", (file) => {
    const uses = [...text(file).matchAll(/uses: (\S+)(.*)$/gm)].map(([, target, rest]): [string, string] => [target ?? "", rest ?? ""]);
    expect(uses.length).toBeGreaterThan(0);
    for (const [target, rest] of uses) {
      if (target.startsWith("./")) {
        expect(existsSync(join(REPO_DIR, target)), target).toBe(true);
        continue;
      }
      expect(target, target).toMatch(/^[\w-]+\/[\w-]+@[0-9a-f]{40}$/);
      expect(rest, target).toMatch(/# v\d+\.\d+\.\d+$/);
    }
    for (const job of Object.values(workflow(file).jobs)) {
      for (const step of job.steps ?? []) {
        if (step.uses?.startsWith("actions/checkout@")) expect(step.with?.["persist-credentials"]).toBe(false);
      }
    }
  });

  it("run pulumi preview only where secrets exist, never for a fork's pull request", () => {
    const { preview } = workflow("preview.yml").jobs;
    expect(preview?.if).toContain("github.event.pull_request.head.repo.full_name == github.repository");
    expect(preview?.steps?.find((s) => s.uses?.startsWith("pulumi/actions@"))?.with).toMatchObject({ command: "preview", policyPacks: "policies", "comment-on-pr": true });
  });

  it.each(files)("%s: no expression inside a shell script, and a failing stack list fails the step", (file) => {
    for (const job of Object.values(workflow(file).jobs)) {
      for (const step of job.steps ?? []) {
        if (step.run === undefined) continue;
        expect(step.run, "use env: for values from the event").not.toContain("${{");
        if (step.run.includes("changed-stacks")) {
          expect(step.run).toContain("set -euo pipefail");
          expect(step.run).toContain(`jq -e '(.stacks | type == "array") and (.deleted | type == "array")'`);
        }
      }
    }
  });

  it("create a stack that an onboarding pull request added (upsert), in the preview and in every ring", () => {
    const pulumiSteps = ["preview.yml", "stage.yml"].flatMap((file) => Object.values(workflow(file).jobs).flatMap((job) => job.steps ?? []).filter((s) => s.uses?.startsWith("pulumi/actions@")));
    expect(pulumiSteps).toHaveLength(2);
    for (const step of pulumiSteps) expect(step.with?.["upsert"]).toBe(true);
  });

  it("refuse a pull request that deletes an unmarked org's stack file: check-deletions against the base, reported even after a failed check, failing the job", () => {
    const steps = workflow("preview.yml").jobs["check"]?.steps ?? [];
    const gate = steps.find((s) => s.run?.includes("check-deletions")) as (Step & { if?: string; env?: Record<string, string> }) | undefined;
    expect(gate?.run).toContain('node dist/cli/main.js check-deletions --base "origin/${BASE_REF}"');
    expect(gate?.env).toEqual({ BASE_REF: "${{ github.base_ref }}" });
    expect(gate?.if).toBe("${{ !cancelled() }}");
    expect(gate?.run).toMatch(/\|\| status=\$\?[\s\S]*exit "\$status"\s*$/);
    // Before the report is kept, so the pull request's comment says why it was refused.
    expect(steps.indexOf(gate!)).toBeLessThan(steps.findIndex((s) => s.run?.includes("check-report/report.md")));
  });

  it("run the fleet check on every pull request, reported even after a failed check, failing the job", () => {
    const steps = workflow("preview.yml").jobs["check"]?.steps ?? [];
    const fleet = steps.find((s) => s.run?.includes("placement plan")) as (Step & { if?: string }) | undefined;
    expect(fleet?.run).toContain("node dist/cli/main.js placement plan 2>&1 || status=$?");
    expect(fleet?.if).toBe("${{ !cancelled() }}");
    expect(fleet?.run).toMatch(/exit "\$status"\s*$/);
    expect(steps.indexOf(fleet!)).toBeLessThan(steps.findIndex((s) => s.run?.includes("check-report/report.md")));
  });

  it("promote through dev, test and prod, one concurrency group per stack", () => {
    const { jobs } = workflow("promote.yml");
    expect([jobs["dev"], jobs["test"], jobs["prod"]].map((j) => j?.uses)).toEqual(Array(3).fill("./.github/workflows/stage.yml"));
    expect((jobs["prod"] as { needs?: string[] }).needs).toEqual(["plan", "dev", "test"]);
    expect(workflow("stage.yml").jobs["stack"]?.concurrency?.group).toBe("pulumi-${{ matrix.stack }}");
  });

  it("call only tenantry commands that exist", () => {
    const commands = new Set(buildCli(() => undefined).commands.map((c) => c.name()));
    const called = files.flatMap((file) => [...text(file).matchAll(/node dist\/cli\/main\.js ([a-z-]+)/g)].map((m) => m[1] ?? ""));
    // The built entry point, not npx: npx would fetch a registry package of that name if the local bin were ever missing.
    expect(files.filter((file) => text(file).includes("npx "))).toEqual([]);
    expect(new Set(called)).toEqual(new Set(["changed-stacks", "check", "check-deletions", "placement"]));
    for (const command of called) expect(commands.has(command), command).toBe(true);
  });
});

describe("tenantry changed-stacks", () => {
  it("lists the stacks whose file changed, or every stack when what they all run changed", () => {
    const stacks = ["org-acme", "org-globex", "org-initech"];
    expect(changedStacks(["stacks/Pulumi.org-globex.yaml", "README.md"], stacks)).toEqual(["org-globex"]);
    expect(changedStacks(["components/org-database.ts"], stacks)).toEqual(stacks);
    expect(changedStacks(["policies/grants.ts"], stacks)).toEqual(stacks);
    expect(changedStacks(["cli/commands/check.ts"], stacks)).toEqual(stacks);
    expect(changedStacks(["stacks/Pulumi.org-gone.yaml", "docs/x.md"], stacks)).toEqual([]);
  });

  // A copy of the project's stacks/, with a components/ folder, made a git repository below.
  const cli = new CliProject();
  const scratch = cli.dir;
  afterAll(() => cli.remove());

  it("asks git for the change since the base, and filters by tier", () => {
    const { git } = cli;
    mkdirSync(join(scratch, "components"));
    writeFileSync(join(scratch, "components", "x.ts"), "export {};\n");
    git("init", "-q", "-b", "main");
    git("add", ".");
    git("commit", "-q", "-m", "base");
    git("checkout", "-q", "-b", "change");
    writeFileSync(join(scratch, "stacks", "Pulumi.org-globex.yaml"), `${readFileSync(join(scratch, "stacks", "Pulumi.org-globex.yaml"), "utf8")}# touched\n`);
    git("commit", "-q", "-am", "touch globex");
    const run = (...args: string[]) => cli.run("changed-stacks", ...args);
    const stacks = (...args: string[]) => (JSON.parse(run(...args, "--json").stdout) as { stacks: string[] }).stacks;
    expect(stacks("--base", "main")).toEqual(["org-globex"]);
    expect(stacks("--base", "main", "--tier", "production")).toEqual([]);
    writeFileSync(join(scratch, "components", "x.ts"), "export const x = 1;\n");
    git("commit", "-q", "-am", "touch a component");
    expect(run("--base", "main").stdout).toBe("org-acme\norg-globex\n");
    expect(stacks("--base", "main", "--tier", "sandbox")).toEqual(["org-globex"]);
    expect(run("--base", "no-such-ref").code).toBe(2);
    // A branch's first push (GitHub's "before" is all zeros): every stack, no deletion known.
    expect(JSON.parse(run("--base", "0".repeat(40), "--json").stdout)).toEqual({ stacks: ["org-acme", "org-globex"], deleted: [] });
  });
});
