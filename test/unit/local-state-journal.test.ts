import { mkdtempSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readState, writeState, type AppliedResource, type LocalState } from "../../local/state";
import { appendJournal, journalPathOf, replayJournal, type JournalEntry } from "../../local/state-journal";

/*
 * The local apply appends each recorded step to a journal instead of rewriting the whole state
 * per resource (which was quadratic: docs/big-orgs.md). Whatever the steps, reading the state
 * must give what the steps make of it; a crash while appending (a torn last line) must read as
 * if that step had not been recorded; and a step must cost only its own bytes.
 */

const scratch = mkdtempSync(join(tmpdir(), "tenantry-journal-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
let files = 0;
const freshStateFile = () => join(scratch, `state-${(files += 1)}.json`);

const resource = (urn: string, version: number): AppliedResource => ({
  urn, type: "postgresql:index/role:Role", name: urn, inputs: { name: urn, version }, inputsHash: String(version),
  protect: false, retainOnDelete: false, dependsOn: [], outputs: { result: `secret-${version}` },
});

const urns = ["a", "b", "c", "d"];
const step: fc.Arbitrary<JournalEntry> = fc.oneof(
  fc.record({ stack: fc.constantFrom("org-a", "org-b"), applied: fc.tuple(fc.constantFrom(...urns), fc.nat(9)).map(([urn, v]) => resource(urn, v)) }),
  fc.record({ stack: fc.constantFrom("org-a", "org-b"), removed: fc.constantFrom(...urns) }),
  fc.record({ stack: fc.constantFrom("org-a", "org-b"), pending: fc.subarray(urns).map((us) => us.map((urn) => ({ urn, action: "create" as const, inputs: {} }))) }),
);

const base = (): LocalState => ({ version: 1, stacks: { "org-a": { resources: [resource("a", 0)] } } });
const inMemory = (steps: readonly JournalEntry[]) => replayJournal(base(), steps);

describe("the local state's journal", () => {
  it("reads back as the state the journaled steps make, over the last whole state, and is gone once the state is written whole", () => {
    fc.assert(fc.property(fc.array(step, { maxLength: 30 }), fc.integer({ min: 1, max: 5 }), (steps, perAppend) => {
      const stateFile = freshStateFile();
      writeState({ stateFile }, base());
      for (let i = 0; i < steps.length; i += perAppend) appendJournal(stateFile, steps.slice(i, i + perAppend));
      const read = readState({ stateFile });
      expect(read).toEqual(inMemory(steps));
      writeState({ stateFile }, read);
      expect(() => statSync(journalPathOf(stateFile))).toThrow();
      expect(readState({ stateFile })).toEqual(inMemory(steps));
    }), { numRuns: 60 });
  });

  it("reads a journal torn inside its last line (a crash while appending) as if that step had not been recorded", () => {
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), (steps, where) => {
      const stateFile = freshStateFile();
      writeState({ stateFile }, base());
      appendJournal(stateFile, steps);
      const journal = journalPathOf(stateFile);
      const whole = statSync(journal).size;
      const lastLine = `${JSON.stringify(steps[steps.length - 1])}\n`.length;
      // Cut anywhere from just after the previous line's newline to just before this one's.
      truncateSync(journal, whole - lastLine + Math.floor(where * lastLine));
      expect(readState({ stateFile })).toEqual(inMemory(steps.slice(0, -1)));
    }), { numRuns: 60 });
  });

  it("refuses a journal damaged before its last line, naming the line, rather than guessing", () => {
    const stateFile = freshStateFile();
    writeState({ stateFile }, base());
    appendJournal(stateFile, [{ stack: "org-a", removed: "a" }, { stack: "org-a", removed: "b" }]);
    const journal = journalPathOf(stateFile);
    writeFileSync(journal, readFileSync(journal, "utf8").replace('"removed":"a"', '"removed":"a'));
    expect(() => readState({ stateFile })).toThrow(/journal .* is damaged at line 1/);
  });

  it("costs each step its own bytes only, however much the state already holds (never a rewrite of the state)", () => {
    const stateFile = freshStateFile();
    const held: LocalState = { version: 1, stacks: { "org-a": { resources: Array.from({ length: 2_000 }, (_, i) => resource(`held-${i}`, 1)) } } };
    writeState({ stateFile }, held);
    const stateBytes = statSync(stateFile).size;
    let journaled = 0;
    for (let i = 0; i < 50; i += 1) {
      const entries: JournalEntry[] = [{ stack: "org-a", applied: resource(`new-${i}`, 2) }, { stack: "org-a", pending: [] }];
      appendJournal(stateFile, entries);
      journaled += entries.reduce((sum, e) => sum + JSON.stringify(e).length + 1, 0);
      expect([statSync(stateFile).size, statSync(journalPathOf(stateFile)).size]).toEqual([stateBytes, journaled]);
    }
    expect(readState({ stateFile }).stacks["org-a"]?.resources).toHaveLength(2_050);
  });

  it("keeps the journal private (0600), like the state: applied resources hold generated passwords", () => {
    const stateFile = freshStateFile();
    appendJournal(stateFile, [{ stack: "org-a", applied: resource("a", 1) }]);
    expect(statSync(journalPathOf(stateFile)).mode & 0o777).toBe(0o600);
  });
});
