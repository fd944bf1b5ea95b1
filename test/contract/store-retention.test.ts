/**
 * Retention of outbound data (API.md, Running: HOOKRELAY_RETENTION): events older than the
 * retention period whose deliveries are all final go with their deliveries and attempts, in
 * batches; an event with a pending delivery is never touched, nor a recent one. Every dialect.
 */
import { beforeEach, expect, it } from 'vitest'
import { createIdGenerator } from '../../src/core/ids.js'
import type { Attempt, Endpoint, StoredEvent } from '../../src/core/model.js'
import { BATCH_BUDGET_MS, FIRST_BATCH } from '../../src/core/retention-batch.js'
import { startRetention } from '../../src/services/retention.js'
import type { PublishItem, Store } from '../../src/store/store.js'
import { eventually } from '../helpers/server.js'
import { endpointRecord } from '../helpers/records.js'
import { contractDialects, describeDialect, useDialectStore } from './dialects.js'

const dialects = await contractDialects()
const DAY = 24 * 3600 * 1000
const T0 = 1_800_000_000_000

for (const dialect of dialects) {
  describeDialect(dialect, 'retention of events', () => {
    let store: Store
    useDialectStore(dialect, T0, (s) => (store = s))
    // Ids made at each test's own times, from a generator of its own: retention bounds its scan by
    // the time in event ids, and the module's generator, being monotonic, would give ids made "40
    // days ago" the time of the latest id any test made.
    let newId = createIdGenerator()
    beforeEach(() => {
      newId = createIdGenerator()
    })

    async function endpoint(): Promise<Endpoint> {
      const ep = endpointRecord({ tenantId: 't1', createdAt: T0, updatedAt: T0 })
      await store.createEndpoint(ep, { current: 'sealed', previous: [] })
      return ep
    }

    /** An event created at `at` with one delivery per endpoint, leased to A so claimDue need not. */
    async function publish(at: number, endpoints: Endpoint[]): Promise<{ eventId: string; deliveryIds: string[] }> {
      const event: StoredEvent = { id: newId('evt', at), tenantId: 't1', type: 'a.b', payloadJson: '{}', channels: [], idempotencyKey: null, occurredAt: at, createdAt: at, deliveryCount: endpoints.length }
      const deliveries = endpoints.map((ep) => ({ id: newId('dlv', at), endpointId: ep.id, leaseOwner: 'A', nextAttemptAt: at + 60_000 }))
      const item: PublishItem = { event, deliveries }
      expect((await store.publishBatch([item], at, DAY))[0]!.kind).toBe('created')
      return { eventId: event.id, deliveryIds: deliveries.map((d) => d.id) }
    }

    const attempt = (deliveryId: string, endpointId: string, at: number): Attempt => ({
      id: newId('att', at), deliveryId, endpointId, tenantId: 't1', attemptNumber: 1, trigger: 'scheduled', startedAt: at, durationMs: 3,
      request: { method: 'POST', url: 'http://127.0.0.1:1/x', headers: {}, body: '{}' }, response: { status: 500, headers: {}, body: '' }, error: null, success: false,
    })

    async function settle(deliveryId: string, endpointId: string, at: number, status: 'succeeded' | 'failed' | 'pending'): Promise<void> {
      const base = { deliveryId, leaseOwner: 'A', claimedAttemptCount: 0, claimedTrigger: 'scheduled' as const, attempt: attempt(deliveryId, endpointId, at), envelopeBody: false }
      const r = await store.settle([status === 'pending' ? { ...base, status, nextAttemptAt: at + 5000 } : { ...base, status }])
      expect(r).toEqual([true])
    }

    it('deletes old events whose deliveries are all final, with deliveries and attempts; never pending or recent ones', async () => {
      const [e1, e2] = [await endpoint(), await endpoint()]
      const old = T0 - 40 * DAY
      const done = await publish(old, [e1, e2])
      await settle(done.deliveryIds[0]!, e1.id, old, 'succeeded')
      await settle(done.deliveryIds[1]!, e2.id, old, 'failed')
      // Old, but one delivery still pending (waiting for a retry): kept whole.
      const waiting = await publish(old, [e1, e2])
      await settle(waiting.deliveryIds[0]!, e1.id, old, 'succeeded')
      await settle(waiting.deliveryIds[1]!, e2.id, old, 'pending')
      // Old and never attempted: pending, kept.
      const fresh = await publish(old, [e1])
      // Recent and final: kept.
      const recent = await publish(T0 - DAY, [e1])
      await settle(recent.deliveryIds[0]!, e1.id, T0 - DAY, 'succeeded')

      const deleted = await store.pruneFinalEvents(T0 - 30 * DAY, 100)
      expect(deleted).toBe(1)
      expect(await store.getEvent('t1', done.eventId)).toBeNull()
      for (const id of done.deliveryIds) {
        expect(await store.getDelivery('t1', id)).toBeNull()
        expect(await store.listAttempts(id)).toEqual([])
      }
      for (const kept of [waiting, fresh, recent]) {
        expect(await store.getEvent('t1', kept.eventId)).not.toBeNull()
        for (const id of kept.deliveryIds) expect(await store.getDelivery('t1', id)).not.toBeNull()
      }
      expect(await store.listAttempts(waiting.deliveryIds[0]!)).toHaveLength(1)
      expect(await store.pendingCount()).toBe(2)
    })

    it('takes exactly the events created before the cutoff, to the millisecond, oldest first by id', async () => {
      const ep = await endpoint()
      const cutoff = T0 - 30 * DAY
      const final = async (at: number): Promise<string> => {
        const p = await publish(at, [ep])
        await settle(p.deliveryIds[0]!, ep.id, at, 'succeeded')
        return p.eventId
      }
      const oldest = await final(cutoff - 2)
      const older = await final(cutoff - 1)
      const atCutoff = await final(cutoff)
      // An id made before the cutoff for an event created at it (a publish whose id was taken
      // before the clock reading that became its created_at): created_at decides, it stays.
      const event: StoredEvent = { id: createIdGenerator()('evt', cutoff - 5000), tenantId: 't1', type: 'a.b', payloadJson: '{}', channels: [], idempotencyKey: null, occurredAt: cutoff, createdAt: cutoff, deliveryCount: 0 }
      expect((await store.publishBatch([{ event, deliveries: [] }], cutoff, DAY))[0]!.kind).toBe('created')

      // Oldest first: a batch of one takes the oldest, the next the other; none is left after.
      expect(await store.pruneFinalEvents(cutoff, 1)).toBe(1)
      expect(await store.getEvent('t1', oldest)).toBeNull()
      expect(await store.getEvent('t1', older)).not.toBeNull()
      expect(await store.pruneFinalEvents(cutoff, 10)).toBe(1)
      expect(await store.getEvent('t1', older)).toBeNull()
      expect(await store.pruneFinalEvents(cutoff, 10)).toBe(0)
      expect(await store.getEvent('t1', atCutoff)).not.toBeNull()
      expect(await store.getEvent('t1', event.id)).not.toBeNull()
      // A millisecond later both are old.
      expect(await store.pruneFinalEvents(cutoff + 1, 10)).toBe(2)
    })

    it('startRetention deletes them in batches sized by time, from its first pass, until none is left', async () => {
      const ep = await endpoint()
      const old = T0 - 40 * DAY
      // On this clock every batch takes twice the budget, so each is half the one before.
      const sizes = [FIRST_BATCH, FIRST_BATCH / 2, FIRST_BATCH / 4, Math.round(FIRST_BATCH / 8)]
      const n = sizes[0]! + sizes[1]! + sizes[2]! + 7
      const ids: string[] = []
      for (let i = 0; i < n; i++) {
        const p = await publish(old + i, [ep])
        await settle(p.deliveryIds[0]!, ep.id, old + i, 'succeeded')
        ids.push(p.eventId)
      }
      const calls: Array<[number, number]> = []
      let clock = 0
      const stop = startRetention(
        { ...store, pruneSourceRequests: (b) => store.pruneSourceRequests(b), pruneIdempotencyKeys: (b, l) => store.pruneIdempotencyKeys(b, l), pruneFinalEvents: async (b, l) => { const d = await store.pruneFinalEvents(b, l); calls.push([l, d]); return d } },
        30 * DAY,
        () => T0,
        0,
        () => (clock += 2 * BATCH_BUDGET_MS),
      )
      try {
        await eventually(async () => calls.length === 4 || undefined, 20_000)
        expect(calls).toEqual([[sizes[0], sizes[0]], [sizes[1], sizes[1]], [sizes[2], sizes[2]], [sizes[3], 7]])
        for (const id of ids) expect(await store.getEvent('t1', id)).toBeNull()
      } finally {
        stop()
      }
    })
  })
}
