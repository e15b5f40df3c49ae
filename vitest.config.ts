import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Face tests each start a pool of WASM workers sized to the cores: run files one at a time.
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The plumbing suites' face photos: ../shared/faces/bbt, or a stand-in made from face-api's demo photos.
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', './test/fixtures-reporter.ts'],
  },
});
