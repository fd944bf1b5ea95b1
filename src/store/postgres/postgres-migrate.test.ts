import { readdirSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../../test/helpers/postgres.js'
import { migratePostgres } from './postgres-migrate.js'
import { createPostgresPool } from './postgres-pool.js'

const files = readdirSync(new URL('./migrations/', import.meta.url)).filter((f) => f.endsWith('.sql')).sort()
const up = await postgresAvailable()

describe.skipIf(!up)('postgres: migrations', () => {
  let db: TestDatabase
  afterEach(() => db.drop())

  it('two nodes starting at once: one applies each file once, the other waits and finds nothing to do', async () => {
    db = await createTestDatabase()
    const pools = [createPostgresPool({ url: db.url, poolSize: 2 }), createPostgresPool({ url: db.url, poolSize: 2 })]
    try {
      const results = await Promise.all(pools.map((p) => migratePostgres(p)))
      expect(results.map((r) => r.length).sort()).toEqual([0, files.length])
      expect(results.flat()).toEqual(files)
      const rows = await pools[0]!.query<{ name: string }>('SELECT name FROM schema_migrations ORDER BY name')
      expect(rows.rows.map((r) => r.name)).toEqual(files)
      expect(await migratePostgres(pools[1]!)).toEqual([])
      // The lock was released: nothing of it is left on the server.
      const locks = await pools[0]!.query("SELECT 1 FROM pg_locks WHERE locktype = 'advisory'")
      expect(locks.rowCount).toBe(0)
    } finally {
      await Promise.all(pools.map((p) => p.end()))
    }
  })
})
