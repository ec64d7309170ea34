// Ends every run with one plain line, "N passed, N failed" (", N skipped" when any were), which
// CI systems and scripts can read without parsing Vitest's coloured summary.
import type { Reporter, TestModule } from "vitest/node";

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>, unhandledErrors: ReadonlyArray<unknown>) {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") counts.passed++;
        else if (state === "failed") counts.failed++;
        else counts.skipped++;
      }
      // A file that failed outside its tests (it could not load, a hook failed, its worker died)
      // did fail, whatever its tests say: they may all read as skipped.
      if (module.state() === "failed" && ![...module.children.allTests("failed")].length) counts.failed++;
    }
    counts.failed += unhandledErrors.length;
    const skipped = counts.skipped ? `, ${counts.skipped} skipped` : "";
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed${skipped}\n`);
  }
}
