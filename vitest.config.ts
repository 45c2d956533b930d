// Unit and fixture tests: run in parallel. Real-component tests (*.real.test.ts) run in
// vitest.real.config.ts, one file at a time, because they measure CPU and I/O on a 2-core machine.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/**/*.real.test.ts', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
