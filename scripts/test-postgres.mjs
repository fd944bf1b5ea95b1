// The second pass of `npm test`: the integration tests and the SDK's tests (sdk/test, whose servers
// come from test/helpers/server.ts too) again, with every server on PostgreSQL
// (HOOKRELAY_TEST_STORE=postgres; each test makes and drops its own database), and the browser
// tests that need PostgreSQL (test/e2e/*.postgres.test.ts: live attempts through LISTEN/NOTIFY,
// revocation across nodes; they need `npm run build` and Chromium, as the others). Needs PostgreSQL
// at 127.0.0.1:5432 (user postgres), or HOOKRELAY_TEST_DATABASE_URL. Without it the pass is
// skipped with a message, except under CI=true, where a missing PostgreSQL fails the run.
import { spawnSync } from 'node:child_process'
import { readdirSync } from 'node:fs'
import pg from 'pg'

const url = process.env.HOOKRELAY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 })
try {
  await client.connect()
  await client.query('SELECT 1')
} catch (err) {
  const why = `PostgreSQL at ${url} cannot be reached (${err.message})`
  if (process.env.CI === 'true') {
    console.error(`${why}; under CI=true the PostgreSQL tests must run.`)
    process.exit(1)
  }
  console.warn(`${why}: skipping the tests on PostgreSQL.`)
  process.exit(0)
} finally {
  await client.end().catch(() => {})
}
const browserTests = readdirSync('test/e2e').filter((f) => f.endsWith('.postgres.test.ts')).map((f) => `test/e2e/${f}`)
const run = spawnSync('npx', ['vitest', 'run', 'test/integration', 'sdk/test', ...browserTests, ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: { ...process.env, HOOKRELAY_TEST_STORE: 'postgres' },
})
process.exit(run.status ?? 1)
