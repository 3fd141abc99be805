import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GENERATED_FILES } from "../../reference/generated-files";

const root = join(__dirname, "..", "..");

describe("generated reference files", () => {
  it("are registered (a page listed here is checked below)", () => {
    expect(GENERATED_FILES.length).toBeGreaterThan(0);
  });

  it.each(GENERATED_FILES.map((file) => [file.path, file] as const))("%s is what its source renders today (run `npm run generate` when this fails)", async (path, file) => {
    const committed = readFileSync(join(root, path), "utf8");
    expect(committed, `${path} is stale: it is rendered from ${file.source}; run npm run generate and commit the result`).toBe(await file.render());
  });
});

/*
 * A page that read the machine (a folder, the clock's zone, the locale's numbers or order, the
 * terminal's width) would be committed as one machine renders it and be stale on the next. So
 * each file is rendered again in a child node process (the build, as `npm run generate` runs
 * it) on a machine as unlike this one as an environment can make it, and must be byte for byte
 * the committed copy. The child reports what it saw, which shows the environment took hold.
 */
describe("generated reference files, rendered on another machine", () => {
  const scratch = mkdtempSync(join(tmpdir(), "tenantry-render-"));
  const elsewhere = join(scratch, "some", "other folder");
  const home = join(scratch, "home");
  const COLUMNS = 37;
  const ENV = { PATH: process.env["PATH"] ?? "", HOME: home, TZ: "Pacific/Chatham", LANG: "tr_TR.UTF-8", LC_ALL: "tr_TR.UTF-8", COLUMNS: String(COLUMNS), FORCE_COLOR: "3" };

  /** What the child saw of its machine. */
  interface Seen {
    readonly cwd: string;
    readonly home: string;
    readonly timeZone: string;
    readonly locale: string;
    readonly number: string;
    readonly order: string;
    readonly epoch: string;
    readonly columns: number | undefined;
  }
  // Runs in the child: a narrow terminal on stdout and stderr, then every generated file rendered from dist/.
  const CHILD = `
    const [root, columns] = process.argv.slice(1);
    for (const stream of [process.stdout, process.stderr]) {
      Object.defineProperty(stream, "isTTY", { value: true });
      Object.defineProperty(stream, "columns", { value: Number(columns) });
    }
    const seen = () => ({
      cwd: process.cwd(), home: require("node:os").homedir(), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
      locale: Intl.DateTimeFormat().resolvedOptions().locale, number: (1234.5).toLocaleString(), order: ["ı", "i", "h", "j"].sort((a, b) => a.localeCompare(b)).join(""),
      epoch: new Date(0).toString(), columns: process.stdout.columns,
    });
    const { GENERATED_FILES } = require(root + "/dist/reference/generated-files.js");
    (async () => {
      const pages = {};
      for (const file of GENERATED_FILES) pages[file.path] = await file.render();
      process.stdout.write(JSON.stringify({ seen: seen(), pages }));
    })().catch((error) => { console.error(error); process.exit(1); });
  `;
  const seenHere: Seen = {
    cwd: process.cwd(), home: homedir(), timeZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    locale: Intl.DateTimeFormat().resolvedOptions().locale, number: (1234.5).toLocaleString(), order: ["ı", "i", "h", "j"].sort((a, b) => a.localeCompare(b)).join(""),
    epoch: new Date(0).toString(), columns: process.stdout.columns,
  };

  let child: { seen: Seen; pages: Record<string, string> };
  beforeAll(() => {
    mkdirSync(elsewhere, { recursive: true });
    mkdirSync(home, { recursive: true });
    const output = execFileSync(process.execPath, ["-e", CHILD, root, String(COLUMNS)], { cwd: elsewhere, env: ENV, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    child = JSON.parse(output) as typeof child;
  });
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it(`ran where nothing is as here: another folder and home, Pacific/Chatham, Turkish numbers and collation, a ${COLUMNS}-column terminal (the control: a page reading any of them would differ)`, () => {
    expect(child.seen).toEqual({
      cwd: elsewhere, home, timeZone: "Pacific/Chatham", locale: "tr-TR", number: "1.234,5", order: "hıij", epoch: expect.stringMatching(/\+1[23]45/) as unknown as string, columns: COLUMNS,
    });
    for (const key of ["cwd", "home", "timeZone", "locale", "number", "order", "epoch", "columns"] as const) {
      expect(child.seen[key], key).not.toEqual(seenHere[key]);
    }
  });

  it.each(GENERATED_FILES.map((file) => [file.path] as const))("%s renders there byte for byte as committed", (path) => {
    expect(Object.keys(child.pages)).toContain(path);
    expect(child.pages[path], `${path} depends on the machine that renders it (or dist/ is older than the sources: npm run build)`).toBe(readFileSync(join(root, path), "utf8"));
  });
});
