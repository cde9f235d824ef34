import type { Reporter, TestModule } from 'vitest/node';
import { mergeFigures, type FaultFigures } from './helpers/figures.js';

/**
 * Prints one plain closing line, `N passed, N failed, N skipped`, that CI and
 * people can read without knowing vitest's own summary format; before it, when
 * fault tests ran, one `fault figures: {json}` line adding up what they report
 * (test/helpers/figures.ts): faults injected, bad inputs, readings acknowledged
 * and lost, crashes, peak memory.
 */
export default class SummaryLineReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const counts = { passed: 0, failed: 0, skipped: 0 };
    let figures: FaultFigures | undefined;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === 'passed') counts.passed++;
        else if (state === 'failed') counts.failed++;
        else counts.skipped++;
        const reported = test.meta().faultFigures;
        if (reported) figures = mergeFigures(figures ?? {}, reported);
      }
      if (module.state() === 'failed' && [...module.children.allTests()].length === 0) counts.failed++;
    }
    if (figures) process.stdout.write(`\nfault figures: ${JSON.stringify(figures)}\n`);
    process.stdout.write(`\n${counts.passed} passed, ${counts.failed} failed, ${counts.skipped} skipped\n`);
  }
}
