import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { chromiumArgs, findChromium, missingChromium } from "../helpers/chromium";

/* How the browser test finds its Chromium, and when it must say it is skipping. */

const dir = mkdtempSync(join(tmpdir(), "tenantry-chromium-"));
const empty = mkdtempSync(join(tmpdir(), "tenantry-no-chromium-"));
const binary = join(dir, "chromium");
writeFileSync(binary, "#!/bin/sh\n");
chmodSync(binary, 0o755);
const notExecutable = join(empty, "chromium");
writeFileSync(notExecutable, "");
afterAll(() => [dir, empty].forEach((d) => rmSync(d, { recursive: true, force: true })));

describe("findChromium", () => {
  it("finds an executable chromium on PATH, skipping a file that is not executable", () => {
    expect(findChromium({ PATH: [empty, dir].join(delimiter) })).toBe(binary);
  });

  it("finds none on a PATH without one, and the notice says what is missing", () => {
    expect(findChromium({ PATH: empty })).toBeUndefined();
    expect(missingChromium({ PATH: empty })).toMatch(/^no chromium or chromium-browser on PATH/);
  });

  it("takes TENANTRY_CHROMIUM over PATH, and does not fall back when it names nothing runnable", () => {
    expect(findChromium({ PATH: empty, TENANTRY_CHROMIUM: binary })).toBe(binary);
    expect(findChromium({ PATH: dir, TENANTRY_CHROMIUM: notExecutable })).toBeUndefined();
    expect(missingChromium({ TENANTRY_CHROMIUM: notExecutable })).toBe(`TENANTRY_CHROMIUM=${notExecutable} is not an executable file`);
  });
});

describe("chromiumArgs", () => {
  it("turns the sandbox off only for root", () => {
    expect(chromiumArgs(0)).toEqual(["--no-sandbox"]);
    expect(chromiumArgs(1000)).toEqual([]);
  });
});
