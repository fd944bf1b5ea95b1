import { randomBytes } from 'node:crypto'
import pg from 'pg'

/**
 * PostgreSQL for tests: the local server (trust auth) unless HOOKRELAY_TEST_DATABASE_URL names
 * another. Each test file makes its own database on it and drops it afterwards.
 */
const ADMIN_URL = process.env.HOOKRELAY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

let availability: Promise<boolean> | null = null

/**
 * Whether PostgreSQL can be reached. Under CI=true an unreachable server is an error (the run
 * fails, never skips silently); elsewhere it answers false and says why once, so callers skip.
 */
export function postgresAvailable(): Promise<boolean> {
  availability ??= (async () => {
    const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 })
    try {
      await client.connect()
      await client.query('SELECT 1')
      return true
    } catch (err) {
      const why = `PostgreSQL at ${ADMIN_URL} cannot be reached (${(err as Error).message})`
      if (process.env.CI === 'true') throw new Error(`${why}; under CI=true the PostgreSQL tests must run.`)
      console.warn(`${why}: skipping the PostgreSQL tests. Set HOOKRELAY_TEST_DATABASE_URL to run them.`)
      return false
    } finally {
      await client.end().catch(() => {})
    }
  })()
  return availability
}

async function admin<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL })
  await client.connect()
  try {
    return await fn(client)
  } finally {
    await client.end()
  }
}

export interface TestDatabase {
  /** A postgres:// URL for the new database. */
  url: string
  /** Drops it, closing any connection left on it. */
  drop(): Promise<void>
}

/** Creates an empty database `hookrelay_test_<random>` on the test server. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `hookrelay_test_${randomBytes(6).toString('hex')}`
  await admin((c) => c.query(`CREATE DATABASE ${name}`))
  const url = new URL(ADMIN_URL)
  url.pathname = `/${name}`
  return {
    url: url.toString(),
    drop: () => admin(async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`))),
  }
}

// Integration tests on PostgreSQL (HOOKRELAY_TEST_STORE=postgres): a server's data directory stands
// for its database, so a test that restarts the server on the same data directory gets the same
// database back. What a test file leaves is dropped after it (vitest-setup.ts).
const databases = new Map<string, Promise<TestDatabase>>()

export function databaseFor(dataDir: string): Promise<TestDatabase> {
  let db = databases.get(dataDir)
  if (!db) {
    db = createTestDatabase()
    databases.set(dataDir, db)
  }
  return db
}

/** Drops the database of a data directory, if one was made for it. */
export async function forgetDatabase(dataDir: string): Promise<void> {
  const db = databases.get(dataDir)
  databases.delete(dataDir)
  if (db) await (await db).drop()
}

export async function dropTestDatabases(): Promise<void> {
  await Promise.all([...databases.keys()].map(forgetDatabase))
}

/** Deliveries still pending in the database `db` is connected to: 0 once every one has settled. */
export async function countPending(db: pg.Client): Promise<number> {
  return Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM deliveries WHERE status = 'pending'`)).rows[0]!.n)
}
