import {defineConfig} from 'vitest/config';

// The default run: unit, integration, UI and end-to-end tests (a few minutes on 2 cores).
// Long suites (scale, reliability, soak) live under test/long and have their own npm scripts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.{ts,tsx}'],
    exclude: ['test/long/**', 'node_modules/**', 'dist/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    maxWorkers: 2,
    minWorkers: 1,
  },
});
