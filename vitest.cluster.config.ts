import { defineConfig } from 'vitest/config';

/**
 * The cluster suite (`npx vitest run -c vitest.cluster.config.ts`): real 3-node nats-server
 * clusters, PostgreSQL databases and worker child processes that are SIGKILLed. Slower than the
 * default suite and run on its own, one file at a time (each file starts its own cluster and the
 * box has 2 cores).
 */
export default defineConfig({
  test: {
    include: ['test/cluster/**/*.test.ts'],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    pool: 'forks',
    fileParallelism: false,
    maxWorkers: 1,
  },
});
