import { closeSync, constants, fstatSync, lstatSync, mkdtempSync, openSync, readSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { PAGE_HEAD } from "../report/page-head";
import { SpecError } from "../spec/spec-errors";

/*
 * The files `tenantry report` reads and writes, held to what they must be by allowlist: --proof
 * must be a regular file of bounded size (not a directory, a FIFO that would block forever, a
 * device like /dev/zero that never ends), and --out must be absent or a trust page this command
 * wrote (never the saved proof being read, a stack file or the local state), replaced whole by a
 * rename, so a symbolic link is replaced rather than written through and a page is never left
 * half-written.
 */

/** A saved proof of one org is about 100 KB; this leaves room for a fleet's, and refuses a file that would exhaust memory. */
export const MAX_SAVED_PROOF_BYTES = 16 * 1024 * 1024;

const kindOf = (stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean; isFIFO(): boolean; isSocket(): boolean }) =>
  stats.isDirectory() ? "a directory" : stats.isSymbolicLink() ? "a symbolic link" : stats.isFIFO() ? "a FIFO" : stats.isSocket() ? "a socket" : "a device";

/** The saved proof's text. Opened without blocking, so a FIFO is seen for what it is rather than waited on; read to at most the bound. */
export function readSavedProofFile(file: string, stack: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new SpecError([{ field: "--proof", message: `--proof ${file}: no such file (save one with tenantry prove --local ${stack} --json > ${file})` }]);
    throw new SpecError([{ field: "--proof", message: `--proof ${file}: cannot be read (${code ?? "error"})` }]);
  }
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new SpecError([{ field: "--proof", message: `--proof ${file} is ${kindOf(stats)}: it must be a file written by tenantry prove --local ${stack} --json` }]);
    if (stats.size > MAX_SAVED_PROOF_BYTES) throw tooBig(file);
    // Read one byte past the bound: a file that grew since fstat is refused, not read without end.
    const bytes = readUpTo(fd, Math.min(stats.size, MAX_SAVED_PROOF_BYTES) + 1);
    if (bytes.length > MAX_SAVED_PROOF_BYTES) throw tooBig(file);
    return bytes.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

/** At most `limit` bytes of an open file, fewer at its end. */
function readUpTo(fd: number, limit: number): Buffer {
  const buffer = Buffer.alloc(limit);
  let length = 0;
  for (let n = 1; n > 0 && length < limit; length += n) n = readSync(fd, buffer, length, limit - length, null);
  return buffer.subarray(0, length);
}

function tooBig(file: string): SpecError {
  return new SpecError([{ field: "--proof", message: `--proof ${file} is larger than ${MAX_SAVED_PROOF_BYTES.toLocaleString("en-US")} bytes, the most a saved proof may be` }]);
}

/** Refuses an --out the page could not replace: its folder missing or not a folder, or the path something other than a regular file. Checked before the proof runs. */
export function checkOutPath(out: string, shown: string): void {
  const folder = dirname(out);
  let folderIsDirectory: boolean;
  try {
    folderIsDirectory = statSync(folder).isDirectory();
  } catch {
    throw new SpecError([{ field: "--out", message: `--out ${shown}: its folder does not exist` }]);
  }
  if (!folderIsDirectory) throw new SpecError([{ field: "--out", message: `--out ${shown}: its folder is not a directory` }]);
  let existing;
  try {
    existing = lstatSync(out);
  } catch {
    return; // absent: the page will be created
  }
  if (!existing.isFile()) throw new SpecError([{ field: "--out", message: `--out ${shown} is ${kindOf(existing)}: it must be a new file or a trust page to replace` }]);
  if (!beginsWith(out, PAGE_HEAD)) {
    throw new SpecError([{ field: "--out", message: `--out ${shown} exists and is not a trust page tenantry report wrote: name a new file, or remove it first` }]);
  }
}

/** Whether a regular file's first bytes are `head`: read no further than that. */
function beginsWith(file: string, head: string): boolean {
  const expected = Buffer.from(head, "utf8");
  const fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    return readUpTo(fd, expected.length).equals(expected);
  } finally {
    closeSync(fd);
  }
}

/** The page written beside `out` and renamed onto it: whole or not at all, and never through a symbolic link put there meanwhile. */
export function writePage(out: string, shown: string, page: string): void {
  let draftDir: string | undefined;
  try {
    draftDir = mkdtempSync(join(dirname(out), ".report-"));
    const draft = join(draftDir, basename(out));
    writeFileSync(draft, page, { flag: "wx" });
    renameSync(draft, out);
  } catch (error) {
    throw new SpecError([{ field: "--out", message: `--out ${shown}: the page could not be written (${(error as NodeJS.ErrnoException).code ?? "error"}); nothing was written` }]);
  } finally {
    if (draftDir !== undefined) rmSync(draftDir, { recursive: true, force: true });
  }
}
