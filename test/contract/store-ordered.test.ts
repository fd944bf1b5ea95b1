/**
 * Fifo endpoints in the Store contract (API.md, Endpoints: ordering): of an endpoint's pending
 * ordered deliveries only the oldest is ever claimable; it holds the others back while it waits for
 * a retry or is leased, and its final settlement makes the next one due in the same transaction.
 * Runs against every dialect (test/contract/dialects.ts).
 */
import { expect, it } from 'vitest'
import { newId } from '../../src/core/ids.js'
import type { Attempt, Endpoint, StoredEvent } from '../../src/core/model.js'
import type { DueDelivery, PublishItem, Settlement, Store } from '../../src/store/store.js'
import { endpointRecord } from '../helpers/records.js'
import { contractDialects, describeDialect, useDialectStore } from './dialects.js'

const dialects = await contractDialects({ sqliteFull: true })

const T0 = 1_800_000_000_000
const LEASE = 60_000

for (const dialect of dialects) {
  describeDialect(dialect, 'fifo endpoints', () => {
    let store: Store
    useDialectStore(dialect, T0, (s) => (store = s))

    async function endpoint(ordering: 'none' | 'fifo'): Promise<Endpoint> {
      const ep = endpointRecord({ tenantId: 't1', ordering, createdAt: T0, updatedAt: T0 })
      await store.createEndpoint(ep, { current: 'sealed', previous: [] })
      return ep
    }

    /** One event per endpoint list, published in one group; returns the delivery ids by endpoint, in publish order. */
    async function publish(count: number, ...endpoints: Endpoint[]): Promise<Map<string, string[]>> {
      const out = new Map<string, string[]>(endpoints.map((e) => [e.id, []]))
      const items: PublishItem[] = []
      for (let i = 0; i < count; i++) {
        const event: StoredEvent = {
          id: newId('evt'),
          tenantId: 't1',
          type: 'a.b',
          payloadJson: `{"n":${i}}`,
          channels: [],
          idempotencyKey: null,
          occurredAt: T0,
          createdAt: T0,
          deliveryCount: endpoints.length,
        }
        const deliveries = endpoints.map((e) => {
          const id = newId('dlv')
          out.get(e.id)!.push(id)
          return { id, endpointId: e.id, leaseOwner: null, nextAttemptAt: T0, ordered: e.ordering === 'fifo' }
        })
        items.push({ event, deliveries })
      }
      const outcomes = await store.publishBatch(items, T0, 86_400_000)
      expect(outcomes.every((o) => o.kind === 'created')).toBe(true)
      return out
    }

    const claim = (now: number, owner = 'w1'): Promise<DueDelivery[]> => store.claimDue({ owner, now, limit: 100, leaseMs: LEASE })

    function settle(d: DueDelivery, status: 'succeeded' | 'failed' | { retryAt: number }, owner = 'w1', ordered = d.ordered): Promise<boolean[]> {
      const attempt: Attempt = {
        id: newId('att'),
        deliveryId: d.id,
        endpointId: d.endpointId,
        tenantId: 't1',
        attemptNumber: d.attemptCount + 1,
        trigger: d.trigger,
        startedAt: T0,
        durationMs: 1,
        request: { method: 'POST', url: 'http://127.0.0.1:1/x', headers: {}, body: '' },
        response: { status: status === 'succeeded' ? 200 : 500, headers: {}, body: '' },
        error: null,
        success: status === 'succeeded',
      }
      const base = { deliveryId: d.id, leaseOwner: owner, claimedAttemptCount: d.attemptCount, claimedTrigger: d.trigger, attempt, envelopeBody: false, ordered }
      const s: Settlement = typeof status === 'object' ? { ...base, status: 'pending', nextAttemptAt: status.retryAt } : { ...base, status }
      return store.settle([s])
    }

    it('hands out one delivery of a fifo endpoint at a time, in publish order, beside unordered ones', async () => {
      const fifo = await endpoint('fifo')
      const plain = await endpoint('none')
      const ids = await publish(4, fifo, plain)
      const first = await claim(T0 + 1)
      // Every unordered delivery, and the fifo endpoint's oldest only.
      expect(first.filter((d) => d.endpointId === plain.id)).toHaveLength(4)
      expect(first.filter((d) => d.endpointId === fifo.id).map((d) => d.id)).toEqual([ids.get(fifo.id)![0]])
      expect(first.find((d) => d.endpointId === fifo.id)!.ordered).toBe(true)
      expect(first.find((d) => d.endpointId === plain.id)!.ordered).toBe(false)
      // While it is leased, nothing else of the endpoint is due, even long after.
      expect(await claim(T0 + LEASE / 2)).toEqual([])
      expect(await store.pendingCount()).toBe(8)

      const order: string[] = [first.find((d) => d.endpointId === fifo.id)!.id]
      let head = first.find((d) => d.endpointId === fifo.id)!
      for (let i = 1; i < 4; i++) {
        expect(await settle(head, 'succeeded')).toEqual([true])
        const next = await claim(T0 + 2)
        expect(next).toHaveLength(1)
        head = next[0]!
        order.push(head.id)
      }
      expect(order).toEqual(ids.get(fifo.id))
      await settle(head, 'failed')
      for (const d of first.filter((x) => x.endpointId === plain.id)) await settle(d, 'succeeded')
      expect(await store.pendingCount()).toBe(0)
    })

    it('holds the later deliveries while the head waits for its retry, until it finally fails', async () => {
      const fifo = await endpoint('fifo')
      const ids = (await publish(3, fifo)).get(fifo.id)!
      let [head] = await claim(T0 + 1)
      expect(head!.id).toBe(ids[0])
      await settle(head!, { retryAt: T0 + 10_000 })
      // Before the retry is due nothing is; the held ones stay held.
      expect(await claim(T0 + 9_999)).toEqual([])
      ;[head] = await claim(T0 + 10_000)
      expect(head).toMatchObject({ id: ids[0], attemptCount: 1 })
      await settle(head!, 'failed')
      const next = await claim(T0 + 10_001)
      expect(next.map((d) => d.id)).toEqual([ids[1]])
    })

    it('gives an expired lease back to the head only: a killed worker never lets the next one past', async () => {
      const fifo = await endpoint('fifo')
      const ids = (await publish(2, fifo)).get(fifo.id)!
      const [head] = await claim(T0 + 1, 'killed')
      expect(head!.id).toBe(ids[0])
      const again = await claim(T0 + 1 + LEASE, 'survivor')
      expect(again.map((d) => d.id)).toEqual([ids[0]])
      // The dead worker's settlement is refused, and promotes nothing.
      expect(await settle(head!, 'succeeded', 'killed')).toEqual([false])
      expect(await claim(T0 + 2 + LEASE, 'survivor')).toEqual([])
      await settle(again[0]!, 'succeeded', 'survivor')
      expect((await claim(T0 + 3 + LEASE, 'survivor')).map((d) => d.id)).toEqual([ids[1]])
    })

    it('a publish while the head is under way is held behind it; with nothing under way it is due at once', async () => {
      const fifo = await endpoint('fifo')
      const [a] = (await publish(1, fifo)).get(fifo.id)!
      const [head] = await claim(T0 + 1)
      expect(head!.id).toBe(a)
      const [b] = (await publish(1, fifo)).get(fifo.id)!
      expect(await claim(T0 + 2)).toEqual([])
      await settle(head!, 'succeeded')
      expect((await claim(T0 + 3)).map((d) => d.id)).toEqual([b])
      expect((await store.getDelivery('t1', b!))!.status).toBe('pending')
    })

    it('a manual retry of a finished ordered delivery takes its turn after the one under way', async () => {
      const fifo = await endpoint('fifo')
      const ids = (await publish(3, fifo)).get(fifo.id)!
      let [head] = await claim(T0 + 1)
      await settle(head!, 'failed')
      ;[head] = await claim(T0 + 2)
      expect(head!.id).toBe(ids[1])
      // ids[0] again, while ids[1] is leased: held, then next (it is older than ids[2]).
      expect(await store.requeueManual('t1', ids[0]!, T0 + 3)).toBe(true)
      expect(await claim(T0 + 4)).toEqual([])
      await settle(head!, 'succeeded')
      const [retried] = await claim(T0 + 5)
      expect(retried).toMatchObject({ id: ids[0], trigger: 'manual', oneShot: true })
      await settle(retried!, 'succeeded')
      expect((await claim(T0 + 6)).map((d) => d.id)).toEqual([ids[2]])
    })

    it('recovered ordered deliveries go one at a time, oldest first', async () => {
      const fifo = await endpoint('fifo')
      const ids = (await publish(3, fifo)).get(fifo.id)!
      for (let i = 0; i < 3; i++) {
        const [head] = await claim(T0 + 1 + i)
        await settle(head!, 'failed')
      }
      expect(await store.recoverFailed('t1', fifo.id, T0, T0 + 10)).toBe(3)
      const seen: string[] = []
      for (let i = 0; i < 3; i++) {
        const got = await claim(T0 + 11 + i)
        expect(got).toHaveLength(1)
        seen.push(got[0]!.id)
        await settle(got[0]!, 'succeeded')
      }
      expect(seen).toEqual(ids)
    })

    it('releaseOrdered lets what was held go at once, as unordered deliveries', async () => {
      const fifo = await endpoint('fifo')
      await publish(3, fifo)
      expect(await claim(T0 + 1)).toHaveLength(1)
      expect(await store.releaseOrdered(fifo.id, T0 + 2)).toBe(3)
      const rest = await claim(T0 + 2)
      expect(rest).toHaveLength(2)
      expect(rest.every((d) => !d.ordered)).toBe(true)
    })

    it('promoteOrdered repairs an endpoint left with held deliveries and nothing scheduled', async () => {
      const fifo = await endpoint('fifo')
      const ids = (await publish(2, fifo)).get(fifo.id)!
      const [head] = await claim(T0 + 1)
      // Settled as if unordered: nothing promotes the next one.
      await settle(head!, 'succeeded', 'w1', false)
      expect(await claim(T0 + 2)).toEqual([])
      expect(await store.promoteOrdered([fifo.id], T0 + 3)).toBe(1)
      expect(await store.promoteOrdered(null, T0 + 3)).toBe(0)
      expect((await claim(T0 + 3)).map((d) => d.id)).toEqual([ids[1]])
    })
  })
}
