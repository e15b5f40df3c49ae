// Prints one line at the end of a run when tests were skipped, and why: the only tests allowed to skip
// are the accuracy tests on the labelled fixtures in ../shared/faces (or FACEDROP_FIXTURES=off).
import type { Reporter, TestModule } from 'vitest/node';
import { FACES_DIR, FIXTURES_OFF } from '../bench/fixtures.ts';

export default class FixturesReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let skipped = 0;
    for (const module of modules) for (const test of module.children.allTests()) if (test.result().state === 'skipped') skipped++;
    if (skipped === 0) return;
    const why = FIXTURES_OFF ? 'FACEDROP_FIXTURES=off' : `no labelled face fixtures in ${FACES_DIR}`;
    process.stdout.write(`\n${skipped} test(s) skipped: accuracy tests on the labelled fixtures (${why}); every other suite ran.\n`);
  }
}
