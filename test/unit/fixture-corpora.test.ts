import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { SpecError } from "../../spec/spec-errors";
import { checkStackFile } from "../../harness/check-stack";
import { STACK_SCHEMA_MODELINE } from "../../harness/stack-file";

/*
 * `tenantry check` over two corpora of org stack files (test/fixtures/). Insecure: each one a
 * plausible edit of stacks/Pulumi.org-acme.yaml in one place, its first line naming what must
 * refuse it. Secure: unusual but safe files that must pass (no false positives).
 */

const ROOT = join(__dirname, "..", "..");
// The fixtures sit deeper than stacks/, where the editor modeline's relative path would not reach the schema: they go without it.
const GOOD = readFileSync(join(ROOT, "stacks", "Pulumi.org-acme.yaml"), "utf8").split("\n").filter((line) => line !== STACK_SCHEMA_MODELINE);

function corpus(kind: "insecure" | "secure"): { name: string; path: string; expect: string; body: string[] }[] {
  const dir = join(ROOT, "test", "fixtures", kind);
  return readdirSync(dir).sort().map((name) => {
    const [file] = readdirSync(join(dir, name));
    const path = join(dir, name, String(file));
    const [header = "", ...body] = readFileSync(path, "utf8").split("\n");
    return { name, path, expect: header.replace(/^# (refused|accepted): /, ""), body };
  });
}

/** Lines that differ once the common head and tail are removed: one edit = one such region. */
function changedRegion(a: readonly string[], b: readonly string[]): { removed: number; added: number } {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head += 1;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail += 1;
  return { removed: a.length - head - tail, added: b.length - head - tail };
}

const stacksDir = join(ROOT, "stacks");
const stacks = readdirSync(stacksDir).filter((f) => /^Pulumi\..+\.yaml$/.test(f));

describe("every stack in stacks/", () => {
  it.each(stacks)("%s passes the policy pack", async (file) => {
    const report = await checkStackFile(join(stacksDir, file));
    expect(report.violations).toEqual([]);
  });
});

describe("the insecure corpus", () => {
  const cases = corpus("insecure");

  it("has at least twenty cases, each one edit (one region of at most eleven lines, the whole edge) away from the good file", () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    for (const { name, body } of cases) {
      const { removed, added } = changedRegion(GOOD, body);
      expect(removed <= 11 && added <= 11, `${name}: -${removed} +${added} lines`).toBe(true);
    }
  });

  // A stack file can only say what the spec lets it say, so every insecure file is refused by
  // the spec (exit 2) before a resource exists; the pack guards the program's own resources
  // (test/unit/policies*.test.ts, edge-components.test.ts).
  it.each(cases.map((c) => [c.name, c] as const))("refuses %s, naming the field", async (_name, { path, expect: field }) => {
    const outcome = await checkStackFile(path).then((report) => report, (error: unknown) => error);
    expect(outcome).toBeInstanceOf(SpecError);
    expect((outcome as SpecError).problems.map((p) => p.message)).toContainEqual(expect.stringMatching(new RegExp(`^${field.replace(/[.[\]]/g, "\\$&")} `)));
  });
});

// largest-org is the most an org may declare (200 workspaces x 5 environments, 6,113 resources):
// seconds of CPU to check, which a loaded 2-core machine stretches past the default timeout.
describe("the unusual-but-secure corpus", { timeout: 240_000 }, () => {
  it.each(corpus("secure").map((c) => [c.name, c] as const))("accepts %s", async (_name, { path }) => {
    // Without Pulumi's stack traces, as `tenantry check` runs (formatted through the test
    // runner's source maps, they were most of this test's time).
    const report = await checkStackFile(path, { withoutDebugAids: true });
    expect(report.violations).toEqual([]);
    expect(report.resources).toBeGreaterThan(20);
  });
});
