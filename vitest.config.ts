import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'sdk/src/**/*.test.ts', 'sdk/test/**/*.test.ts'],
    // *.postgres.test.ts need every server on PostgreSQL: they run in the second pass of npm test
    // (scripts/test-postgres.mjs sets HOOKRELAY_TEST_STORE=postgres).
    exclude: ['**/node_modules/**', ...(process.env.HOOKRELAY_TEST_STORE === 'postgres' ? [] : ['test/**/*.postgres.test.ts'])],
    allowOnly: !process.env.CI,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    // Tests that bound the heap collect garbage before reading it (inbound-flood.test.ts).
    execArgv: ['--expose-gc'],
    setupFiles: ['test/helpers/vitest-setup.ts'],
  },
})
