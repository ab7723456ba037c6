import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Real TLS and worker threads: keep files in separate forks so ports, threads and timers never leak across files.
    pool: 'forks',
  },
});
