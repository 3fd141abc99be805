import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { progressBar } from "../../cli/progress";

/*
 * On a terminal the progress bar redraws one line without ending it; whatever comes after it
 * (the summary, a violation, an error) must start on a line of its own. Shown on a stream that
 * says it is a terminal, and through the built command with its stderr made to look like one.
 */

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b(?:\[[0-9;?]*[A-Za-z]|[78])/g;

/** A terminal as far as cli-progress can tell: it records what is written to it. */
class FakeTerminal extends Writable {
  readonly isTTY = true;
  readonly columns = 80;
  text = "";
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.text += chunk.toString("utf8");
    done();
  }
}

describe("the progress bar", () => {
  it("ends its line when finished, so the next output starts on a line of its own", () => {
    const terminal = new FakeTerminal();
    const bar = progressBar("checking {bar} {value}/{total} stacks", 2, {}, terminal);
    bar.advance({});
    bar.advance({});
    bar.finish();
    terminal.write("2 stacks: 2 compliant\n");
    const shown = terminal.text.replace(ANSI, "");
    expect(shown).toMatch(/checking .* 2\/2 stacks\n2 stacks: 2 compliant\n$/);
    bar.finish(); // a second finish draws nothing more
    expect(terminal.text.replace(ANSI, "")).toBe(shown);
  });

  it("(control) without finishing, the next output is glued to the bar", () => {
    const terminal = new FakeTerminal();
    const bar = progressBar("checking {bar} {value}/{total} stacks", 2, {}, terminal);
    bar.advance({});
    terminal.write("2 stacks: 2 compliant\n");
    expect(terminal.text.replace(ANSI, "")).toMatch(/stacks2 stacks: 2 compliant\n$/);
    bar.finish();
  });

  it("draws nothing on a stream that is not a terminal", () => {
    const pipe = new FakeTerminal();
    Object.defineProperty(pipe, "isTTY", { value: false });
    const bar = progressBar("checking {bar}", 1, {}, pipe);
    bar.advance({});
    bar.finish();
    expect(pipe.text).toBe("");
  });
});

describe("tenantry check --all on a terminal", () => {
  const REPO = join(__dirname, "..", "..");
  const scratch = mkdtempSync(join(tmpdir(), "tenantry-progress-"));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it("prints its summary on a line of its own, after the bar's", () => {
    mkdirSync(join(scratch, "stacks"));
    const provider = "config:\n  postgresql:host: pg.tenants.internal\n  postgresql:username: tenantry\n  postgresql:sslmode: require\n  postgresql:superuser: \"false\"\n  postgresql:maxConnections: \"2\"\n";
    for (const slug of ["aaa", "bbb"]) writeFileSync(join(scratch, "stacks", `Pulumi.org-${slug}.yaml`), `${provider}  tenantry:org:\n    slug: ${slug}\n    workspaces: [{ slug: web }]\n`);
    // stderr says it is an 80-column terminal, and stdout goes to it too, in order, as on a screen.
    const terminal = join(scratch, "terminal.js");
    writeFileSync(terminal, [
      "Object.defineProperty(process.stderr, 'isTTY', { value: true });",
      "Object.defineProperty(process.stderr, 'columns', { value: 80 });",
      "process.stdout.write = process.stderr.write.bind(process.stderr);",
    ].join("\n"));
    const run = spawnSync(process.execPath, ["--require", terminal, join(REPO, "dist", "cli", "main.js"), "check", "--all"], { cwd: scratch, encoding: "utf8" });
    expect(run.status).toBe(0);
    const shown = run.stderr.replace(ANSI, "");
    expect(shown).toMatch(/checking .* 2\/2 stacks \| 0 not compliant\n2 stacks: 2 compliant, 0 with violations, 0 invalid, 0 failed\n$/);
  }, 120_000);
});
