/**
 * Store.attemptSeries: attempts counted per clock-aligned bucket, of one endpoint or of a tenant's
 * endpoints, with the mean and nearest-rank p95 of the response times of each bucket. The same
 * tests on every dialect (test/contract/dialects.ts).
 */
import { expect, it } from 'vitest'
import { newId } from '../../src/core/ids.js'
import type { Attempt, Delivery, Endpoint, StoredEvent } from '../../src/core/model.js'
import type { Store } from '../../src/store/store.js'
import { endpointRecord } from '../helpers/records.js'
import { contractDialects, describeDialect, useDialectStore } from './dialects.js'

const dialects = await contractDialects()

// A multiple of the hour, past 2^32 (PostgreSQL's int8 comes back as a number).
const T0 = 1_800_000_000_000
const MIN = 60_000
const HOUR = 3_600_000

for (const dialect of dialects) {
  describeDialect(dialect, 'attempt series', () => {
    let store: Store
    useDialectStore(dialect, T0, (s) => (store = s))

    async function endpoint(tenantId: string): Promise<Endpoint> {
      const ep = endpointRecord({ tenantId, createdAt: T0, updatedAt: T0 })
      await store.createEndpoint(ep, { current: 'sealed', previous: [] })
      return ep
    }
    /** One finished delivery with one attempt started at `startedAt`: ok (200) or not (500), or with no response at all (timeout). */
    async function attempt(ep: Endpoint, startedAt: number, durationMs: number, outcome: 'ok' | 'http500' | 'timeout' = 'ok'): Promise<void> {
      const event: StoredEvent = { id: newId('evt'), tenantId: ep.tenantId, type: 'x.y', payloadJson: '{}', channels: [], idempotencyKey: null, occurredAt: startedAt, createdAt: startedAt, deliveryCount: 1 }
      const success = outcome === 'ok'
      const delivery: Delivery = { id: newId('dlv'), tenantId: ep.tenantId, eventId: event.id, endpointId: ep.id, status: success ? 'succeeded' : 'failed', attemptCount: 1, nextAttemptAt: null, leasedUntil: null, createdAt: startedAt, updatedAt: startedAt }
      const a: Attempt = {
        id: newId('att'),
        deliveryId: delivery.id,
        endpointId: ep.id,
        tenantId: ep.tenantId,
        attemptNumber: 1,
        trigger: 'scheduled',
        startedAt,
        durationMs,
        request: { method: 'POST', url: ep.url, headers: {}, body: '{}' },
        response: outcome === 'timeout' ? null : { status: success ? 200 : 500, headers: {}, body: '' },
        error: outcome === 'timeout' ? { kind: 'timeout', message: 'timed out' } : outcome === 'http500' ? { kind: 'http', message: 'HTTP 500' } : null,
        success,
      }
      await store.recordTestDelivery(delivery, event, a)
    }

    it('counts the attempts that started in each bucket, with mean and nearest-rank p95 of the response times', async () => {
      const ep = await endpoint('t1')
      const other = await endpoint('t1')
      // Minute 0: 20 attempts of 1..20 ms, every 4th a 500, plus a timeout (no response time).
      for (let ms = 1; ms <= 20; ms++) await attempt(ep, T0 + ms * 100, ms, ms % 4 === 0 ? 'http500' : 'ok')
      await attempt(ep, T0 + 30_000, 30_000, 'timeout')
      // Minute 2: its last millisecond; minute 3: only a timeout.
      await attempt(ep, T0 + 3 * MIN - 1, 40)
      await attempt(ep, T0 + 3 * MIN, 10_000, 'timeout')
      // Outside the window, and another endpoint's.
      await attempt(ep, T0 - 1, 7)
      await attempt(ep, T0 + 10 * MIN, 7)
      await attempt(other, T0 + 500, 999)

      const rows = await store.attemptSeries({ tenantId: 't1', endpointId: ep.id }, { from: T0, to: T0 + 10 * MIN, bucketMs: MIN })
      expect(rows).toEqual([
        { start: T0, attempts: 21, succeeded: 15, failed: 6, avgResponseMs: 11, p95ResponseMs: 19 },
        { start: T0 + 2 * MIN, attempts: 1, succeeded: 1, failed: 0, avgResponseMs: 40, p95ResponseMs: 40 },
        { start: T0 + 3 * MIN, attempts: 1, succeeded: 0, failed: 1, avgResponseMs: null, p95ResponseMs: null },
      ])
      // Hour buckets: one for all of them, the other endpoint left out.
      expect(await store.attemptSeries({ tenantId: 't1', endpointId: ep.id }, { from: T0, to: T0 + HOUR, bucketMs: HOUR })).toEqual([
        { start: T0, attempts: 24, succeeded: 17, failed: 7, avgResponseMs: 12, p95ResponseMs: 20 },
      ])
      // Another tenant names this endpoint: nothing.
      expect(await store.attemptSeries({ tenantId: 't2', endpointId: ep.id }, { from: T0, to: T0 + HOUR, bucketMs: HOUR })).toEqual([])
    })

    it("adds up a tenant's endpoints and leaves other tenants' out", async () => {
      const a = await endpoint('t1')
      const b = await endpoint('t1')
      const foreign = await endpoint('t2')
      await attempt(a, T0 + 1, 10)
      await attempt(b, T0 + 2, 30)
      await attempt(b, T0 + HOUR + 5, 50, 'http500')
      await attempt(foreign, T0 + 3, 1000)
      expect(await store.attemptSeries({ tenantId: 't1' }, { from: T0, to: T0 + 2 * HOUR, bucketMs: HOUR })).toEqual([
        { start: T0, attempts: 2, succeeded: 2, failed: 0, avgResponseMs: 20, p95ResponseMs: 30 },
        { start: T0 + HOUR, attempts: 1, succeeded: 0, failed: 1, avgResponseMs: 50, p95ResponseMs: 50 },
      ])
      expect(await store.attemptSeries({ tenantId: 't2' }, { from: T0, to: T0 + 2 * HOUR, bucketMs: HOUR })).toEqual([
        { start: T0, attempts: 1, succeeded: 1, failed: 0, avgResponseMs: 1000, p95ResponseMs: 1000 },
      ])
    })
  })
}
