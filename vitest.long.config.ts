import {defineConfig} from 'vitest/config';

// Long suites: `npm run test:scale`, `npm run test:reliability`. SHORT=1 runs the shorter CI forms.
// test/reliability/hostile holds the quick hostile-input tests: they run in `npm test` too.
export default defineConfig({
  test: {
    include: ['test/long/**/*.test.{ts,tsx}', 'test/reliability/hostile/**/*.test.{ts,tsx}'],
    testTimeout: 30 * 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    minWorkers: 1,
    fileParallelism: false,
  },
});
