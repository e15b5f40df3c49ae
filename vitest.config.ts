import { defineConfig } from 'vitest/config';
import { TIERS } from './test/tiers.ts';

// Plumbing suites run as a clone without ../shared sees them: they must not need the labelled fixtures.
const noFixtures = { FACEDROP_FIXTURES: 'off' };

export default defineConfig({
  test: {
    // Face tests each start a pool of face workers: an ad-hoc `npx vitest run` runs files one at a time. The
    // tier scripts run two files at a time (package.json): much of the e2e and medium time is waiting
    // (slow clients, child processes starting, long polls), which the other file fills.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The plumbing suites' face photos: a stand-in made from face-api's demo photos (test/demo-fixture.ts).
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/fixtures-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: TIERS.unit, setupFiles: ['test/unit-setup.ts'], env: noFixtures } },
      { extends: true, test: { name: 'medium', include: TIERS.medium, env: noFixtures } },
      { extends: true, test: { name: 'medium-fixtures', include: TIERS.mediumFixtures } },
      { extends: true, test: { name: 'e2e', include: TIERS.e2e, env: noFixtures } },
      { extends: true, test: { name: 'e2e-fixtures', include: TIERS.e2eFixtures } },
    ],
  },
});
