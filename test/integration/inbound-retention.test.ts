/**
 * HOOKRELAY_RETENTION and the retention timer (services/retention.ts, started by main.ts with the
 * config's retentionMs): request logs older than the retention, and publish idempotency keys past
 * their 24-hour window, are deleted soon after start, then hourly. The retention comes through loadConfig as the server reads it; the clock and the timers
 * are the test's, the store is real (SQLite, or PostgreSQL in the second pass of `npm test`).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { defaultConfig, loadConfig } from '../../src/config.js'
import { newId } from '../../src/core/ids.js'
import { startRetention } from '../../src/services/retention.js'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { databaseFor } from '../helpers/postgres.js'
import { sourceRecord } from '../helpers/records.js'
import { TEST_STORE } from '../helpers/server.js'

const MINUTE = 60_000
const HOUR = 60 * MINUTE
const T = Date.UTC(2026, 10, 23, 12, 0, 0)

describe('the retention of request logs', () => {
  let dataDir: string
  let store: Store
  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-test-'))
    const databaseUrl = TEST_STORE === 'postgres' ? (await databaseFor(dataDir)).url : null
    store = await openStore({ ...defaultConfig, dataDir, databaseUrl, sqliteSynchronous: 'NORMAL' })
  })
  afterEach(async () => {
    vi.useRealTimers()
    await store.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('deletes logs older than HOOKRELAY_RETENTION soon after start, then every hour', async () => {
    const config = loadConfig({ HOOKRELAY_RETENTION: 'PT1H' })
    await store.createTenant({ id: 't1', name: 't1', metadata: {}, createdAt: T, updatedAt: T })
    const sourceId = newId('src')
    await store.createSource(sourceRecord({ id: sourceId, tenantId: 't1', createdAt: T, updatedAt: T }), null)
    const received = (at: number, n: number) => ({
      log: {
        id: `req_${n}`,
        sourceId,
        receivedAt: at,
        status: 'accepted' as const,
        eventType: `type.${n}`,
        idempotencyKey: null,
        error: null,
        actions: [],
        request: { method: 'POST', path: `/in/${sourceId}`, headers: {}, body: Buffer.from('{}') },
      },
      claim: null,
    })
    await store.recordSourceRequests([received(T - 2 * HOUR, 1), received(T - 30 * MINUTE, 2), received(T + 30 * MINUTE, 3)])
    const kept = async () => (await store.listSourceRequests(sourceId, { limit: 10, after: null })).map((r) => r.eventType)

    // Every prune the timer starts, so the test can wait for it.
    const prunes: Array<Promise<number>> = []
    const watched = {
      pruneSourceRequests: (before: number) => (prunes.push(store.pruneSourceRequests(before)), prunes.at(-1)!),
      pruneIdempotencyKeys: (before: number, limit: number) => store.pruneIdempotencyKeys(before, limit),
      pruneFinalEvents: (before: number, limit: number) => store.pruneFinalEvents(before, limit),
    }
    let now = T
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] })
    const stop = startRetention(watched, config.retentionMs, () => now)
    try {
      vi.advanceTimersByTime(9_999)
      expect(prunes).toHaveLength(0)
      vi.advanceTimersByTime(1)
      expect(prunes).toHaveLength(1)
      expect(await prunes[0]).toBe(1)
      expect(await kept()).toEqual(['type.3', 'type.2'])

      // An hour on, what was received more than an hour before then goes too.
      now = T + HOUR
      vi.advanceTimersByTime(HOUR)
      expect(prunes).toHaveLength(2)
      expect(await prunes[1]).toBe(1)
      expect(await kept()).toEqual(['type.3'])
    } finally {
      stop()
    }
    vi.advanceTimersByTime(2 * HOUR)
    expect(prunes).toHaveLength(2)
  })

  it('deletes publish idempotency keys once their 24-hour window is over, whatever the retention', async () => {
    const config = loadConfig({ HOOKRELAY_RETENTION: 'P90D' })
    await store.createTenant({ id: 't1', name: 't1', metadata: {}, createdAt: T, updatedAt: T })
    const keyed = async (key: string, at: number) => {
      const event = { id: newId('evt', at), tenantId: 't1', type: 'a.b', payloadJson: '{}', channels: [], idempotencyKey: key, occurredAt: at, createdAt: at, deliveryCount: 0 }
      return (await store.publishBatch([{ event, deliveries: [] }], at, 24 * HOUR))[0]!.kind
    }
    await keyed('day-old', T - 25 * HOUR)
    await keyed('hour-old', T - HOUR)
    const prunes: Array<{ before: number; deleted: Promise<number> }> = []
    const watched = {
      pruneSourceRequests: (before: number) => store.pruneSourceRequests(before),
      pruneFinalEvents: (before: number, limit: number) => store.pruneFinalEvents(before, limit),
      pruneIdempotencyKeys: (before: number, limit: number) => {
        const deleted = store.pruneIdempotencyKeys(before, limit)
        prunes.push({ before, deleted })
        return deleted
      },
    }
    vi.useFakeTimers({ toFake: ['setTimeout', 'setInterval', 'clearTimeout', 'clearInterval'] })
    const stop = startRetention(watched, config.retentionMs, () => T)
    try {
      vi.advanceTimersByTime(10_000)
      expect(prunes.map((p) => p.before)).toEqual([T - 24 * HOUR])
      expect(await prunes[0]!.deleted).toBe(1)
      // The younger key still answers its repeat.
      expect(await keyed('hour-old', T)).toBe('duplicate')
      expect(await keyed('day-old', T)).toBe('created')
    } finally {
      stop()
    }
  })
})
