/**
 * An idle worker leaves the database alone (DESIGN.md: "Nothing polls in a tight loop"; issue 5):
 * with nothing due, and one retry due weeks from now (further off than a Node timer can wait at
 * once, 2^31 ms), a `--role worker` process on PostgreSQL waits for a NOTIFY or its timer instead
 * of asking the database again and again. Runs only in the PostgreSQL pass of `npm test`.
 *
 * Its queries are counted from pg_stat_activity, which each session updates as a query starts
 * (pg_stat_database's counters reach the server up to 10 s late from an idle session, and
 * pg_stat_statements needs a preloaded library): every (session, query_start) pair not seen
 * before is one query at least.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { newId } from '../../src/core/ids.js'
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js'
import { killAllChildren, spawnServer } from '../helpers/child-server.js'
import { databaseFor } from '../helpers/postgres.js'
import { endpointRecord } from '../helpers/records.js'

const DAY_MS = 24 * 3600 * 1000
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('an idle worker on PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-idle-'))
  afterEach(() => killAllChildren())
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }))

  it('runs (almost) no queries while nothing is due, a retry weeks away included', { timeout: 60_000 }, async () => {
    const { url } = await databaseFor(dataDir)
    const worker = await spawnServer({ dataDir, args: ['--role', 'worker'] })

    // A retry due in 40 days, published where every worker hears of it (NOTIFY): the worker claims
    // nothing, and arms its timer for the next due retry.
    const store = await openPostgresStore({ url, poolSize: 1 })
    const now = Date.now()
    await store.createTenant({ id: 't1', name: 't1', metadata: {}, createdAt: now, updatedAt: now })
    const ep = endpointRecord({ tenantId: 't1', createdAt: now, updatedAt: now })
    await store.createEndpoint(ep, { current: 'sealed', previous: [] })
    const event = { id: newId('evt'), tenantId: 't1', type: 'a.b', payloadJson: '{}', channels: [], idempotencyKey: null, occurredAt: now, createdAt: now, deliveryCount: 1 }
    await store.publishBatch([{ event, deliveries: [{ id: newId('dlv'), endpointId: ep.id, leaseOwner: null, nextAttemptAt: now + 40 * DAY_MS }] }], now, 0)
    await store.close()
    await sleep(1000)

    const watcher = new pg.Client({ connectionString: url })
    await watcher.connect()
    try {
      const seen = new Set<string>()
      const sample = async () => {
        const { rows } = await watcher.query<{ key: string }>(
          "SELECT pid || ' ' || query_start AS key FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid() AND query_start IS NOT NULL",
        )
        let fresh = 0
        for (const r of rows) if (!seen.has(r.key) && seen.add(r.key)) fresh++
        return fresh
      }
      await sample()
      let queries = 0
      for (const end = Date.now() + 3000; Date.now() < end; await sleep(20)) queries += await sample()
      // A few are allowed for housekeeping (the request-log pruning 10 s after start); a loop that
      // claims or reads the next due time again and again makes dozens in these 3 s.
      expect(queries).toBeLessThanOrEqual(3)
    } finally {
      await watcher.end()
    }
    expect(worker.done).toBe(false)
    worker.kill('SIGTERM')
    expect((await worker.exited).code).toBe(0)
  })
})
