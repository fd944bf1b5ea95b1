import pg from 'pg'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { newId } from '../../core/ids.js'
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../../../test/helpers/postgres.js'
import { endpointRecord } from '../../../test/helpers/records.js'
import { createPostgresPool } from './postgres-pool.js'
import { openPostgresStore } from './postgres-store.js'

const up = await postgresAvailable()
const T0 = 1_800_000_000_000

describe.skipIf(!up)('postgres pools', () => {
  let db: TestDatabase
  beforeAll(async () => {
    db = await createTestDatabase()
  })
  afterAll(async () => {
    await db.drop()
  })

  const setting = async (pool: pg.Pool): Promise<string> => {
    try {
      return (await pool.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!.synchronous_commit
    } finally {
      await pool.end()
    }
  }

  it('commits durably by default, and without waiting for the WAL flush when asked', async () => {
    expect(await setting(createPostgresPool({ url: db.url }))).toBe('on')
    expect(await setting(createPostgresPool({ url: db.url, relaxedCommits: true }))).toBe('off')
  })

  it('claims through the queue pool, whose sessions commit without waiting for the flush', async () => {
    const store = await openPostgresStore({ url: db.url })
    const watcher = new pg.Client({ connectionString: db.url })
    await watcher.connect()
    try {
      await store.createTenant({ id: 't1', name: 't1', metadata: {}, createdAt: T0, updatedAt: T0 })
      const ep = endpointRecord({ tenantId: 't1', createdAt: T0, updatedAt: T0 })
      await store.createEndpoint(ep, { current: 'sealed', previous: [] })
      const event = { id: newId('evt'), tenantId: 't1', type: 'a.b', payloadJson: '{}', channels: [], idempotencyKey: null, occurredAt: T0, createdAt: T0, deliveryCount: 1 }
      await store.publishBatch([{ event, deliveries: [{ id: newId('dlv'), endpointId: ep.id, leaseOwner: null, nextAttemptAt: T0 }] }], T0, 86_400_000)
      expect(await store.claimDue({ owner: 'w', now: T0, limit: 10, leaseMs: 1000 })).toHaveLength(1)
      const sessions = await watcher.query<{ application_name: string; query: string }>(
        'SELECT application_name, query FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
      )
      const claimedBy = sessions.rows.filter((r) => r.query.includes('SKIP LOCKED')).map((r) => r.application_name)
      expect(claimedBy).toEqual(['hookrelay-queue'])
    } finally {
      await watcher.end()
      await store.close()
    }
  })

  it('close ends every session, also after a bare open (hookrelay migrate), so the process can exit at once', async () => {
    const store = await openPostgresStore({ url: db.url, poolSize: 2 })
    await store.close()
    const watcher = new pg.Client({ connectionString: db.url })
    await watcher.connect()
    try {
      const others = async () =>
        (await watcher.query<{ n: number }>('SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows[0]!.n
      // A backend leaves pg_stat_activity a moment after its client hangs up; an idle pooled
      // connection would stay for pg's idle timeout (10 s).
      for (let i = 0; i < 40 && (await others()) > 0; i++) await new Promise((r) => setTimeout(r, 50))
      expect(await others()).toBe(0)
    } finally {
      await watcher.end()
    }
  })
})
