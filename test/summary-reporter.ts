import type { Reporter, TestModule } from "vitest/node";

/**
 * Ends the run with one plain line, `tests: N passed, N failed, N skipped`, that CI tooling
 * outside vitest can read. Counts come from vitest's own results; a module that failed without a
 * failed test (it did not load, or its setup threw) counts as a failure, so a broken run never reads as green.
 */
export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>): void {
    let passed = 0;
    let failed = unhandledErrors.length;
    let skipped = 0;
    for (const module of testModules) {
      let failedHere = 0;
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed += 1;
        else if (state === "failed") failedHere += 1;
        else skipped += 1;
      }
      // A module that failed with no failed test (it did not load, or a beforeAll threw and its
      // tests were skipped) is one failure: its skipped tests must not read as a green run.
      failed += failedHere > 0 ? failedHere : module.state() === "failed" ? 1 : 0;
    }
    console.log(`\ntests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
  }
}
