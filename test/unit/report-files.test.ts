import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { checkOutPath, MAX_SAVED_PROOF_BYTES, readSavedProofFile, writePage } from "../../cli/report-files";
import { renderReportHtml } from "../../report/render-html";
import { acmeReportModel } from "../fixtures/report-model";
import { SpecError } from "../../spec/spec-errors";

/*
 * What `tenantry report` accepts as --proof and --out, tried as a user (or a script) who hands it
 * the wrong kind of path: each is refused with a message naming the option (exit 2 through
 * SpecError), before anything is read without end or written half.
 */

const dir = mkdtempSync(join(tmpdir(), "report-files-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const at = (name: string) => join(dir, name);

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    if (error instanceof SpecError) return error.problems.map((p) => p.message).join("\n");
    throw error;
  }
  throw new Error("not refused");
}

mkdirSync(at("folder"));
execFileSync("mkfifo", [at("fifo")]);
writeFileSync(at("page.html"), "an older page");
symlinkSync(at("page.html"), at("link.html"));

describe("--proof must be a regular file of bounded size", () => {
  it.each([
    ["folder", "is a directory"],
    ["fifo", "is a FIFO"],
    ["/dev/zero", "is a device"],
  ])("refuses %s without blocking or reading it (%s)", (name, kind) => {
    const file = name.startsWith("/") ? name : at(name);
    expect(refusal(() => readSavedProofFile(file, "org-acme"))).toBe(`--proof ${file} ${kind}: it must be a file written by tenantry prove --local org-acme --json`);
  });

  it("refuses a file larger than the bound, without reading it", () => {
    writeFileSync(at("huge.json"), "");
    truncateSync(at("huge.json"), MAX_SAVED_PROOF_BYTES + 1); // sparse: nothing is written
    expect(refusal(() => readSavedProofFile(at("huge.json"), "org-acme"))).toBe(`--proof ${at("huge.json")} is larger than 16,777,216 bytes, the most a saved proof may be`);
  });

  it("reads a file up to the bound whole, and through a symbolic link", () => {
    fc.assert(fc.property(fc.string({ maxLength: 2000 }), (text) => {
      writeFileSync(at("saved.json"), text);
      expect(readSavedProofFile(at("saved.json"), "org-acme")).toBe(text);
    }), { numRuns: 50 });
    expect(readSavedProofFile(at("link.html"), "org-acme")).toBe("an older page");
  });

  it("says how to make one when there is none", () => {
    expect(refusal(() => readSavedProofFile(at("none.json"), "org-acme"))).toBe(`--proof ${at("none.json")}: no such file (save one with tenantry prove --local org-acme --json > ${at("none.json")})`);
  });
});

describe("--out must be a new file or a regular file, replaced whole", () => {
  it.each([
    ["folder", "is a directory"],
    ["fifo", "is a FIFO"],
    ["link.html", "is a symbolic link"],
  ])("refuses %s before anything runs (%s)", (name, kind) => {
    expect(refusal(() => checkOutPath(at(name), name))).toBe(`--out ${name} ${kind}: it must be a new file or a trust page to replace`);
  });

  it("refuses a device and a path under a file or a missing folder", () => {
    expect(refusal(() => checkOutPath("/dev/full", "/dev/full"))).toBe("--out /dev/full is a device: it must be a new file or a trust page to replace");
    expect(refusal(() => checkOutPath(at("page.html/x.html"), "page.html/x.html"))).toBe("--out page.html/x.html: its folder is not a directory");
    expect(refusal(() => checkOutPath(at("missing/x.html"), "missing/x.html"))).toBe("--out missing/x.html: its folder does not exist");
  });

  it("accepts a new path and a trust page the command wrote", () => {
    writeFileSync(at("report.html"), renderReportHtml(acmeReportModel()));
    expect(() => checkOutPath(at("new.html"), "new.html")).not.toThrow();
    expect(() => checkOutPath(at("report.html"), "report.html")).not.toThrow();
  });

  it("never replaces a file that is not a trust page: the saved proof being read, a stack file, the local state, any other text", () => {
    fc.assert(fc.property(fc.oneof(fc.constantFrom('{"provedAt":"2026-11-27T10:00:00Z"}', "config:\n  tenantry:org:\n    slug: acme\n", "<!doctype html>\n<html><head>"), fc.string()), (text) => {
      writeFileSync(at("other.json"), text);
      expect(refusal(() => checkOutPath(at("other.json"), "other.json"))).toBe("--out other.json exists and is not a trust page tenantry report wrote: name a new file, or remove it first");
    }));
  });

  it("replaces the path itself, never the file a symbolic link put there points to, and leaves no draft", () => {
    symlinkSync(at("page.html"), at("late-link.html"));
    writePage(at("late-link.html"), "late-link.html", "the new page");
    expect(readFileSync(at("late-link.html"), "utf8")).toBe("the new page");
    expect(readFileSync(at("page.html"), "utf8")).toBe("an older page"); // the link's target is untouched
    expect(readdirSync(dir).filter((f) => f.startsWith(".report-"))).toEqual([]);
  });

  it("refuses to write where a page cannot go, naming --out, and leaves nothing behind", () => {
    expect(refusal(() => writePage(at("folder"), "folder", "x"))).toMatch(/^--out folder: the page could not be written \(E[A-Z]+\); nothing was written$/);
    expect(readdirSync(at("folder"))).toEqual([]);
    expect(readdirSync(dir).filter((f) => f.startsWith(".report-"))).toEqual([]);
  });
});
