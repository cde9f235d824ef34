import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Servers in tests bind to 127.0.0.1 on port 0; files run in parallel on 2 cores.
    pool: 'forks',
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
