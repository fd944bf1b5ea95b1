import { readdirSync, readFileSync } from 'node:fs'
import { afterEach, describe, expect, it } from 'vitest'
import { createIdGenerator } from '../../core/ids.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../../test/helpers/postgres.js'
import { migratePostgres } from './postgres-migrate.js'
import { createPostgresPool } from './postgres-pool.js'
import { openPostgresStore } from './postgres-store.js'

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

  it('carries an unexpired previous secret into the list, and reads back one a previous release rotated out', async () => {
    db = await createTestDatabase()
    // A database as 0003 left it: one endpoint and one source rotated less than 24 hours ago, one
    // endpoint whose previous secret has expired.
    const pool = createPostgresPool({ url: db.url, poolSize: 1 })
    const later = Date.now() + 3_600_000
    try {
      await pool.query('CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)')
      for (const file of files.filter((f) => f < '0004')) {
        await pool.query(readFileSync(new URL(`./migrations/${file}`, import.meta.url), 'utf8'))
        await pool.query('INSERT INTO schema_migrations VALUES ($1, 0)', [file])
      }
      await pool.query("INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('t', 'T', 0, 0)")
      const endpoint = "INSERT INTO endpoints (id, tenant_id, url, retry, secret_sealed, previous_secret_sealed, previous_expires_at, created_at, updated_at) VALUES ($1, 't', 'http://127.0.0.1:1/x', '{}', $2, $3, $4, 0, 0)"
      await pool.query(endpoint, ['ep_rotated', 'sealed-now', 'sealed-before', later])
      await pool.query(endpoint, ['ep_expired', 'sealed-now', 'sealed-long-ago', Date.now() - 1000])
      await pool.query(endpoint, ['ep_never', 'sealed-now', null, null])
      await pool.query(
        "INSERT INTO sources (id, tenant_id, verification, secret_sealed, previous_secret_sealed, previous_expires_at, created_at, updated_at) VALUES ('src_rotated', 't', '{\"type\":\"hmac\"}', 'sealed-2', 'sealed-1', $1, 0, 0)",
        [later],
      )
    } finally {
      await pool.end()
    }

    const store = await openPostgresStore({ url: db.url, poolSize: 2 })
    try {
      expect(await store.getSecrets('ep_rotated')).toEqual({ current: 'sealed-now', previous: [{ sealed: 'sealed-before', expiresAt: later }] })
      expect(await store.getSecrets('ep_expired')).toEqual({ current: 'sealed-now', previous: [] })
      expect(await store.getSecrets('ep_never')).toEqual({ current: 'sealed-now', previous: [] })
      expect(await store.getSourceSecrets('src_rotated')).toEqual({ current: 'sealed-2', previous: [{ sealed: 'sealed-1', expiresAt: later }] })

      // A node of the previous release rotates by writing only the single-secret columns.
      const old = createPostgresPool({ url: db.url, poolSize: 1 })
      await old.query("UPDATE endpoints SET secret_sealed = 'sealed-next', previous_secret_sealed = 'sealed-now', previous_expires_at = $1 WHERE id = 'ep_rotated'", [later + 1])
      await old.end()
      expect(await store.getSecrets('ep_rotated')).toEqual({
        current: 'sealed-next',
        previous: [
          { sealed: 'sealed-now', expiresAt: later + 1 },
          { sealed: 'sealed-before', expiresAt: later },
        ],
      })
    } finally {
      await store.close()
    }
  })

  it('0012 drops the index on events.created_at and keeps every row; retention still finds the old ones', async () => {
    db = await createTestDatabase()
    // A database as 0011 left it, with old and recent events.
    const pool = createPostgresPool({ url: db.url, poolSize: 1 })
    const DAY = 86_400_000
    const now = Date.now()
    const ids = createIdGenerator()
    const old = [0, 1, 2].map((i) => ids('evt', now - 40 * DAY + i))
    const recent = ids('evt', now - DAY)
    try {
      await pool.query('CREATE TABLE schema_migrations (name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)')
      for (const file of files.filter((f) => f < '0012')) {
        await pool.query(readFileSync(new URL(`./migrations/${file}`, import.meta.url), 'utf8'))
        await pool.query('INSERT INTO schema_migrations VALUES ($1, 0)', [file])
      }
      expect((await pool.query("SELECT 1 FROM pg_indexes WHERE indexname = 'events_created'")).rowCount).toBe(1)
      await pool.query("INSERT INTO tenants (id, name, created_at, updated_at) VALUES ('t', 'T', 0, 0)")
      const event = "INSERT INTO events (id, tenant_id, type, payload, created_at, occurred_at, delivery_count) VALUES ($1, 't', 'a.b', '{}', $2, $2, 0)"
      for (const [i, id] of old.entries()) await pool.query(event, [id, now - 40 * DAY + i])
      await pool.query(event, [recent, now - DAY])
    } finally {
      await pool.end()
    }

    const store = await openPostgresStore({ url: db.url, poolSize: 2 })
    try {
      for (const id of [...old, recent]) expect(await store.getEvent('t', id)).not.toBeNull()
      expect(await store.pruneFinalEvents(now - 30 * DAY, 2)).toBe(2)
      expect(await store.pruneFinalEvents(now - 30 * DAY, 2)).toBe(1)
      for (const id of old) expect(await store.getEvent('t', id)).toBeNull()
      expect(await store.getEvent('t', recent)).not.toBeNull()
    } finally {
      await store.close()
    }
    const after = createPostgresPool({ url: db.url, poolSize: 1 })
    try {
      expect((await after.query("SELECT 1 FROM pg_indexes WHERE indexname = 'events_created'")).rowCount).toBe(0)
    } finally {
      await after.end()
    }
  })
})
