import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readState, writeState, type AppliedResource, type LocalState } from "../../local/state";
import { appendJournal, journalFile, replayJournal, startJournal, type JournalEntry } from "../../local/state-journal";

/*
 * The apply's journal (local/state-journal.ts) as the adversary of an interruptible apply sees
 * it: a crash at any byte of any append, or between the compaction's write and the journal's
 * removal. Whatever the cut, reading the state gives what the apply had recorded up to its last
 * complete entry, which is what the next run resumes from.
 */

const scratch = mkdtempSync(join(tmpdir(), "tenantry-journal-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const freshPaths = () => ({ stateFile: join(scratch, `state-${(files += 1)}.json`) });

const STACK = "org-j";
const urns = ["urn:a", "urn:b", "urn:c", "urn:d"] as const;
const resource = (urn: string, version: number): AppliedResource => ({
  urn, type: "postgresql:index/role:Role", name: urn.slice(4), inputs: { version, password: `secret-${version}` },
  inputsHash: String(version), protect: false, retainOnDelete: false, dependsOn: [],
});

const entry: fc.Arbitrary<JournalEntry> = fc.oneof(
  fc.record({ urn: fc.constantFrom(...urns), version: fc.nat(9) }).map(({ urn, version }) => ({ stack: STACK, mark: { urn, action: "create" as const, inputs: { version } } })),
  fc.constantFrom(...urns).map((urn) => ({ stack: STACK, urn, cleared: true as const })),
  fc.record({ urn: fc.constantFrom(...urns), version: fc.nat(9) }).map(({ urn, version }) => ({ stack: STACK, urn, applied: resource(urn, version) })),
  fc.constantFrom(...urns).map((urn) => ({ stack: STACK, urn, removed: true as const })),
);

const base = (): LocalState => ({ version: 1, stacks: { [STACK]: { resources: [resource("urn:a", 0)], pending: [] } } });
const copy = <T>(value: T): T => structuredClone(value);

describe("the state journal", () => {
  it("reads back, after any sequence of entries, the state the apply held in memory", () => {
    fc.assert(fc.property(fc.array(entry, { maxLength: 30 }), (entries) => {
      const paths = freshPaths();
      writeState(paths, base());
      startJournal(paths);
      for (const e of entries) appendJournal(paths, e);
      expect(readState(paths)).toEqual(replayJournal(base(), entries));
    }), { numRuns: 60 });
  });

  it("after a crash at any byte of an append, reads the state of the complete entries before it", () => {
    fc.assert(fc.property(fc.array(entry, { minLength: 1, maxLength: 12 }), fc.double({ min: 0, max: 1, noNaN: true }), (entries, where) => {
      const paths = freshPaths();
      writeState(paths, base());
      startJournal(paths);
      const ends: number[] = [];
      for (const e of entries) {
        appendJournal(paths, e);
        ends.push(statSync(journalFile(paths)).size);
      }
      const headerEnd = readFileSync(journalFile(paths), "utf8").indexOf("\n") + 1;
      const cut = headerEnd + Math.floor(where * ((ends[ends.length - 1] ?? headerEnd) - headerEnd));
      truncateSync(journalFile(paths), cut);
      const complete = ends.filter((end) => end <= cut).length;
      expect(readState(paths)).toEqual(replayJournal(base(), entries.slice(0, complete)));
    }), { numRuns: 60 });
  });

  it("ignores a journal the compaction already folded in (a crash before its removal), so a replacement's order is kept", () => {
    const paths = freshPaths();
    writeState(paths, base());
    startJournal(paths);
    // A replacement of a (deleted, created again), then c created after it, which may depend on it.
    const entries: JournalEntry[] = [
      { stack: STACK, urn: "urn:a", removed: true },
      { stack: STACK, urn: "urn:a", applied: resource("urn:a", 2) },
      { stack: STACK, urn: "urn:c", applied: resource("urn:c", 1) },
    ];
    for (const e of entries) appendJournal(paths, e);
    const leftover = readFileSync(journalFile(paths), "utf8");
    const final = readState(paths);
    expect(final.stacks[STACK]?.resources.map((r) => r.urn)).toEqual(["urn:a", "urn:c"]);
    writeState(paths, final);
    // The crash: the state was written, the journal not yet removed.
    writeFileSync(journalFile(paths), leftover);
    expect(readState(paths)).toEqual(final);
    // Control: replaying that journal onto the final state would put c before what it depends on.
    expect(replayJournal(copy(final), entries).stacks[STACK]?.resources.map((r) => r.urn)).toEqual(["urn:c", "urn:a"]);
  });

  it("refuses a journal torn anywhere but at its last line, rather than guessing", () => {
    const paths = freshPaths();
    writeState(paths, base());
    startJournal(paths);
    appendJournal(paths, { stack: STACK, urn: "urn:b", applied: resource("urn:b", 1) });
    appendFileSync(journalFile(paths), "{\"stack\":\"org-j\",\"ur\n");
    appendJournal(paths, { stack: STACK, urn: "urn:c", applied: resource("urn:c", 1) });
    expect(() => readState(paths)).toThrow(/line 3 is not a journal entry/);
  });

  it("is readable by its owner only, as the state is: it holds generated passwords", () => {
    const paths = freshPaths();
    writeState(paths, base());
    startJournal(paths);
    appendJournal(paths, { stack: STACK, urn: "urn:b", applied: resource("urn:b", 1) });
    expect(statSync(journalFile(paths)).mode & 0o777).toBe(0o600);
  });

  it("is gone once the state is written whole", () => {
    const paths = freshPaths();
    writeState(paths, base());
    startJournal(paths);
    writeState(paths, base());
    expect(() => statSync(journalFile(paths))).toThrow(/ENOENT/);
  });
});
