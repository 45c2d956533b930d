// Real-component tests: real QEMU guests, real cgroup v1 writes, real tc in network namespaces,
// real daemons. One file at a time so measurements are not disturbed by other test files.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.real.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
  },
});
