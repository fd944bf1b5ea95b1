/**
 * The queue half of the Store contract: group commit, leases, settlement. Runs against every
 * dialect (test/contract/dialects.ts): SQLite in both synchronous modes, and PostgreSQL.
 */
import { expect, it } from 'vitest'
import { newId } from '../../src/core/ids.js'
import type { Attempt, Endpoint, StoredEvent } from '../../src/core/model.js'
import type { PublishItem, Store } from '../../src/store/store.js'
import { contractDialects, describeDialect, useDialectStore } from './dialects.js'
import { endpointRecord } from '../helpers/records.js'

const dialects = await contractDialects({ sqliteFull: true })

const T0 = 1_800_000_000_000

for (const dialect of dialects) {
  describeDialect(dialect, 'delivery queue', () => {
    let store: Store
    useDialectStore(dialect, T0, (s) => (store = s))

    async function endpoint(tenantId: string): Promise<Endpoint> {
      const ep = endpointRecord({ tenantId, createdAt: T0, updatedAt: T0 })
      await store.createEndpoint(ep, { current: 'sealed', previous: [] })
      return ep
    }

    function item(tenantId: string, endpointIds: string[], opts: { key?: string; lease?: string } = {}): PublishItem {
      const event: StoredEvent = {
        id: newId('evt'),
        tenantId,
        type: 'a.b',
        payloadJson: '{"n":1}',
        channels: [],
        idempotencyKey: opts.key ?? null,
        occurredAt: T0,
        createdAt: T0,
        deliveryCount: endpointIds.length,
      }
      const deliveries = endpointIds.map((endpointId) => ({
        id: newId('dlv'),
        endpointId,
        leaseOwner: opts.lease ?? null,
        nextAttemptAt: opts.lease ? T0 + 60_000 : T0,
      }))
      return { event, deliveries }
    }

    function attemptFor(deliveryId: string, endpointId: string, n: number): Attempt {
      return {
        id: newId('att'),
        deliveryId,
        endpointId,
        tenantId: 't1',
        attemptNumber: n,
        trigger: 'scheduled',
        startedAt: T0,
        durationMs: 3,
        request: { method: 'POST', url: 'http://127.0.0.1:1/x', headers: { a: 'b' }, body: '{"custom":true}' },
        response: { status: 500, headers: {}, body: 'no' },
        error: { kind: 'http', message: 'HTTP 500' },
        success: false,
      }
    }

    it('commits a group; a publish that cannot be written fails alone', async () => {
      const ep = await endpoint('t1')
      const good1 = item('t1', [ep.id])
      const bad = item('no-such-tenant', [ep.id])
      const good2 = item('t1', [ep.id])
      const out = await store.publishBatch([good1, bad, good2], T0, 86_400_000)
      expect(out.map((o) => o.kind)).toEqual(['created', 'error', 'created'])
      expect(await store.getEvent('t1', good1.event.id)).not.toBeNull()
      expect(await store.getEvent('t1', good2.event.id)).not.toBeNull()
      expect(await store.pendingCount()).toBe(2)
    })

    it('gives no delivery to an endpoint deleted or disabled since the fan-out', async () => {
      const live = await endpoint('t1')
      const gone = await endpoint('t1')
      const off = await endpoint('t1')
      await store.deleteEndpoint('t1', gone.id)
      await store.updateEndpoint('t1', off.id, { enabled: false }, T0)
      // Several events of one group to the same endpoints: each is judged alike (SQLite looks each
      // endpoint up once per group).
      const group = [item('t1', [live.id, gone.id, off.id]), item('t1', [off.id, live.id]), item('t1', [gone.id])]
      const out = await store.publishBatch(group, T0, 86_400_000)
      expect(out.map((o) => (o.kind === 'created' ? [o.event.deliveryCount, o.deliveryIds] : o.kind))).toEqual([
        [1, [group[0]!.deliveries[0]!.id]],
        [1, [group[1]!.deliveries[1]!.id]],
        [0, []],
      ])
      expect((await store.getEvent('t1', group[2]!.event.id))?.deliveryCount).toBe(0)
      expect(await store.pendingCount()).toBe(2)
    })

    it('an idempotency key returns the original within the window, and is free again after it', async () => {
      const ep = await endpoint('t1')
      const first = item('t1', [ep.id], { key: 'k' })
      const [a, b] = await store.publishBatch([first, item('t1', [ep.id], { key: 'k' })], T0, 1000)
      expect(a!.kind).toBe('created')
      expect(b).toMatchObject({ kind: 'duplicate', event: { id: first.event.id } })
      // Another tenant's identical key is its own.
      const [c] = await store.publishBatch([item('t2', [], { key: 'k' })], T0, 1000)
      expect(c!.kind).toBe('created')
      const [d] = await store.publishBatch([item('t1', [ep.id], { key: 'k' })], T0 + 2000, 1000)
      expect(d!.kind).toBe('created')
    })

    it('claims due deliveries once; an expired lease is claimable again', async () => {
      const ep = await endpoint('t1')
      await store.publishBatch([item('t1', [ep.id]), item('t1', [ep.id])], T0, 86_400_000)
      const a = await store.claimDue({ owner: 'A', now: T0, limit: 10, leaseMs: 1000 })
      expect(a).toHaveLength(2)
      expect(a[0]).toMatchObject({ tenantId: 't1', endpointId: ep.id, eventType: 'a.b', payloadJson: '{"n":1}', attemptCount: 0 })
      expect(await store.claimDue({ owner: 'B', now: T0 + 999, limit: 10, leaseMs: 1000 })).toHaveLength(0)
      const b = await store.claimDue({ owner: 'B', now: T0 + 1000, limit: 10, leaseMs: 1000 })
      expect(b.map((d) => d.id).sort()).toEqual(a.map((d) => d.id).sort())
    })

    it('does not hand out deliveries leased in the publish until the lease ends', async () => {
      const ep = await endpoint('t1')
      await store.publishBatch([item('t1', [ep.id], { lease: 'A' })], T0, 86_400_000)
      expect(await store.claimDue({ owner: 'B', now: T0 + 59_999, limit: 10, leaseMs: 1000 })).toHaveLength(0)
      expect(await store.claimDue({ owner: 'B', now: T0 + 60_000, limit: 10, leaseMs: 1000 })).toHaveLength(1)
    })

    it('skips the excluded endpoints when claiming', async () => {
      const e1 = await endpoint('t1')
      const e2 = await endpoint('t1')
      await store.publishBatch([item('t1', [e1.id, e2.id])], T0, 86_400_000)
      const got = await store.claimDue({ owner: 'A', now: T0, limit: 10, leaseMs: 1000, excludeEndpoints: [e1.id] })
      expect(got.map((d) => d.endpointId)).toEqual([e2.id])
    })

    it('settles with the lease; a settle whose lease was lost changes nothing but keeps its attempt', async () => {
      const ep = await endpoint('t1')
      await store.publishBatch([item('t1', [ep.id])], T0, 86_400_000)
      const [d] = await store.claimDue({ owner: 'A', now: T0, limit: 1, leaseMs: 1000 })
      // A's lease ends; B claims and settles first.
      const [d2] = await store.claimDue({ owner: 'B', now: T0 + 1000, limit: 1, leaseMs: 1000 })
      const won = await store.settle([
        { deliveryId: d2!.id, leaseOwner: 'B', claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt: attemptFor(d2!.id, ep.id, 1), envelopeBody: false, status: 'pending', nextAttemptAt: T0 + 5000 },
      ])
      const lost = await store.settle([
        { deliveryId: d!.id, leaseOwner: 'A', claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt: attemptFor(d!.id, ep.id, 1), envelopeBody: false, status: 'succeeded' },
      ])
      expect(won).toEqual([true])
      expect(lost).toEqual([false])
      const row = await store.getDelivery('t1', d!.id)
      expect(row).toMatchObject({ status: 'pending', attemptCount: 1, nextAttemptAt: T0 + 5000 })
      const attempts = await store.listAttempts(d!.id)
      expect(attempts).toHaveLength(2)
      expect(attempts[0]!.request.body).toBe('{"custom":true}')
      expect(await store.nextDueAt()).toBe(T0 + 5000)
    })

    it('a settlement whose delivery is gone is dropped; the rest of its batch is written', async () => {
      const gone = await endpoint('t1')
      const kept = await endpoint('t1')
      await store.publishBatch([item('t1', [gone.id, kept.id])], T0, 86_400_000)
      const claimed = await store.claimDue({ owner: 'A', now: T0, limit: 10, leaseMs: 1000 })
      expect(claimed).toHaveLength(2)
      await store.deleteEndpoint('t1', gone.id)
      const result = await store.settle(
        claimed.map((d) => ({ deliveryId: d.id, leaseOwner: 'A', claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt: attemptFor(d.id, d.endpointId, 1), envelopeBody: false, status: 'succeeded' }) as const),
      )
      expect(result).toEqual(claimed.map((d) => d.endpointId === kept.id))
      const keptDelivery = claimed.find((d) => d.endpointId === kept.id)!
      expect(await store.getDelivery('t1', keptDelivery.id)).toMatchObject({ status: 'succeeded', attemptCount: 1 })
      expect(await store.listAttempts(keptDelivery.id)).toHaveLength(1)
    })

    it('a delivery settled twice in one batch is settled once', async () => {
      const ep = await endpoint('t1')
      await store.publishBatch([item('t1', [ep.id])], T0, 86_400_000)
      const [d] = await store.claimDue({ owner: 'A', now: T0, limit: 1, leaseMs: 1000 })
      const settle = (status: 'succeeded' | 'failed') =>
        ({ deliveryId: d!.id, leaseOwner: 'A', claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt: attemptFor(d!.id, ep.id, 1), envelopeBody: false, status }) as const
      expect(await store.settle([settle('failed'), settle('succeeded')])).toEqual([true, false])
      expect(await store.getDelivery('t1', d!.id)).toMatchObject({ status: 'failed', attemptCount: 1 })
      expect(await store.listAttempts(d!.id)).toHaveLength(2)
    })

    it('a manual retry asked for during an attempt survives that attempt\'s settle', async () => {
      const ep = await endpoint('t1')
      await store.publishBatch([item('t1', [ep.id])], T0, 86_400_000)
      const [d] = await store.claimDue({ owner: 'A', now: T0, limit: 1, leaseMs: 60_000 })
      expect(await store.requeueManual('t1', d!.id, T0 + 1)).toBe(true)
      // A re-claims it (it is due again) while its first attempt is still under way.
      const [again] = await store.claimDue({ owner: 'A', now: T0 + 2, limit: 1, leaseMs: 60_000 })
      expect(again).toMatchObject({ id: d!.id, trigger: 'manual' })
      const applied = await store.settle([
        { deliveryId: d!.id, leaseOwner: 'A', claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt: attemptFor(d!.id, ep.id, 1), envelopeBody: false, status: 'succeeded' },
      ])
      expect(applied).toEqual([false])
      expect(await store.getDelivery('t1', d!.id)).toMatchObject({ status: 'pending' })
    })

    it('rebuilds an envelope body from the event on read', async () => {
      const ep = await endpoint('t1')
      const it1 = item('t1', [ep.id])
      await store.publishBatch([it1], T0, 86_400_000)
      const [d] = await store.claimDue({ owner: 'A', now: T0, limit: 1, leaseMs: 1000 })
      const a = attemptFor(d!.id, ep.id, 1)
      a.request.body = `{"id":"${it1.event.id}","type":"a.b","timestamp":"${new Date(T0).toISOString()}","data":{"n":1}}`
      await store.settle([{ deliveryId: d!.id, leaseOwner: 'A', claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt: a, envelopeBody: true, status: 'succeeded' }])
      const [got] = await store.listAttempts(d!.id)
      expect(got!.request.body).toBe(a.request.body)
    })

    it('keeps an attempt whose texts hold U+0000 (a receiver answering binary), and the settle with it', async () => {
      const ep = await endpoint('t1')
      await store.publishBatch([item('t1', [ep.id]), item('t1', [ep.id])], T0, 86_400_000)
      const [d1, d2] = await store.claimDue({ owner: 'A', now: T0, limit: 2, leaseMs: 1000 })
      const binary = attemptFor(d1!.id, ep.id, 1)
      binary.request.body = 'a\u0000b'
      binary.request.headers = { 'x-nul': 'a\u0000b' }
      binary.response = { status: 200, headers: { 'x-nul': 'c\u0000d' }, body: '\u0000PNG' }
      binary.error = { kind: 'network', message: 'bad \u0000 byte' }
      const applied = await store.settle([
        { deliveryId: d1!.id, leaseOwner: 'A', claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt: binary, envelopeBody: false, status: 'succeeded' },
        { deliveryId: d2!.id, leaseOwner: 'A', claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt: attemptFor(d2!.id, ep.id, 1), envelopeBody: false, status: 'succeeded' },
      ])
      expect(applied).toEqual([true, true])
      const [got] = await store.listAttempts(d1!.id)
      // SQLite keeps U+0000; PostgreSQL text cannot, and shows U+FFFD in its place.
      const nul = dialect.name.startsWith('postgres') ? '\uFFFD' : '\u0000'
      expect(got!.request.body).toBe(`a${nul}b`)
      expect(got!.response).toEqual({ status: 200, headers: { 'x-nul': 'c\u0000d' }, body: `${nul}PNG` })
      expect(got!.error!.message).toBe(`bad ${nul} byte`)
      expect((await store.listAttempts(d2!.id))).toHaveLength(1)
    })

    it("renews only the owner's pending leases, and never shortens one", async () => {
      const ep = await endpoint('t1')
      const handedOff = item('t1', [ep.id], { lease: 'A' }) // leased to A until T0 + 60 s
      await store.publishBatch([...Array.from({ length: 5 }, () => item('t1', [ep.id])), handedOff], T0, 86_400_000)
      const [kept, taken, settled, released, ended] = await store.claimDue({ owner: 'A', now: T0, limit: 10, leaseMs: 1000 })
      // `taken` goes to B (as when A's lease ends and B claims it), `settled` is finished, `released`
      // is due again with no owner; `ended` keeps its ended lease, which nobody has taken.
      await store.releaseLeases('A', [taken!.id], T0)
      expect((await store.claimDue({ owner: 'B', now: T0, limit: 10, leaseMs: 60_000 })).map((d) => d.id)).toEqual([taken!.id])
      await store.settle([{ deliveryId: settled!.id, leaseOwner: 'A', claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt: null, envelopeBody: false, status: 'succeeded' }])
      await store.releaseLeases('A', [released!.id], T0)
      const h = handedOff.deliveries[0]!.id

      const ids = [kept!.id, taken!.id, settled!.id, released!.id, ended!.id, h, 'dlv_unknown']
      const renewed = await store.renewLeases('A', ids, T0 + 5000)
      expect(renewed.sort()).toEqual([kept!.id, ended!.id, h].sort())
      expect(await store.renewLeases('A', [], T0 + 5000)).toEqual([])

      // A held delivery reads with its lease's end (the API shows it in flight); others with none.
      expect(await store.getDelivery('t1', kept!.id)).toMatchObject({ status: 'pending', nextAttemptAt: T0 + 5000, leasedUntil: T0 + 5000 })
      expect(await store.getDelivery('t1', h)).toMatchObject({ nextAttemptAt: T0 + 60_000, leasedUntil: T0 + 60_000 })
      expect(await store.getDelivery('t1', taken!.id)).toMatchObject({ nextAttemptAt: T0 + 60_000, leasedUntil: T0 + 60_000 })
      expect(await store.getDelivery('t1', settled!.id)).toMatchObject({ status: 'succeeded', nextAttemptAt: null, leasedUntil: null })
      expect(await store.getDelivery('t1', released!.id)).toMatchObject({ status: 'pending', nextAttemptAt: T0, leasedUntil: null })
      const listed = new Map((await store.listDeliveries('t1', {}, { limit: 10, after: null })).map((d) => [d.id, d.leasedUntil]))
      expect([kept, taken, settled, released].map((d) => listed.get(d!.id))).toEqual([T0 + 5000, T0 + 60_000, null, null])
      // Only the released one is due before the renewed leases end; then the renewed are, B's not.
      expect((await store.claimDue({ owner: 'C', now: T0 + 4999, limit: 10, leaseMs: 60_000 })).map((d) => d.id)).toEqual([released!.id])
      expect((await store.claimDue({ owner: 'C', now: T0 + 5000, limit: 10, leaseMs: 60_000 })).map((d) => d.id).sort()).toEqual([kept!.id, ended!.id].sort())
      // C holds them now: A's renewal comes back empty and changes nothing.
      expect(await store.renewLeases('A', [kept!.id, ended!.id], T0 + 90_000)).toEqual([])
      expect(await store.getDelivery('t1', kept!.id)).toMatchObject({ nextAttemptAt: T0 + 65_000 })
    })

    it('releases leases, re-queues manually and recovers failed deliveries', async () => {
      const ep = await endpoint('t1')
      await store.publishBatch([item('t1', [ep.id]), item('t1', [ep.id])], T0, 86_400_000)
      const claimed = await store.claimDue({ owner: 'A', now: T0, limit: 10, leaseMs: 60_000 })
      expect(await store.releaseLeases('A', [claimed[0]!.id], T0)).toBe(1)
      expect(await store.claimDue({ owner: 'B', now: T0, limit: 10, leaseMs: 60_000 })).toHaveLength(1)
      await store.settle(
        claimed.map((d) => ({ deliveryId: d.id, leaseOwner: d.id === claimed[0]!.id ? 'B' : 'A', claimedAttemptCount: 0, claimedTrigger: 'scheduled', attempt: attemptFor(d.id, ep.id, 1), envelopeBody: false, status: 'failed' as const })),
      )
      expect(await store.pendingCount()).toBe(0)
      expect(await store.recoverFailed('t1', ep.id, T0, T0 + 10)).toBe(2)
      const again = await store.claimDue({ owner: 'C', now: T0 + 10, limit: 10, leaseMs: 1000 })
      expect(again.map((d) => [d.trigger, d.oneShot])).toEqual([
        ['manual', true],
        ['manual', true],
      ])
      expect(await store.requeueManual('t2', again[0]!.id, T0)).toBe(false)
    })
  })
}
