import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real controllers, executors and processes: keep the
    // machine (2 cores) from being oversubscribed so timings stay honest.
    maxWorkers: 2,
    fileParallelism: true,
  },
});
