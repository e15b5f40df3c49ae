// Ends every run with one line: which face photos were used and how many tests ran or were skipped. Only the accuracy tests on the labelled fixtures in ../shared/faces may skip (absent, or
// FACEDROP_FIXTURES=off).
import type { Reporter, TestModule } from 'vitest/node';
import { FACES_DIR, FIXTURES_OFF, hasFixtures } from '../bench/fixtures.ts';

export default class FixturesReporter implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    let ran = 0;
    let skipped = 0;
    for (const module of modules) {
      for (const test of module.children.allTests()) {
        if (test.result().state === 'skipped') skipped++;
        else ran++;
      }
    }
    const source = hasFixtures('bbt')
      ? `accuracy tests on the labelled fixtures in ${FACES_DIR}`
      : `no labelled fixtures (${FIXTURES_OFF ? 'FACEDROP_FIXTURES=off' : `${FACES_DIR} absent`})`;
    const skips = skipped > 0 ? `; ${skipped} accuracy test(s) on labelled fixtures skipped` : '';
    process.stdout.write(`\nFace photos: plumbing suites on the face-api demo stand-in; ${source}. ${ran} test(s) ran${skips}.\n`);
  }
}
