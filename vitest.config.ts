import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // test/cluster runs on its own (vitest.cluster.config.ts): NATS clusters and kill tests.
    exclude: ['**/node_modules/**', 'test/cluster/**'],
    // Integration tests start real brokers, influxd and SQLite files: give them room, but
    // keep the whole suite well under the 15-minute CI budget.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: true,
    maxWorkers: 2,
  },
});
