/**
 * API.md "Events and deliveries": publishing, idempotency, input errors, listing, fan-out by
 * event type patterns and channels, and the delivery records. Retry and outcome semantics are
 * tested in delivery-*.test.ts.
 * Network rule: every endpoint URL is the receiver on 127.0.0.1 or an unused loopback port that
 * is never published to.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'
import {
  DELIVERY_WAIT_MS,
  expectAttemptShape,
  expectDeliveryShape,
  expectEventShape,
  expectInvalid,
  expectList,
  expectProblem,
  guardAgainst5xx,
  ISO,
  walkPages,
} from './api-support.js'

describe('API events and deliveries', () => {
  let srv: TestServer
  let rcv: Receiver
  let check5xx: () => void
  let tenantSeq = 0

  /** A fresh tenant, so counts and fan-outs of one test do not see another's endpoints. */
  async function tenant(): Promise<string> {
    const id = `evt-${++tenantSeq}`
    expect((await srv.api('POST', '/v1/tenants', { id, name: id })).status).toBe(201)
    return `/v1/tenants/${id}`
  }

  async function endpoint(t: string, body: Record<string, unknown>): Promise<string> {
    const res = await srv.api('POST', `${t}/endpoints`, body)
    expect(res.status).toBe(201)
    return res.body.id as string
  }

  /** Waits until the delivery has left `pending` and returns it with its attempts. */
  async function settled(t: string, deliveryId: string): Promise<any> {
    return eventually(async () => {
      const d = (await srv.api('GET', `${t}/deliveries/${deliveryId}`)).body
      return d.status !== 'pending' ? d : null
    }, DELIVERY_WAIT_MS)
  }

  beforeAll(async () => {
    srv = await startTestServer()
    // Paths starting with /reject answer 400 (fails at once, no retry); /hang never answers.
    rcv = await startReceiver((req) => {
      if (req.url?.startsWith('/reject')) return { status: 400, body: 'no thanks' }
      if (req.url?.startsWith('/hang')) return { hang: true }
      return { status: 204 }
    })
    check5xx = guardAgainst5xx(srv)
  })
  afterEach(() => check5xx())
  afterAll(async () => {
    // The receiver first: it ends the hanging requests, so the server's close need not wait for them.
    await rcv?.close()
    await srv?.close()
  })

  describe('publish', () => {
    it('202 with {id, type, payload, channels, createdAt, deliveryCount}', async () => {
      const t = await tenant()
      await endpoint(t, { url: `${rcv.url}/ok` })
      const payload = { amount: 42, currency: 'EUR', lines: [{ sku: 'a', qty: 1 }], note: null, paid: true }
      const res = await srv.api('POST', `${t}/events`, { type: 'invoice.paid', payload, channels: ['eu'] })
      expect(res.status).toBe(202)
      expectEventShape(res.body)
      expect(res.body).toMatchObject({ type: 'invoice.paid', payload, channels: ['eu'], deliveryCount: 1 })
      expect(Date.parse(res.body.createdAt)).toBeLessThanOrEqual(Date.now() + 1000)
      await eventually(async () => rcv.hits.find((h) => h.headers['webhook-id'] === res.body.id), DELIVERY_WAIT_MS)
    })

    it('channels default to [] and deliveryCount is 0 without endpoints', async () => {
      const t = await tenant()
      const res = await srv.api('POST', `${t}/events`, { type: 'lonely.event', payload: {} })
      expect(res.status).toBe(202)
      expect(res.body).toMatchObject({ type: 'lonely.event', payload: {}, channels: [], deliveryCount: 0 })
      expect(expectList(await srv.api('GET', `${t}/deliveries`))).toEqual([])
    })

    it('takes occurredAt and sends it as the body timestamp', async () => {
      const t = await tenant()
      await endpoint(t, { url: `${rcv.url}/occurred` })
      const occurredAt = '2024-02-29T12:00:00.000Z'
      const res = await srv.api('POST', `${t}/events`, { type: 'past.event', payload: { a: 1 }, occurredAt })
      expect(res.status).toBe(202)
      const hit = await eventually(async () => rcv.hits.find((h) => h.headers['webhook-id'] === res.body.id), DELIVERY_WAIT_MS)
      expect(JSON.parse(hit.body)).toEqual({ id: res.body.id, type: 'past.event', timestamp: occurredAt, data: { a: 1 } })
      expectInvalid(await srv.api('POST', `${t}/events`, { type: 'past.event', payload: {}, occurredAt: 'yesterday' }), '/occurredAt')
    })

    it('an unknown tenant is a 404', async () => {
      expectProblem(await srv.api('POST', '/v1/tenants/evt-nobody/events', { type: 'a.b', payload: {} }), 404, 'not_found')
    })

    it.each([
      ['an upper-case type', { type: 'Invoice.Paid', payload: {} }, '/type'],
      ['an empty segment', { type: 'invoice..paid', payload: {} }, '/type'],
      ['a type over 128 characters', { type: 'x'.repeat(129), payload: {} }, '/type'],
      ['no type', { payload: {} }, '/type'],
      ['a number for a type', { type: 7, payload: {} }, '/type'],
      ['an array payload', { type: 'a.b', payload: [1, 2] }, '/payload'],
      ['a string payload', { type: 'a.b', payload: 'hello' }, '/payload'],
      ['a null payload', { type: 'a.b', payload: null }, '/payload'],
      ['no payload', { type: 'a.b' }, '/payload'],
      ['an unknown field', { type: 'a.b', payload: {}, priority: 'high' }, '/priority'],
      ['channels not a list', { type: 'a.b', payload: {}, channels: 'eu' }, '/channels'],
      ['an empty channel', { type: 'a.b', payload: {}, channels: [''] }, '/channels/0'],
      ['an empty idempotency key', { type: 'a.b', payload: {}, idempotencyKey: '' }, '/idempotencyKey'],
    ])('%s is a 422 naming the field, and stores nothing', async (_what, body, path) => {
      const t = await tenant()
      expectInvalid(await srv.api('POST', `${t}/events`, body), path)
      expect(expectList(await srv.api('GET', `${t}/events`))).toEqual([])
    })

    it('a body that is not a JSON object is a 422', async () => {
      const t = await tenant()
      expectProblem(await srv.api('POST', `${t}/events`, [{ type: 'a.b', payload: {} }]), 422, 'validation_failed')
      expectProblem(await srv.api('POST', `${t}/events`, '"a.b"'), 422, 'validation_failed')
    })

    it('malformed JSON is a 400 malformed_json problem document', async () => {
      const t = await tenant()
      for (const text of ['{"type": "a.b", "payload": ', '{type: a.b}', "{'type': 'a.b'}", '{"type":"a.b","payload":{}}}']) {
        const res = await srv.api('POST', `${t}/events`, text)
        expectProblem(res, 400, 'malformed_json')
        expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      }
      expect(expectList(await srv.api('GET', `${t}/events`))).toEqual([])
    })

    it('keys holding line breaks come back in every answer (the serializer once dropped them)', async () => {
      const t = await tenant()
      const payload = { 'line\nbreak': 1, 'separator\u2028here': { 'inner\r\n': true }, plain: 'x' }
      const pub = await srv.api('POST', `${t}/events`, { type: 'keys.checked', payload })
      expect(pub.status).toBe(202)
      expect(pub.body.payload).toEqual(payload)
      expect((await srv.api('GET', `${t}/events/${pub.body.id}`)).body.payload).toEqual(payload)
      expect(expectList(await srv.api('GET', `${t}/events`))[0].payload).toEqual(payload)
      const metadata = { 'x\ny': 1 }
      const created = await srv.api('POST', '/v1/tenants', { id: 'keys-with-breaks', name: 'k', metadata })
      expect(created.body.metadata).toEqual(metadata)
      expect((await srv.api('GET', '/v1/tenants/keys-with-breaks')).body.metadata).toEqual(metadata)
    })

    it('a body nested past 100 levels is a 422 too_deeply_nested, not a 500; 100 levels are accepted', async () => {
      const t = await tenant()
      const nest = (levels: number): string => '{"a":'.repeat(levels) + '1' + '}'.repeat(levels)
      // 5,000 levels in 25 KB: deep enough to overflow the stack of a recursive serializer.
      for (const body of [`{"type":"deep.event","payload":${nest(5000)}}`, `{"type":"deep.event","payload":${nest(100)}}`]) {
        expectProblem(await srv.api('POST', `${t}/events`, body), 422, 'too_deeply_nested')
      }
      expectProblem(await srv.api('POST', '/v1/tenants', `{"id":"deep-tenant","metadata":${nest(5000)}}`), 422, 'too_deeply_nested')
      expect(expectList(await srv.api('GET', `${t}/events`))).toEqual([])
      // The body's object is level 1, so a payload 99 objects deep makes 100 levels: the most.
      expect((await srv.api('POST', `${t}/events`, `{"type":"deep.event","payload":${nest(99)}}`)).status).toBe(202)
    })

    it('a body over 1 MiB is a 413 payload_too_large; just under is accepted', async () => {
      const t = await tenant()
      const over = JSON.stringify({ type: 'big.event', payload: { blob: 'x'.repeat(1024 * 1024) } })
      expect(Buffer.byteLength(over)).toBeGreaterThan(1024 * 1024)
      expectProblem(await srv.api('POST', `${t}/events`, over), 413, 'payload_too_large')
      const under = JSON.stringify({ type: 'big.event', payload: { blob: 'x'.repeat(1024 * 1024 - 100) } })
      expect(Buffer.byteLength(under)).toBeLessThanOrEqual(1024 * 1024)
      expect((await srv.api('POST', `${t}/events`, under)).status).toBe(202)
      expect(expectList(await srv.api('GET', `${t}/events`))).toHaveLength(1)
    })

    it('a body that is not JSON is refused as a problem, not a 500', async () => {
      const t = await tenant()
      const res = await srv.api('POST', `${t}/events`, 'type=a.b', { headers: { 'content-type': 'application/x-www-form-urlencoded' } })
      expect([400, 415]).toContain(res.status)
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/)
    })
  })

  describe('idempotency', () => {
    it.each([
      ['the body', (key: string) => ({ body: { idempotencyKey: key }, headers: {} })],
      ['the Idempotency-Key header', (key: string) => ({ body: {}, headers: { 'idempotency-key': key } })],
    ])('a key in %s: the repeat answers 200 with the original event and creates nothing', async (_where, place) => {
      const t = await tenant()
      const ep = await endpoint(t, { url: `${rcv.url}/idem` })
      const key = `order-${tenantSeq}-created`
      const first = place(key)
      const original = await srv.api('POST', `${t}/events`, { type: 'order.created', payload: { n: 1 }, ...first.body }, { headers: first.headers })
      expect(original.status).toBe(202)
      expect(original.body.deliveryCount).toBe(1)

      // The repeat, even with another payload, returns the original.
      const again = place(key)
      const repeat = await srv.api('POST', `${t}/events`, { type: 'order.created', payload: { n: 2 }, ...again.body }, { headers: again.headers })
      expect(repeat.status).toBe(200)
      expect(repeat.body).toEqual(original.body)

      expect(expectList(await srv.api('GET', `${t}/events`)).map((e) => e.id)).toEqual([original.body.id])
      const deliveries = expectList(await srv.api('GET', `${t}/deliveries?endpointId=${ep}`))
      expect(deliveries).toHaveLength(1)
      expect(deliveries[0].eventId).toBe(original.body.id)

      // One delivery arrives; a later event proves the queue has moved on past anything the repeat could have sent.
      await eventually(async () => rcv.hits.find((h) => h.headers['webhook-id'] === original.body.id), DELIVERY_WAIT_MS)
      const later = await srv.api('POST', `${t}/events`, { type: 'order.created', payload: { n: 3 } })
      await eventually(async () => rcv.hits.find((h) => h.headers['webhook-id'] === later.body.id), DELIVERY_WAIT_MS)
      const hits = rcv.hits.filter((h) => h.headers['webhook-id'] === original.body.id)
      expect(hits).toHaveLength(1)
      expect(JSON.parse(hits[0]!.body).data).toEqual({ n: 1 })
    })

    it('the key is per tenant, and a different key is a different event', async () => {
      const t1 = await tenant()
      const t2 = await tenant()
      const a = await srv.api('POST', `${t1}/events`, { type: 'k.e', payload: {}, idempotencyKey: 'shared' })
      const b = await srv.api('POST', `${t2}/events`, { type: 'k.e', payload: {}, idempotencyKey: 'shared' })
      const c = await srv.api('POST', `${t1}/events`, { type: 'k.e', payload: {}, idempotencyKey: 'other' })
      expect([a.status, b.status, c.status]).toEqual([202, 202, 202])
      expect(new Set([a.body.id, b.body.id, c.body.id]).size).toBe(3)
    })

    it('concurrent repeats of one key create one event', async () => {
      const t = await tenant()
      const results = await Promise.all(
        Array.from({ length: 10 }, () => srv.api('POST', `${t}/events`, { type: 'race.event', payload: {} }, { headers: { 'idempotency-key': 'race' } })),
      )
      expect(results.filter((r) => r.status === 202)).toHaveLength(1)
      expect(results.filter((r) => r.status === 200)).toHaveLength(9)
      expect(new Set(results.map((r) => r.body.id)).size).toBe(1)
      expect(expectList(await srv.api('GET', `${t}/events`))).toHaveLength(1)
    })
  })

  describe('fan-out', () => {
    it('eventTypes patterns, channels and enabled decide which endpoints get a delivery', async () => {
      const t = await tenant()
      const eps = {
        wildcard: await endpoint(t, { url: `${rcv.url}/fan/wildcard`, eventTypes: ['invoice.*'] }),
        exact: await endpoint(t, { url: `${rcv.url}/fan/exact`, eventTypes: ['invoice.paid'] }),
        middle: await endpoint(t, { url: `${rcv.url}/fan/middle`, eventTypes: ['*.paid'] }),
        eu: await endpoint(t, { url: `${rcv.url}/fan/eu`, channels: ['eu'] }),
        euInvoices: await endpoint(t, { url: `${rcv.url}/fan/eu-invoices`, eventTypes: ['invoice.*'], channels: ['eu', 'uk'] }),
        all: await endpoint(t, { url: `${rcv.url}/fan/all` }),
        disabled: await endpoint(t, { url: `${rcv.url}/fan/disabled`, enabled: false }),
      }
      const names = Object.fromEntries(Object.entries(eps).map(([k, v]) => [v, k]))
      const fanOut = async (type: string, channels?: string[]) => {
        const res = await srv.api('POST', `${t}/events`, { type, payload: {}, ...(channels ? { channels } : {}) })
        expect(res.status).toBe(202)
        const detail = await srv.api('GET', `${t}/events/${res.body.id}`)
        const got = (detail.body.deliveries as Array<{ endpointId: string }>).map((d) => names[d.endpointId]).sort()
        expect(res.body.deliveryCount).toBe(got.length)
        return got
      }
      expect(await fanOut('invoice.paid')).toEqual(['all', 'exact', 'middle', 'wildcard'])
      expect(await fanOut('invoice.paid', ['eu'])).toEqual(['all', 'eu', 'euInvoices', 'exact', 'middle', 'wildcard'])
      expect(await fanOut('invoice.created', ['uk'])).toEqual(['all', 'euInvoices', 'wildcard'])
      expect(await fanOut('invoice.paid.late', ['us'])).toEqual(['all', 'wildcard'])
      // `invoice.*` needs a segment after `invoice`.
      expect(await fanOut('invoice')).toEqual(['all'])
      expect(await fanOut('user.paid', ['eu', 'us'])).toEqual(['all', 'eu', 'middle'])
      expect(await fanOut('user.created')).toEqual(['all'])

      // Disabling an endpoint stops its deliveries; enabling it again resumes them.
      expect((await srv.api('PATCH', `${t}/endpoints/${eps.all}`, { enabled: false })).status).toBe(200)
      expect(await fanOut('user.created')).toEqual([])
      expect((await srv.api('PATCH', `${t}/endpoints/${eps.disabled}`, { enabled: true })).status).toBe(200)
      expect(await fanOut('user.created')).toEqual(['disabled'])
      // A deleted endpoint gets nothing either.
      expect((await srv.api('DELETE', `${t}/endpoints/${eps.disabled}`)).status).toBe(204)
      expect(await fanOut('user.created')).toEqual([])
      expect(rcv.hits.filter((h) => h.url === '/fan/disabled' && h.body.includes('"invoice'))).toEqual([])
    })

    it('the endpoint filters do not change an endpoint test', async () => {
      const t = await tenant()
      const ep = await endpoint(t, { url: `${rcv.url}/fan/test-only`, eventTypes: ['never.matches'], channels: ['nowhere'] })
      const res = await srv.api('POST', `${t}/endpoints/${ep}/test`)
      expect(res.status).toBe(200)
      expect(res.body.success).toBe(true)
      const pub = await srv.api('POST', `${t}/events`, { type: 'webhook.test', payload: {} })
      expect(pub.body.deliveryCount).toBe(0)
    })
  })

  describe('lists and records', () => {
    it('lists events newest first, filters by type, pages with limit and cursor', async () => {
      const t = await tenant()
      const created: string[] = []
      for (let i = 0; i < 7; i++) created.push((await srv.api('POST', `${t}/events`, { type: i % 2 === 0 ? 'list.even' : 'list.odd', payload: { i } })).body.id)
      const all = await walkPages(srv, `${t}/events`, 3)
      expect(all.pages).toBe(3)
      expect(all.items.map((e) => e.id)).toEqual([...created].reverse())
      for (const e of all.items) expectEventShape(e)
      const even = await walkPages(srv, `${t}/events?type=list.even`, 2)
      expect(even.items.map((e) => e.payload.i)).toEqual([6, 4, 2, 0])
      expect(even.items.every((e) => e.type === 'list.even')).toBe(true)
      expect(expectList(await srv.api('GET', `${t}/events?type=list.none`))).toEqual([])
      expectInvalid(await srv.api('GET', `${t}/events?limit=0`), '/query/limit')
      expectInvalid(await srv.api('GET', `${t}/events?limit=251`), '/query/limit')
      expectInvalid(await srv.api('GET', `${t}/events?cursor=bogus`), '/query/cursor', 'invalid_cursor')
      expectProblem(await srv.api('GET', '/v1/tenants/evt-nobody/events'), 404, 'not_found')
    })

    it('GET event includes its deliveries; another id is a 404', async () => {
      const t = await tenant()
      const a = await endpoint(t, { url: `${rcv.url}/rec/a` })
      const b = await endpoint(t, { url: `${rcv.url}/rec/b` })
      const pub = await srv.api('POST', `${t}/events`, { type: 'rec.event', payload: { x: 1 } })
      const res = await srv.api('GET', `${t}/events/${pub.body.id}`)
      expect(res.status).toBe(200)
      expectEventShape(res.body)
      expect(res.body).toMatchObject({ id: pub.body.id, type: 'rec.event', payload: { x: 1 }, channels: [], createdAt: pub.body.createdAt, deliveryCount: 2 })
      expect(res.body.deliveries).toHaveLength(2)
      for (const d of res.body.deliveries) {
        expectDeliveryShape(d)
        expect(d.eventId).toBe(pub.body.id)
      }
      expect(res.body.deliveries.map((d: { endpointId: string }) => d.endpointId).sort()).toEqual([a, b].sort())
      expectProblem(await srv.api('GET', `${t}/events/evt_doesnotexist`), 404, 'not_found')
    })

    it('deliveries filter by endpointId, eventId and status', async () => {
      const t = await tenant()
      const ok = await endpoint(t, { url: `${rcv.url}/filter/ok` })
      const rejecting = await endpoint(t, { url: `${rcv.url}/reject/filter` })
      const hanging = await endpoint(t, { url: `${rcv.url}/hang/filter`, eventTypes: ['slow.*'], timeoutSeconds: 60 })
      const e1 = (await srv.api('POST', `${t}/events`, { type: 'filter.one', payload: {} })).body.id
      const e2 = (await srv.api('POST', `${t}/events`, { type: 'filter.two', payload: {} })).body.id
      const e3 = (await srv.api('POST', `${t}/events`, { type: 'slow.one', payload: {} })).body.id

      const all = expectList(await srv.api('GET', `${t}/deliveries`))
      expect(all).toHaveLength(7)
      for (const d of all) expectDeliveryShape(d)
      const pairs = (list: any[]) => list.map((d) => `${d.endpointId}:${d.eventId}`).sort()
      expect(pairs(expectList(await srv.api('GET', `${t}/deliveries?endpointId=${ok}`)))).toEqual([`${ok}:${e1}`, `${ok}:${e2}`, `${ok}:${e3}`].sort())
      expect(pairs(expectList(await srv.api('GET', `${t}/deliveries?eventId=${e3}`)))).toEqual([`${ok}:${e3}`, `${rejecting}:${e3}`, `${hanging}:${e3}`].sort())
      expect(pairs(expectList(await srv.api('GET', `${t}/deliveries?endpointId=${rejecting}&eventId=${e2}`)))).toEqual([`${rejecting}:${e2}`])

      // Wait until the ok and rejecting ones are settled; the hanging one stays pending while its attempt is open.
      await eventually(async () => {
        const list = expectList(await srv.api('GET', `${t}/deliveries?status=pending`))
        return list.length === 1 ? list : null
      }, DELIVERY_WAIT_MS)
      const byStatus = async (status: string) => pairs(expectList(await srv.api('GET', `${t}/deliveries?status=${status}`)))
      expect(await byStatus('succeeded')).toEqual([`${ok}:${e1}`, `${ok}:${e2}`, `${ok}:${e3}`].sort())
      expect(await byStatus('failed')).toEqual([`${rejecting}:${e1}`, `${rejecting}:${e2}`, `${rejecting}:${e3}`].sort())
      expect(await byStatus('pending')).toEqual([`${hanging}:${e3}`])
      expect(pairs(expectList(await srv.api('GET', `${t}/deliveries?status=failed&eventId=${e1}`)))).toEqual([`${rejecting}:${e1}`])
      expectInvalid(await srv.api('GET', `${t}/deliveries?status=lost`), '/query/status')

      expectProblem(await srv.api('GET', '/v1/tenants/evt-nobody/deliveries'), 404, 'not_found')
      const paged = await walkPages(srv, `${t}/deliveries`, 2)
      expect(paged.pages).toBe(4)
      expect(pairs(paged.items)).toEqual(pairs(all))
    })

    it('GET delivery includes its attempts in the full attempt shape', async () => {
      const t = await tenant()
      const ok = await endpoint(t, { url: `${rcv.url}/attempts/ok` })
      const rejecting = await endpoint(t, { url: `${rcv.url}/reject/attempts` })
      const pub = await srv.api('POST', `${t}/events`, { type: 'attempt.shape', payload: { k: 'v' } })
      const deliveries = expectList(await srv.api('GET', `${t}/deliveries?eventId=${pub.body.id}`))
      const idOf = (ep: string) => deliveries.find((d) => d.endpointId === ep)!.id as string

      const good = await settled(t, idOf(ok))
      expect(good).toMatchObject({ id: idOf(ok), eventId: pub.body.id, endpointId: ok, status: 'succeeded', attemptCount: 1, nextAttemptAt: null })
      expect(good.attempts).toHaveLength(1)
      const a = good.attempts[0]
      expectAttemptShape(a, 'scheduled')
      expect(a).toMatchObject({
        attemptNumber: 1,
        request: { method: 'POST', url: `${rcv.url}/attempts/ok` },
        response: { status: 204, body: '' },
        error: null,
        success: true,
      })
      expect(a.startedAt).toMatch(ISO)
      expect(a.request.headers['webhook-id']).toBe(pub.body.id)
      expect(a.request.headers['content-type']).toMatch(/^application\/json/)
      expect(JSON.parse(a.request.body)).toMatchObject({ id: pub.body.id, type: 'attempt.shape', data: { k: 'v' } })

      const bad = await settled(t, idOf(rejecting))
      expect(bad).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null })
      expectAttemptShape(bad.attempts[0], 'scheduled')
      expect(bad.attempts[0]).toMatchObject({ success: false, response: { status: 400, body: 'no thanks' }, error: { kind: 'http' } })

      expectProblem(await srv.api('GET', `${t}/deliveries/dlv_doesnotexist`), 404, 'not_found')
    })
  })
})
