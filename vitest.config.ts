import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'shared/test/**/*.test.ts',
      'store-node/test/**/*.test.ts',
      'central/test/**/*.test.ts',
      'scripts/test/**/*.test.ts',
    ],
    pool: 'forks',
    // Two cores: more workers only add contention on fsync-bound tests against the shared services.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
