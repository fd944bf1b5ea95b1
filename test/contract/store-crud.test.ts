/**
 * The rest of the Store contract (the queue is in store-queue.test.ts): settings, tenants, API
 * keys, event types, endpoints, events, the delivery log and endpoint stats, sources and their
 * request log. The same tests run against every dialect (test/contract/dialects.ts).
 */
import { describe, expect, it } from 'vitest'
import { newId } from '../../src/core/ids.js'
import type { Attempt, Delivery, Endpoint, Route, Source, SourceRequest, StoredEvent } from '../../src/core/model.js'
import { DEFAULT_PAYLOAD, defaultBody } from '../../src/core/shaping/payload-body.js'
import type { PublishItem, SourceRequestWrite, Store } from '../../src/store/store.js'
import { contractDialects, describeDialect, useDialectStore } from './dialects.js'
import { endpointRecord, sourceRecord } from '../helpers/records.js'

const dialects = await contractDialects()

// Past 2^31 and 2^32: times must come back as the numbers written (PostgreSQL's int8 is parsed).
const T0 = 1_800_000_000_000
const DAY = 86_400_000
const first = { limit: 100, after: null }

for (const dialect of dialects) {
  describeDialect(dialect, 'store CRUD', () => {
    let store: Store
    useDialectStore(dialect, T0, (s) => (store = s))

    async function endpoint(tenantId: string, over: Partial<Endpoint> = {}): Promise<Endpoint> {
      const ep = endpointRecord({ name: 'orders', description: 'the orders service', url: 'https://example.test/hook', createdAt: T0, updatedAt: T0, ...over, tenantId })
      await store.createEndpoint(ep, { current: `sealed-${ep.id}`, previous: [] })
      return ep
    }
    function eventRecord(tenantId: string, over: Partial<StoredEvent> = {}): StoredEvent {
      return {
        id: newId('evt'),
        tenantId,
        type: 'order.created',
        payloadJson: '{"n":1}',
        channels: [],
        idempotencyKey: null,
        occurredAt: T0,
        createdAt: T0,
        deliveryCount: 0,
        ...over,
      }
    }
    async function publish(tenantId: string, endpointIds: string[], over: Partial<StoredEvent> = {}): Promise<{ event: StoredEvent; deliveryIds: string[] }> {
      const event = eventRecord(tenantId, { deliveryCount: endpointIds.length, ...over })
      const item: PublishItem = { event, deliveries: endpointIds.map((endpointId) => ({ id: newId('dlv'), endpointId, leaseOwner: null, nextAttemptAt: T0 })) }
      const [o] = await store.publishBatch([item], T0, DAY)
      if (o?.kind !== 'created') throw new Error(`publish: ${o?.kind}`)
      return { event: o.event, deliveryIds: o.deliveryIds }
    }
    function attempt(d: Pick<Delivery, 'id' | 'endpointId' | 'tenantId'>, over: Partial<Attempt> = {}): Attempt {
      return {
        id: newId('att'),
        deliveryId: d.id,
        endpointId: d.endpointId,
        tenantId: d.tenantId,
        attemptNumber: 1,
        trigger: 'scheduled',
        startedAt: T0,
        durationMs: 5,
        request: { method: 'POST', url: 'https://example.test/hook', headers: { 'content-type': 'application/json' }, body: '{"x":1}' },
        response: { status: 200, headers: { 'x-r': '1' }, body: 'ok' },
        error: null,
        success: true,
        ...over,
      }
    }
    /** A finished delivery with one attempt, made the way an endpoint test records it. */
    async function finished(ep: Endpoint, over: Partial<Attempt>, createdAt = T0): Promise<{ delivery: Delivery; attempt: Attempt; event: StoredEvent }> {
      const event = eventRecord(ep.tenantId, { deliveryCount: 1, createdAt })
      const ok = over.success ?? true
      const delivery: Delivery = {
        id: newId('dlv'),
        tenantId: ep.tenantId,
        eventId: event.id,
        endpointId: ep.id,
        status: ok ? 'succeeded' : 'failed',
        attemptCount: 1,
        nextAttemptAt: null,
        leasedUntil: null,
        createdAt,
        updatedAt: createdAt,
      }
      const a = attempt(delivery, over)
      await store.recordTestDelivery(delivery, event, a)
      return { delivery, attempt: a, event }
    }

    describe('settings', () => {
      it('keeps the first value a key was given', async () => {
        expect(await store.getSetting('k')).toBeNull()
        expect(await store.initSetting('k', 'one')).toBe('one')
        expect(await store.initSetting('k', 'two')).toBe('one')
        expect(await store.getSetting('k')).toBe('one')
      })
    })

    describe('tenants', () => {
      it('creates once, reads, updates and lists in byte order of id', async () => {
        const t = { id: 'tn_x', name: 'X', metadata: { plan: 'pro', n: [1, 2] }, allowedNetworks: null, createdAt: T0, updatedAt: T0 }
        expect(await store.createTenant(t)).toBe(true)
        expect(await store.createTenant({ ...t, name: 'again' })).toBe(false)
        expect(await store.getTenant('tn_x')).toEqual(t)
        expect(await store.getTenant('nope')).toBeNull()

        expect(await store.updateTenant('tn_x', { name: 'Y' }, T0 + 1)).toEqual({ ...t, name: 'Y', updatedAt: T0 + 1 })
        expect(await store.updateTenant('tn_x', { metadata: {} }, T0 + 2)).toEqual({ ...t, name: 'Y', metadata: {}, updatedAt: T0 + 2 })
        expect(await store.updateTenant('nope', { name: 'Z' }, T0)).toBeNull()

        // allowedNetworks: null (the server's list) until set; [] is kept apart from null; null again clears it.
        const nets = ['10.1.0.0/16', 'fd00:1::/64']
        expect(await store.updateTenant('tn_x', { allowedNetworks: nets }, T0 + 3)).toEqual({ ...t, name: 'Y', metadata: {}, allowedNetworks: nets, updatedAt: T0 + 3 })
        expect((await store.updateTenant('tn_x', { name: 'Y2' }, T0 + 4))?.allowedNetworks).toEqual(nets)
        expect((await store.updateTenant('tn_x', { allowedNetworks: [] }, T0 + 5))?.allowedNetworks).toEqual([])
        expect((await store.getTenant('tn_x'))?.allowedNetworks).toEqual([])
        expect((await store.updateTenant('tn_x', { allowedNetworks: null }, T0 + 6))?.allowedNetworks).toBeNull()
        expect(await store.createTenant({ id: 'tn_n', name: 'N', metadata: {}, allowedNetworks: ['127.0.0.1/32'], createdAt: T0, updatedAt: T0 })).toBe(true)
        expect((await store.getTenant('tn_n'))?.allowedNetworks).toEqual(['127.0.0.1/32'])
        await store.deleteTenant('tn_n')

        // Bytewise, as SQLite compares TEXT: 'A' < 'aB' < 'a_b' < 'ab' (a locale collation would differ).
        for (const id of ['ab', 'a_b', 'A', 'aB']) await store.createTenant({ id, name: id, metadata: {}, createdAt: T0, updatedAt: T0 })
        const ids = (await store.listTenants(first)).map((x) => x.id)
        expect(ids).toEqual(['A', 'aB', 'a_b', 'ab', 't1', 't2', 'tn_x'])
        expect((await store.listTenants({ limit: 2, after: 'aB' })).map((x) => x.id)).toEqual(['a_b', 'ab'])
      })

      it('deleting a tenant deletes everything it owns', async () => {
        const ep = await endpoint('t1')
        const { event, deliveryIds } = await publish('t1', [ep.id])
        await store.createApiKey({ id: newId('key'), tenantId: 't1', name: 'k', createdAt: T0 }, 'hash-t1')
        await store.createSource(source('t1'), null)
        const other = await endpoint('t2')
        await publish('t2', [other.id])

        expect(await store.deleteTenant('t1')).toBe(true)
        expect(await store.deleteTenant('t1')).toBe(false)
        expect(await store.getEndpoint(null, ep.id)).toBeNull()
        expect(await store.getEvent('t1', event.id)).toBeNull()
        expect(await store.getDelivery('t1', deliveryIds[0]!)).toBeNull()
        expect(await store.findApiKey('hash-t1')).toBeNull()
        expect(await store.listSources('t1', first)).toEqual([])
        expect(await store.pendingCount()).toBe(1) // t2's
      })
    })

    describe('API keys', () => {
      it('finds a key by its hash, lists a tenant\'s newest first, deletes within the tenant', async () => {
        const keys = [0, 1, 2].map((n) => ({ id: newId('key'), tenantId: 't1', name: `k${n}`, createdAt: T0 + n }))
        for (const [n, k] of keys.entries()) await store.createApiKey(k, `hash-${n}`)
        await store.createApiKey({ id: newId('key'), tenantId: 't2', name: 'other', createdAt: T0 }, 'hash-other')

        expect(await store.findApiKey('hash-1')).toEqual(keys[1])
        expect(await store.findApiKey('hash-none')).toBeNull()
        await expect(store.createApiKey({ id: newId('key'), tenantId: 't1', name: 'dup', createdAt: T0 }, 'hash-1')).rejects.toThrow()

        expect(await store.listApiKeys('t1', first)).toEqual([...keys].reverse())
        expect(await store.listApiKeys('t1', { limit: 1, after: keys[2]!.id })).toEqual([keys[1]])

        expect(await store.deleteApiKey('t2', keys[0]!.id)).toBe(false)
        expect(await store.deleteApiKey('t1', keys[0]!.id)).toBe(true)
        expect(await store.findApiKey('hash-0')).toBeNull()
      })
    })

    describe('event types', () => {
      it('creates once, lists by name, patches and deletes', async () => {
        const t = {
          name: 'order.created',
          description: 'An order was placed',
          schema: { type: 'object', required: ['id'] },
          example: { id: 'o_1' },
          createdAt: T0,
          updatedAt: T0,
        }
        expect(await store.createEventType(t)).toBe(true)
        expect(await store.createEventType(t)).toBe(false)
        await store.createEventType({ ...t, name: 'invoice.paid', schema: null, example: null })
        await store.createEventType({ ...t, name: 'Invoice.paid', schema: null, example: null })

        expect(await store.getEventType('order.created')).toEqual(t)
        expect(await store.getEventType('nope')).toBeNull()
        expect((await store.listEventTypes(first)).map((x) => x.name)).toEqual(['Invoice.paid', 'invoice.paid', 'order.created'])
        expect((await store.listEventTypes({ limit: 5, after: 'invoice.paid' })).map((x) => x.name)).toEqual(['order.created'])

        expect(await store.updateEventType('order.created', { description: 'placed', schema: null }, T0 + 5)).toEqual({
          ...t,
          description: 'placed',
          schema: null,
          updatedAt: T0 + 5,
        })
        expect(await store.updateEventType('nope', { description: 'x' }, T0)).toBeNull()
        expect(await store.deleteEventType('order.created')).toBe(true)
        expect(await store.deleteEventType('order.created')).toBe(false)
      })
    })

    describe('endpoints', () => {
      it('keeps every field, request shaping included, and the sealed secrets', async () => {
        const ep = endpointRecord({
          tenantId: 't1',
          method: 'PUT',
          auth: { type: 'basic', username: 'u', password: { sealed: 'sealed-pw', hint: '****pw' } },
          headers: { 'x-team': '{{ tenant.metadata.team }}', Authorization: { sealed: 'sealed-authorization', hint: 'Bearer ****' } },
          queryParams: { v: '2' },
          payload: { ...DEFAULT_PAYLOAD, format: 'text', template: '{{ event.type }}', extraFields: { source: 'hr' }, includeHeaders: true },
          eventTypes: ['order.*'],
          channels: ['eu'],
          retry: { enabled: true, maxRetries: 2, schedule: [5, 60] },
          timeoutSeconds: 10,
          rateLimitPerSecond: 50,
          metadata: { region: 'eu' },
          failingSince: T0 - DAY,
        })
        const secrets = { current: 'sealed-now', previous: [{ sealed: 'sealed-before', expiresAt: T0 + DAY }] }
        await store.createEndpoint(ep, secrets)
        expect(await store.getEndpoint('t1', ep.id)).toEqual(ep)
        expect(await store.getEndpoint(null, ep.id)).toEqual(ep)
        expect(await store.getEndpoint('t2', ep.id)).toBeNull()
        expect(await store.getSecrets(ep.id)).toEqual(secrets)
        expect(await store.getSecrets('ep_none')).toBeNull()

        // Every rotated-out secret, newest first, each with its own expiry.
        const rotated = { current: 'sealed-next', previous: [{ sealed: 'sealed-now', expiresAt: T0 + 2 * DAY }, ...secrets.previous] }
        await store.setSecrets(ep.id, rotated, T0 + 7)
        expect(await store.getSecrets(ep.id)).toEqual(rotated)
        expect((await store.getEndpoint('t1', ep.id))!.updatedAt).toBe(T0 + 7)
        expect(await store.setSecrets(ep.id, { current: 'sealed-next', previous: [] }, T0 + 8)).toBe(true)
        expect(await store.getSecrets(ep.id)).toEqual({ current: 'sealed-next', previous: [] })
        // A rotation computed from a stale read (another landed since) writes nothing.
        expect(await store.setSecrets(ep.id, { current: 'sealed-late', previous: [] }, T0 + 9, 'sealed-now')).toBe(false)
        expect(await store.getSecrets(ep.id)).toEqual({ current: 'sealed-next', previous: [] })
        expect(await store.setSecrets(ep.id, { current: 'sealed-late', previous: [] }, T0 + 9, 'sealed-next')).toBe(true)
        expect((await store.getSecrets(ep.id))!.current).toBe('sealed-late')
      })

      it('patches only the fields given, by tenant or by id alone', async () => {
        const ep = await endpoint('t1', { headers: { a: '1' } })
        const patched = await store.updateEndpoint('t1', ep.id, { enabled: false, disabledReason: 'failing', method: 'PATCH', auth: { type: 'bearer', token: { sealed: 's', hint: '****' } } }, T0 + 1)
        expect(patched).toEqual({ ...ep, enabled: false, disabledReason: 'failing', method: 'PATCH', auth: { type: 'bearer', token: { sealed: 's', hint: '****' } }, updatedAt: T0 + 1 })
        expect(await store.updateEndpoint(null, ep.id, { failingSince: null, rateLimitPerSecond: 3 }, T0 + 2)).toMatchObject({ failingSince: null, rateLimitPerSecond: 3, headers: { a: '1' }, updatedAt: T0 + 2 })
        expect(await store.updateEndpoint('t2', ep.id, { name: 'x' }, T0)).toBeNull()
        expect(await store.updateEndpoint('t1', 'ep_none', { name: 'x' }, T0)).toBeNull()
      })

      it('replaces the headers as a whole, sealed values and values in the clear alike', async () => {
        const ep = await endpoint('t1', { headers: { a: '1', 'X-Api-Key': { sealed: 'sealed-key', hint: '****' } } })
        expect((await store.getEndpoint('t1', ep.id))!.headers).toEqual({ a: '1', 'X-Api-Key': { sealed: 'sealed-key', hint: '****' } })
        const headers = { b: '2', Cookie: { sealed: 'sealed-cookie', hint: '****' } }
        expect((await store.updateEndpoint('t1', ep.id, { headers }, T0 + 1))!.headers).toEqual(headers)
        expect((await store.updateEndpoint('t1', ep.id, { headers: { c: '3' } }, T0 + 2))!.headers).toEqual({ c: '3' })
        expect((await store.getEndpoint(null, ep.id))!.headers).toEqual({ c: '3' })
      })

      it('lists a tenant\'s newest first, the enabled ones for fan-out, and deletes within the tenant', async () => {
        const eps = [await endpoint('t1'), await endpoint('t1', { enabled: false, disabledReason: 'manual' }), await endpoint('t1')]
        await endpoint('t2')
        expect((await store.listEndpoints('t1', first)).map((e) => e.id)).toEqual(eps.map((e) => e.id).reverse())
        expect((await store.listEndpoints('t1', { limit: 1, after: eps[2]!.id })).map((e) => e.id)).toEqual([eps[1]!.id])
        expect((await store.listEnabledEndpoints('t1')).map((e) => e.id).sort()).toEqual([eps[0]!.id, eps[2]!.id].sort())
        expect(await store.deleteEndpoint('t2', eps[0]!.id)).toBe(false)
        expect(await store.deleteEndpoint('t1', eps[0]!.id)).toBe(true)
        expect(await store.getEndpoint(null, eps[0]!.id)).toBeNull()
      })
    })

    describe('events', () => {
      it('keeps the payload as the exact text received', async () => {
        const payloadJson = '{ "b": 1,  "a": [1, 2.50], "a": "dup", "u": "é😀\\u0000" }'
        const { event } = await publish('t1', [], { payloadJson, channels: ['eu', 'us'], occurredAt: T0 - 5 })
        expect(await store.getEvent('t1', event.id)).toEqual(event)
        expect((await store.getEvent('t1', event.id))!.payloadJson).toBe(payloadJson)
        expect(await store.getEvent('t2', event.id)).toBeNull()
      })

      it('lists a tenant\'s events newest first, by type, a page at a time', async () => {
        const a = await publish('t1', [], { type: 'a' })
        const b = await publish('t1', [], { type: 'b' })
        const c = await publish('t1', [], { type: 'a' })
        await publish('t2', [], { type: 'a' })
        expect((await store.listEvents('t1', {}, first)).map((e) => e.id)).toEqual([c, b, a].map((x) => x.event.id))
        expect((await store.listEvents('t1', { type: 'a' }, first)).map((e) => e.id)).toEqual([c, a].map((x) => x.event.id))
        expect((await store.listEvents('t1', {}, { limit: 1, after: c.event.id })).map((e) => e.id)).toEqual([b.event.id])
      })

      it('a duplicate answers the original as stored; later publishes of a key in one group are its duplicates', async () => {
        const ep = await endpoint('t1')
        const gone = await endpoint('t1')
        await store.deleteEndpoint('t1', gone.id)
        const mk = (key: string, eps: string[]): PublishItem => {
          const event = eventRecord('t1', { idempotencyKey: key, deliveryCount: eps.length })
          return { event, deliveries: eps.map((endpointId) => ({ id: newId('dlv'), endpointId, leaseOwner: null, nextAttemptAt: T0 })) }
        }
        const group = [mk('k1', [ep.id, gone.id]), mk('k1', [ep.id]), mk('k2', []), mk('k1', [])]
        const out = await store.publishBatch(group, T0, DAY)
        expect(out.map((o) => o.kind)).toEqual(['created', 'duplicate', 'created', 'duplicate'])
        const original = { ...group[0]!.event, deliveryCount: 1 }
        expect(out[0]).toMatchObject({ event: original })
        expect(out[1]).toEqual({ kind: 'duplicate', event: original })
        expect(out[3]).toEqual({ kind: 'duplicate', event: original })
        // In a later group, too, until the window ends.
        const [again] = await store.publishBatch([mk('k1', [ep.id])], T0 + DAY - 1, DAY)
        expect(again).toEqual({ kind: 'duplicate', event: original })
        expect(await store.pendingCount()).toBe(1)
      })

      it('a key whose event is gone goes to the next publish', async () => {
        const event = eventRecord('t1', { idempotencyKey: 'k' })
        expect((await store.publishBatch([{ event, deliveries: [] }], T0, DAY))[0]!.kind).toBe('created')
        // The tenant goes with its events; its idempotency keys stay until they expire.
        await store.deleteTenant('t1')
        await store.createTenant({ id: 't1', name: 't1', metadata: {}, createdAt: T0, updatedAt: T0 })
        const next = eventRecord('t1', { idempotencyKey: 'k' })
        expect((await store.publishBatch([{ event: next, deliveries: [] }], T0 + 1, DAY))[0]!.kind).toBe('created')
        expect((await store.publishBatch([{ event: eventRecord('t1', { idempotencyKey: 'k' }), deliveries: [] }], T0 + 2, DAY))[0]).toMatchObject({
          kind: 'duplicate',
          event: { id: next.id },
        })
      })

      it('prunes idempotency keys recorded before a time, oldest first, a batch at a time', async () => {
        const keyed = (key: string, at: number) => store.publishBatch([{ event: eventRecord('t1', { idempotencyKey: key }), deliveries: [] }], at, DAY)
        for (let i = 0; i < 5; i++) await keyed(`old-${i}`, T0 + i)
        await keyed('young', T0 + DAY)
        expect(await store.pruneIdempotencyKeys(T0 + 10, 2)).toBe(2)
        expect(await store.pruneIdempotencyKeys(T0 + 10, 2)).toBe(2)
        expect(await store.pruneIdempotencyKeys(T0 + 10, 2)).toBe(1)
        expect(await store.pruneIdempotencyKeys(T0 + 10, 2)).toBe(0)
        // The young key is kept and still answers its repeat.
        expect((await keyed('young', T0 + DAY + 1))[0]!.kind).toBe('duplicate')
        expect(await store.pruneIdempotencyKeys(T0 + DAY + 1, 100)).toBe(1)
      })
    })

    describe('delivery log', () => {
      it('reads deliveries by tenant, with filters, a page at a time', async () => {
        const e1 = await endpoint('t1')
        const e2 = await endpoint('t1')
        const p1 = await publish('t1', [e1.id, e2.id])
        const p2 = await publish('t1', [e1.id])
        const ids = [...p1.deliveryIds, ...p2.deliveryIds]
        const d = await store.getDelivery('t1', ids[0]!)
        expect(d).toEqual({ id: ids[0], tenantId: 't1', eventId: p1.event.id, endpointId: e1.id, status: 'pending', attemptCount: 0, nextAttemptAt: T0, leasedUntil: null, createdAt: T0, updatedAt: T0 })
        expect(await store.getDelivery('t2', ids[0]!)).toBeNull()

        const all = await store.listDeliveries('t1', {}, first)
        expect(all.map((x) => x.id)).toEqual([...ids].sort().reverse())
        expect((await store.listDeliveries('t1', { endpointId: e1.id }, first)).map((x) => x.id).sort()).toEqual([ids[0], ids[2]].sort())
        expect((await store.listDeliveries('t1', { eventId: p1.event.id }, first)).map((x) => x.id).sort()).toEqual([ids[0], ids[1]].sort())
        expect(await store.listDeliveries('t1', { status: 'succeeded' }, first)).toEqual([])
        expect((await store.listDeliveries('t1', {}, { limit: 1, after: all[0]!.id })).map((x) => x.id)).toEqual([all[1]!.id])
        expect(await store.listDeliveries('t2', {}, first)).toEqual([])
      })

      it('records an endpoint test: the delivery, its attempt, and the envelope rebuilt on read', async () => {
        const ep = await endpoint('t1')
        const custom = await finished(ep, { success: false, response: null, error: { kind: 'timeout', message: 'timed out after 30 s' } })
        expect(await store.getDelivery('t1', custom.delivery.id)).toEqual(custom.delivery)
        expect(await store.listAttempts(custom.delivery.id)).toEqual([custom.attempt])

        const event = eventRecord('t1', { deliveryCount: 1 })
        const delivery: Delivery = { id: newId('dlv'), tenantId: 't1', eventId: event.id, endpointId: ep.id, status: 'succeeded', attemptCount: 1, nextAttemptAt: null, leasedUntil: null, createdAt: T0, updatedAt: T0 }
        const a = attempt(delivery, { trigger: 'test', request: { method: 'POST', url: ep.url, headers: {}, body: defaultBody(event) } })
        await store.recordTestDelivery(delivery, event, a)
        expect(await store.listAttempts(delivery.id)).toEqual([a])
        expect(await store.getEvent('t1', event.id)).toEqual(event)
        // Test deliveries are finished: nothing for the queue.
        expect(await store.pendingCount()).toBe(0)
      })

      it('lists a delivery\'s attempts in order', async () => {
        const ep = await endpoint('t1')
        const { deliveryIds } = await publish('t1', [ep.id])
        const id = deliveryIds[0]!
        const dv = { id, endpointId: ep.id, tenantId: 't1' }
        const a1 = attempt(dv, { attemptNumber: 1, success: false, response: { status: 503, headers: {}, body: '' }, error: { kind: 'http', message: 'HTTP 503' } })
        const [claimed] = await store.claimDue({ owner: 'w', now: T0, limit: 1, leaseMs: 1000 })
        expect(await store.settle([{ deliveryId: id, leaseOwner: 'w', claimedAttemptCount: claimed!.attemptCount, claimedTrigger: 'scheduled', attempt: a1, envelopeBody: false, status: 'pending', nextAttemptAt: T0 + 10 }])).toEqual([true])
        await store.claimDue({ owner: 'w', now: T0 + 10, limit: 1, leaseMs: 1000 })
        const a2 = attempt(dv, { attemptNumber: 2, startedAt: T0 + 10 })
        expect(await store.settle([{ deliveryId: id, leaseOwner: 'w', claimedAttemptCount: 1, claimedTrigger: 'scheduled', attempt: a2, envelopeBody: false, status: 'succeeded' }])).toEqual([true])
        expect(await store.listAttempts(id)).toEqual([a1, a2])
        expect(await store.getDelivery('t1', id)).toMatchObject({ status: 'succeeded', attemptCount: 2, nextAttemptAt: null })
        expect(await store.nextDueAt()).toBeNull()
      })

      it('computes endpoint stats over the period: counts, mean and nearest-rank p95 of response times, the last attempt', async () => {
        const ep = await endpoint('t1')
        const other = await endpoint('t1')
        expect(await store.endpointStats(ep.id, T0)).toEqual({
          total: 0,
          succeeded: 0,
          failed: 0,
          pending: 0,
          avgResponseMs: null,
          p95ResponseMs: null,
          lastAttemptAt: null,
          lastStatusCode: null,
        })
        // Durations 1..20 ms with a response; one timeout (no response: not a response time); one before the period.
        for (let ms = 1; ms <= 20; ms++) await finished(ep, { durationMs: ms, startedAt: T0 + ms, success: ms % 4 !== 0, response: { status: ms % 4 === 0 ? 500 : 200, headers: {}, body: '' } })
        await finished(ep, { durationMs: 30_000, startedAt: T0 + 100, success: false, response: null, error: { kind: 'timeout', message: 'timeout' } })
        await finished(ep, { durationMs: 9_999, startedAt: T0 - DAY, response: { status: 201, headers: {}, body: '' } }, T0 - DAY)
        await finished(other, { durationMs: 7_777, startedAt: T0 + 200, response: { status: 204, headers: {}, body: '' } })
        await publish('t1', [ep.id])

        expect(await store.endpointStats(ep.id, T0)).toEqual({
          total: 22,
          succeeded: 15,
          failed: 6,
          pending: 1,
          avgResponseMs: 11, // 10.5, rounded
          p95ResponseMs: 19, // the 19th of 20
          lastAttemptAt: T0 + 100,
          lastStatusCode: null,
        })
        expect((await store.endpointStats(ep.id, T0 - DAY)).p95ResponseMs).toBe(20)
      })

      it('counts attempts and successes per endpoint since a time, test sends left out', async () => {
        const ep = await endpoint('t1')
        const other = await endpoint('t1')
        const idle = await endpoint('t1')
        for (let i = 0; i < 5; i++) await finished(ep, { startedAt: T0 + i, success: i < 2 })
        await finished(ep, { startedAt: T0 - 1, success: false })
        await finished(ep, { startedAt: T0 + 9, success: true, trigger: 'test' })
        await finished(ep, { startedAt: T0 + 9, success: true, trigger: 'manual' })
        await finished(other, { startedAt: T0 + 1, success: false })
        const counts = await store.attemptCountsSince([ep.id, other.id, idle.id], T0)
        expect(counts.sort((a, b) => b.attempts - a.attempts)).toEqual([
          { endpointId: ep.id, attempts: 6, succeeded: 3 },
          { endpointId: other.id, attempts: 1, succeeded: 0 },
        ])
        expect(await store.attemptCountsSince([], T0)).toEqual([])
      })

      it('marks an endpoint degraded only if unmarked, and clears the mark only if set', async () => {
        const ep = await endpoint('t1')
        expect(await store.setEndpointDegraded(ep.id, T0 + 5)).toBe(true)
        // A second node judging at the same time changes nothing, so it announces nothing.
        expect(await store.setEndpointDegraded(ep.id, T0 + 6)).toBe(false)
        expect(await store.getEndpoint(null, ep.id)).toMatchObject({ degradedSince: T0 + 5, updatedAt: ep.updatedAt })
        expect(await store.setEndpointDegraded(ep.id, null)).toBe(true)
        expect(await store.setEndpointDegraded(ep.id, null)).toBe(false)
        expect((await store.getEndpoint(null, ep.id))?.degradedSince).toBeNull()
        expect(await store.setEndpointDegraded('ep_missing', T0)).toBe(false)
      })
    })

    describe('sources', () => {
      it('creates, reads, patches, lists and deletes a source and its secrets', async () => {
        const src = source('t1', { verification: { type: 'hmac', header: 'x-sig', encoding: 'base64', prefix: 'sha256=', toleranceSeconds: 60 }, secretHint: '****ab' })
        const secrets = { current: 'sealed-1', previous: [] }
        await store.createSource(src, secrets)
        expect(await store.getSource('t1', src.id)).toEqual(src)
        expect(await store.getSource(null, src.id)).toEqual(src)
        expect(await store.getSource('t2', src.id)).toBeNull()
        expect(await store.getSourceSecrets(src.id)).toEqual(secrets)

        const patch = {
          enabled: false,
          idempotency: { keyPath: 'id', windowSeconds: 3600 },
          mappings: [{ eventType: 'invoice.*', action: 'publish' as const, publishAs: 'billing.invoice', fields: { id: 'data.id' }, required: ['id'] }],
          timestampPath: 'created',
        }
        expect(await store.updateSource('t1', src.id, patch, T0 + 1)).toEqual({ ...src, ...patch, updatedAt: T0 + 1 })
        expect(await store.updateSource('t2', src.id, { name: 'x' }, T0)).toBeNull()

        const rotated = { current: 'sealed-3', previous: [{ sealed: 'sealed-2', expiresAt: T0 + 2 * DAY }, { sealed: 'sealed-1', expiresAt: T0 + DAY }] }
        await store.setSourceSecrets(src.id, rotated, '****cd', T0 + 2)
        expect(await store.getSourceSecrets(src.id)).toEqual(rotated)
        expect(await store.setSourceSecrets(src.id, { current: 'sealed-4', previous: [] }, '****ef', T0 + 2, 'sealed-2')).toBe(false)
        expect(await store.getSourceSecrets(src.id)).toEqual(rotated)
        expect((await store.getSource('t1', src.id))!.secretHint).toBe('****cd')
        await store.setSourceSecrets(src.id, null, null, T0 + 3)
        expect(await store.getSourceSecrets(src.id)).toBeNull()

        const newer = source('t1')
        await store.createSource(newer, null)
        expect((await store.listSources('t1', first)).map((s) => s.id)).toEqual([newer.id, src.id])
        expect((await store.listSources('t1', { limit: 5, after: newer.id })).map((s) => s.id)).toEqual([src.id])
        expect(await store.deleteSource('t2', src.id)).toBe(false)
        expect(await store.deleteSource('t1', src.id)).toBe(true)
        expect(await store.getSource(null, src.id)).toBeNull()
      })

      it('logs requests as the bytes received, newest first, and ignores one written twice', async () => {
        const src = source('t1')
        await store.createSource(src, null)
        const body = Buffer.from('{"text":"héllo 😀"}', 'utf8')
        const logs = [0, 1, 2].map((n) => requestLog(src.id, n, T0 + n, n === 1 ? body : undefined))
        await store.recordSourceRequests(logs.map((log) => ({ log, claim: null })))
        await store.recordSourceRequests([{ log: { ...logs[0]!, status: 'invalid' }, claim: null }])
        const got = await store.listSourceRequests(src.id, first)
        expect(got.map((r) => r.id)).toEqual([logs[2]!.id, logs[1]!.id, logs[0]!.id])
        expect(got[1]).toEqual({ ...logs[1]!, request: { ...logs[1]!.request, body: '{"text":"héllo 😀"}' } } satisfies SourceRequest)
        expect(got[2]!.status).toBe('accepted')
        expect((await store.listSourceRequests(src.id, { limit: 1, after: logs[2]!.id })).map((r) => r.id)).toEqual([logs[1]!.id])
      })

      it('claims idempotency keys until they expire; a later claim extends, an earlier one does not shorten', async () => {
        const src = source('t1')
        await store.createSource(src, null)
        const write = (n: number, key: string, expiresAt: number): SourceRequestWrite => ({ log: requestLog(src.id, n, T0), claim: { key, expiresAt } })
        // The same key twice in one batch: the later expiry holds.
        await store.recordSourceRequests([write(1, 'k', T0 + 100), write(2, 'k', T0 + 300), write(3, 'j', T0 + 50)])
        expect(await store.hasIdempotencyClaim(src.id, 'k', T0 + 299)).toBe(true)
        expect(await store.hasIdempotencyClaim(src.id, 'k', T0 + 300)).toBe(false)
        await store.recordSourceRequests([write(4, 'k', T0 + 200)])
        expect(await store.hasIdempotencyClaim(src.id, 'k', T0 + 299)).toBe(true)
        await store.recordSourceRequests([write(5, 'j', T0 + 500)])
        expect(await store.hasIdempotencyClaim(src.id, 'j', T0 + 499)).toBe(true)
        expect(await store.hasIdempotencyClaim(src.id, 'other', T0)).toBe(false)
        expect(await store.hasIdempotencyClaim('src_none', 'k', T0)).toBe(false)
      })

      it('prunes requests received before the cut and keys expired by then', async () => {
        const src = source('t1')
        await store.createSource(src, null)
        await store.recordSourceRequests([0, 1, 2, 3].map((n) => ({ log: requestLog(src.id, n, T0 + n * DAY), claim: { key: `k${n}`, expiresAt: T0 + n * DAY + DAY } })))
        expect(await store.pruneSourceRequests(T0 + 2 * DAY)).toBe(2)
        expect((await store.listSourceRequests(src.id, first)).map((r) => r.receivedAt)).toEqual([T0 + 3 * DAY, T0 + 2 * DAY])
        expect(await store.hasIdempotencyClaim(src.id, 'k1', T0 + DAY)).toBe(false) // expired by the cut: pruned
        expect(await store.hasIdempotencyClaim(src.id, 'k2', T0 + DAY)).toBe(true) // expires after it
        expect(await store.pruneSourceRequests(T0 + 2 * DAY)).toBe(0)
        expect(await store.pruneSourceRequests(T0 + 10 * DAY)).toBe(2)
        expect(await store.listSourceRequests(src.id, first)).toEqual([])
      })

      it('drops the requests of a source deleted before they were written, and keeps the others of the batch', async () => {
        const gone = source('t1')
        const kept = source('t1')
        await store.createSource(gone, null)
        await store.createSource(kept, null)
        await store.deleteSource('t1', gone.id)
        await store.recordSourceRequests([
          { log: requestLog(gone.id, 1, T0), claim: { key: 'k', expiresAt: T0 + 1000 } },
          { log: requestLog(kept.id, 2, T0), claim: { key: 'k', expiresAt: T0 + 1000 } },
        ])
        expect(await store.listSourceRequests(gone.id, first)).toEqual([])
        expect(await store.hasIdempotencyClaim(gone.id, 'k', T0)).toBe(false)
        expect(await store.listSourceRequests(kept.id, first)).toHaveLength(1)
        expect(await store.hasIdempotencyClaim(kept.id, 'k', T0)).toBe(true)
      })
    })

    describe('gateway routes', () => {
      const route = (tenantId: string, name: string): Route => ({
        id: newId('rte'),
        tenantId,
        name,
        upstreamUrl: 'https://upstream.test/api',
        timeoutSeconds: 30,
        createdAt: T0,
        updatedAt: T0,
      })

      it('creates, finds by id and by name, and keeps names unique per tenant', async () => {
        const r = route('t1', 'orders')
        expect(await store.createRoute(r)).toBe(true)
        expect(await store.createRoute(route('t1', 'orders'))).toBe(false)
        expect(await store.createRoute(route('t2', 'orders'))).toBe(true)
        expect(await store.getRoute('t1', r.id)).toEqual(r)
        expect(await store.getRoute('t2', r.id)).toBeNull()
        expect(await store.getRouteByName('t1', 'orders')).toEqual(r)
        expect(await store.getRouteByName('t1', 'Orders')).toBeNull()
      })

      it('lists newest first by pages, updates, refuses a rename onto a taken name, and deletes', async () => {
        const rs = [route('t1', 'a'), route('t1', 'b'), route('t1', 'c')]
        for (const r of rs) await store.createRoute(r)
        const p1 = await store.listRoutes('t1', { limit: 2, after: null })
        expect(p1.map((r) => r.name)).toEqual(['c', 'b'])
        expect((await store.listRoutes('t1', { limit: 2, after: p1[1]!.id })).map((r) => r.name)).toEqual(['a'])
        expect(await store.updateRoute('t1', rs[0]!.id, { upstreamUrl: 'https://other.test', timeoutSeconds: 5 }, T0 + 1)).toMatchObject({
          name: 'a',
          upstreamUrl: 'https://other.test',
          timeoutSeconds: 5,
          updatedAt: T0 + 1,
        })
        expect(await store.updateRoute('t1', rs[0]!.id, { name: 'b' }, T0 + 2)).toEqual({ nameTaken: true })
        expect(await store.updateRoute('t2', rs[0]!.id, { name: 'z' }, T0 + 2)).toBeNull()
        expect(await store.deleteRoute('t1', rs[0]!.id)).toBe(true)
        expect(await store.deleteRoute('t1', rs[0]!.id)).toBe(false)
        await store.deleteTenant('t1')
        expect(await store.getRoute('t1', rs[1]!.id)).toBeNull()
      })
    })
  })
}

function source(tenantId: string, over: Partial<Source> = {}): Source {
  return sourceRecord({ tenantId, name: 'stripe', eventTypePath: 'type', createdAt: T0, updatedAt: T0, ...over })
}

function requestLog(sourceId: string, n: number, receivedAt: number, body = Buffer.from(`{"n":${n}}`)): SourceRequestWrite['log'] {
  return {
    id: `req_${String(n).padStart(4, '0')}`,
    sourceId,
    receivedAt,
    status: 'accepted',
    eventType: 'a.b',
    idempotencyKey: null,
    error: null,
    actions: [{ action: 'publish', status: 'succeeded', error: null, eventId: `evt_${n}` }],
    request: { method: 'POST', path: `/in/${sourceId}`, headers: { 'x-a': String(n) }, body },
  }
}
