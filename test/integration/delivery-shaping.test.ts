/**
 * Request shaping end to end (API.md, "Endpoints" and "What each delivery looks like"): the method
 * (PUT, PATCH, GET with the body's fields in a signed query string), auth (on the wire, masked in
 * the API and the attempt log, the hint round-tripping through PATCH), custom and Liquid headers,
 * queryParams, a Liquid URL over tenant metadata, text and JSON templates, extraFields, the include*
 * pruning of gateway-shaped payloads, template errors, and test-sends. A real server and real
 * receivers, all on 127.0.0.1; bodies, headers and queries are checked byte for byte and every
 * signature is verified with the `standardwebhooks` package.
 */
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { VERSION } from '../../src/version.js'
import { startReceiver, type Receiver, type ReceiverHit } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, expectAttemptShape, guardAgainst5xx } from './api-support.js'

/** A fixed `occurredAt`, so the envelope's `timestamp` is known in advance. */
const OCCURRED_AT = '2024-05-01T12:00:00.000Z'

/** The hit's headers as plain strings, as verification libraries take them. */
function plainHeaders(hit: ReceiverHit): Record<string, string> {
  return Object.fromEntries(Object.entries(hit.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]))
}

/** Everything after the `?` of the request line, exactly as received ('' without a query). */
function rawQuery(hit: ReceiverHit): string {
  const at = hit.url.indexOf('?')
  return at === -1 ? '' : hit.url.slice(at + 1)
}

/**
 * Checks the hit's Standard Webhooks signature over `signed` (the body, or the query string for
 * GET) with the endpoint's secret, and that the same headers do not verify other content.
 */
function expectSigned(hit: ReceiverHit, secret: string, signed: string): void {
  const headers = plainHeaders(hit)
  const wh = new Webhook(secret)
  expect(() => wh.verify(signed, headers, { jsonParse: false })).not.toThrow()
  expect(() => wh.verify(`${signed}&x`, headers, { jsonParse: false })).toThrow()
  expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
}

/** The default body, byte for byte: `{"id","type","timestamp","data"}` in that order. */
const envelope = (id: string, type: string, data: unknown): string => JSON.stringify({ id, type, timestamp: OCCURRED_AT, data })

const base64 = (s: string): string => Buffer.from(s).toString('base64')

/** A payload shaped like the gateway's `request.*` events. */
const GATEWAY_PAYLOAD = {
  route: 'checkout',
  request: {
    method: 'POST',
    path: '/pay',
    query: { coupon: 'SPRING' },
    headers: { 'content-type': 'application/json', 'x-request-id': 'req-1' },
    body: { amount: 4200, currency: 'EUR' },
  },
  response: {
    status: 502,
    headers: { 'content-type': 'text/plain', 'retry-after': '5' },
    body: 'upstream unavailable',
  },
  durationMs: 37,
}

/** A deep copy of `value` without the dot paths given (e.g. `request.body`): what pruning should leave. */
function without<T>(value: T, ...paths: string[]): T {
  const copy = structuredClone(value) as Record<string, any>
  for (const path of paths) {
    const keys = path.split('.')
    const last = keys.pop()!
    let at: Record<string, any> = copy
    for (const k of keys) at = at[k]
    delete at[last]
  }
  return copy as T
}

interface Ep {
  tenantId: string
  id: string
  secret: string
  /** The endpoint as the create call answered it. */
  created: any
}

describe.concurrent('request shaping on the wire', () => {
  let srv: TestServer
  let check5xx = (): void => {}
  const receivers: Receiver[] = []
  let tenants = 0

  beforeAll(async () => {
    srv = await startTestServer()
    check5xx = guardAgainst5xx(srv)
  })
  afterEach(() => check5xx())
  afterAll(async () => {
    // Receivers first, so nothing in flight holds the server's shutdown.
    for (const r of receivers) await r.close()
    await srv?.close()
  })

  async function receiver(): Promise<Receiver> {
    const r = await startReceiver()
    receivers.push(r)
    return r
  }

  async function tenant(metadata: Record<string, unknown> = {}): Promise<string> {
    const id = `shp-${++tenants}`
    const res = await srv.api('POST', '/v1/tenants', { id, name: `Tenant ${id}`, metadata })
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return id
  }

  async function endpointFor(tenantId: string, body: Record<string, unknown>): Promise<Ep> {
    const res = await srv.api('POST', `/v1/tenants/${tenantId}/endpoints`, body)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    const secret = await srv.api('GET', `/v1/tenants/${tenantId}/endpoints/${res.body.id}/secret`)
    expect(secret.status).toBe(200)
    return { tenantId, id: res.body.id, secret: secret.body.secret, created: res.body }
  }

  /** A fresh tenant (with this metadata), one receiver and one endpoint built from the receiver's URL. */
  async function setup(body: (rcv: Receiver) => Record<string, unknown>, tenantMetadata: Record<string, unknown> = {}): Promise<{ rcv: Receiver; ep: Ep }> {
    const t = await tenant(tenantMetadata)
    const rcv = await receiver()
    return { rcv, ep: await endpointFor(t, body(rcv)) }
  }

  async function publish(tenantId: string, type: string, payload: Record<string, unknown>): Promise<string> {
    const pub = await srv.api('POST', `/v1/tenants/${tenantId}/events`, { type, payload, occurredAt: OCCURRED_AT })
    expect(pub.status, JSON.stringify(pub.body)).toBe(202)
    return pub.body.id
  }

  /** The delivery of this event to this endpoint, once it is no longer pending. */
  async function settled(ep: Ep, eventId: string): Promise<any> {
    return eventually(async () => {
      const list = await srv.api('GET', `/v1/tenants/${ep.tenantId}/deliveries?eventId=${eventId}&endpointId=${ep.id}`)
      const d = list.body.data?.[0]
      if (!d || d.status === 'pending') return null
      const detail = await srv.api('GET', `/v1/tenants/${ep.tenantId}/deliveries/${d.id}`)
      return detail.body.status === 'pending' ? null : detail.body
    }, DELIVERY_WAIT_MS)
  }

  /** Publishes one event and returns what the receiver got and the succeeded delivery's only attempt. */
  async function publishAndReceive(ep: Ep, rcv: Receiver, type: string, payload: Record<string, unknown>): Promise<{ eventId: string; hit: ReceiverHit; attempt: any }> {
    const before = rcv.hits.length
    const eventId = await publish(ep.tenantId, type, payload)
    const hits = await rcv.waitForHits(before + 1, DELIVERY_WAIT_MS)
    const hit = hits[before]!
    const delivery = await settled(ep, eventId)
    expect(delivery).toMatchObject({ status: 'succeeded', attemptCount: 1 })
    const attempt = delivery.attempts[0]
    expectAttemptShape(attempt, 'scheduled')
    expect(hit.headers['webhook-id']).toBe(eventId)
    expect(hit.headers['user-agent']).toBe(`hookrelay/${VERSION}`)
    // The attempt log records the request as it went out, credentials masked (auth is checked
    // separately): the signature shows its version and last characters, never enough to replay it.
    expect(attempt.request.body).toBe(hit.body)
    const signature = String(hit.headers['webhook-signature'])
    expect(attempt.request.headers['webhook-signature']).toBe(`v1,****${signature.slice(-4)}`)
    return { eventId, hit, attempt }
  }

  const getEndpoint = async (ep: Ep): Promise<any> => {
    const res = await srv.api('GET', `/v1/tenants/${ep.tenantId}/endpoints/${ep.id}`)
    expect(res.status).toBe(200)
    return res.body
  }

  describe('method', () => {
    it.each([
      { method: undefined, wire: 'POST' },
      { method: 'PUT', wire: 'PUT' },
      { method: 'PATCH', wire: 'PATCH' },
    ])('$wire sends the signed default envelope with that method', async ({ method, wire }) => {
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/hooks/orders`, ...(method ? { method } : {}) }))
      expect(ep.created.method).toBe(wire)
      expect((await getEndpoint(ep)).method).toBe(wire)
      const data = { orderId: 'o_1', total: 99.5, tags: ['a', 'b'], note: null }
      const { eventId, hit, attempt } = await publishAndReceive(ep, rcv, 'order.created', data)

      expect(hit.method).toBe(wire)
      expect(hit.url).toBe('/hooks/orders')
      expect(hit.headers['content-type']).toBe('application/json')
      expect(hit.body).toBe(envelope(eventId, 'order.created', data))
      expectSigned(hit, ep.secret, hit.body)
      expect(new Webhook(ep.secret).verify(hit.body, plainHeaders(hit))).toEqual({ id: eventId, type: 'order.created', timestamp: OCCURRED_AT, data })
      expect(attempt.request).toMatchObject({ method: wire, url: `${rcv.url}/hooks/orders` })
    })

    it('GET sends the rendered fields as a signed query string and no body', async () => {
      const template =
        '{"order": {{ event.data.order | json }}, "items": {{ event.data.items | json }}, "count": {{ event.data.count }}, ' +
        '"price": 12.5, "paid": true, "note": null, "name": {{ event.data.name | json }}, "kind": {{ event.type | json }}}'
      const { rcv, ep } = await setup((r) => ({
        url: `${r.url}/get-hook?static=1&source=old`,
        method: 'GET',
        queryParams: { source: 'hook relay' },
        payload: { template },
      }))
      const data = {
        order: { id: 'o_9', lines: [{ sku: 'A-1', qty: 2 }], shipped: false },
        items: [1, 'two', null, { three: 3 }],
        count: 3,
        name: 'Ada Lovelace & Co/ü?',
      }
      const { hit, attempt } = await publishAndReceive(ep, rcv, 'order.shipped', data)

      expect(hit.method).toBe('GET')
      expect(hit.body).toBe('')
      expect(hit.headers['content-type']).toBeUndefined()
      expect(hit.headers['transfer-encoding']).toBeUndefined()
      expect(hit.url.startsWith('/get-hook?')).toBe(true)

      // The URL's own parameter stays, `source` is replaced by queryParams, then the body's fields in order:
      // strings as they are, numbers and booleans as JSON text, null as empty, objects and arrays as JSON.
      const fields: Array<[string, string]> = [
        ['static', '1'],
        ['source', 'hook relay'],
        ['order', '{"id":"o_9","lines":[{"sku":"A-1","qty":2}],"shipped":false}'],
        ['items', '[1,"two",null,{"three":3}]'],
        ['count', '3'],
        ['price', '12.5'],
        ['paid', 'true'],
        ['note', ''],
        ['name', 'Ada Lovelace & Co/ü?'],
        ['kind', 'order.shipped'],
      ]
      const query = rawQuery(hit)
      expect([...new URLSearchParams(query)]).toEqual(fields)
      // Percent-encoded (a space is %20, not +), byte for byte.
      expect(query).toBe(fields.map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&'))
      expect(query).toContain('source=hook%20relay')
      expect(query).toContain('name=Ada%20Lovelace%20%26%20Co%2F%C3%BC%3F')
      expect(query).toContain('note=&')
      expect(JSON.parse(new URLSearchParams(query).get('order')!)).toEqual(data.order)

      // The signature covers the query string in place of the body; a receiver verifies it as is.
      expectSigned(hit, ep.secret, query)
      expect(() => new Webhook(ep.secret).verify('', plainHeaders(hit), { jsonParse: false })).toThrow()
      const reordered = [...fields.slice(1), fields[0]!].map(([k, v]) => `${k}=${encodeURIComponent(v)}`).join('&')
      expect(() => new Webhook(ep.secret).verify(reordered, plainHeaders(hit), { jsonParse: false })).toThrow()

      expect(attempt.request.method).toBe('GET')
      expect(attempt.request.url).toBe(`${rcv.url}${hit.url}`)
      expect(attempt.request.body).toBe('')
      expect(attempt.request.headers['content-type']).toBeUndefined()
    })

    it('GET without a template sends the envelope fields (data JSON-encoded) plus extraFields', async () => {
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/poll`, method: 'GET', payload: { extraFields: { source: 'hookrelay', version: 2 } } }))
      const data = { user: { id: 7, roles: ['admin'] }, active: true }
      const { eventId, hit } = await publishAndReceive(ep, rcv, 'user.updated', data)
      expect(hit.method).toBe('GET')
      expect(hit.body).toBe('')
      const query = rawQuery(hit)
      expect([...new URLSearchParams(query)]).toEqual([
        ['id', eventId],
        ['type', 'user.updated'],
        ['timestamp', OCCURRED_AT],
        ['data', JSON.stringify(data)],
        ['source', 'hookrelay'],
        ['version', '2'],
      ])
      expect(hit.url).toBe(`/poll?${query}`)
      expectSigned(hit, ep.secret, query)
    })
  })

  describe('auth', () => {
    const cases = [
      {
        label: 'bearer',
        auth: { type: 'bearer', token: 'tok_live_0123456789abcdef' },
        secret: 'tok_live_0123456789abcdef',
        header: 'authorization',
        wire: 'Bearer tok_live_0123456789abcdef',
        shown: { type: 'bearer', token: '****cdef' },
        logged: /^Bearer \*{4}cdef$/,
      },
      {
        label: 'bearer (short token: no characters shown)',
        auth: { type: 'bearer', token: 'short-tok' },
        secret: 'short-tok',
        header: 'authorization',
        wire: 'Bearer short-tok',
        shown: { type: 'bearer', token: '****' },
        logged: /^Bearer \*{4}$/,
      },
      {
        label: 'basic',
        auth: { type: 'basic', username: 'ada', password: 'correct-horse-battery' },
        secret: 'correct-horse-battery',
        header: 'authorization',
        wire: `Basic ${base64('ada:correct-horse-battery')}`,
        shown: { type: 'basic', username: 'ada', password: '****tery' },
        // Nothing of the base64 either: its last characters would decode to the password's.
        logged: /^Basic \*{4}$/,
      },
      {
        label: 'header',
        auth: { type: 'header', name: 'X-Api-Key', value: 'key_0123456789WXYZ' },
        secret: 'key_0123456789WXYZ',
        header: 'x-api-key',
        wire: 'key_0123456789WXYZ',
        shown: { type: 'header', name: 'X-Api-Key', value: '****WXYZ' },
        logged: /^\*{4}WXYZ$/,
      },
    ]

    it.each(cases)('$label: sent in full, masked by the API and the attempt log, kept when the hint is sent back', async (c) => {
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/secure`, auth: c.auth }))
      const secretAndWire = [c.secret, c.wire, base64(`ada:${c.secret}`)]
      const expectNoLeak = (what: unknown): void => {
        const text = JSON.stringify(what)
        for (const s of secretAndWire) expect(text).not.toContain(s)
      }

      // The API shows the hint only: on create, on read and in the list.
      expect(ep.created.auth).toEqual(c.shown)
      expectNoLeak(ep.created)
      const read = await getEndpoint(ep)
      expect(read.auth).toEqual(c.shown)
      expectNoLeak(read)
      const list = await srv.api('GET', `/v1/tenants/${ep.tenantId}/endpoints`)
      expect(list.body.data[0].auth).toEqual(c.shown)
      expectNoLeak(list.body)

      // On the wire: the real credential, and the request is still signed.
      const first = await publishAndReceive(ep, rcv, 'account.updated', { n: 1 })
      expect(first.hit.headers[c.header]).toBe(c.wire)
      expectSigned(first.hit, ep.secret, first.hit.body)
      // In the attempt log: masked, nowhere in full.
      expect(first.attempt.request.headers[c.header]).toMatch(c.logged)
      expect(first.attempt.request.headers[c.header]).not.toBe(c.wire)
      expectNoLeak(first.attempt)

      // Writing back what was read (the hint) keeps the stored credential.
      const patched = await srv.api('PATCH', `/v1/tenants/${ep.tenantId}/endpoints/${ep.id}`, { name: 'renamed', auth: read.auth })
      expect(patched.status, JSON.stringify(patched.body)).toBe(200)
      expect(patched.body).toMatchObject({ name: 'renamed', auth: c.shown })
      const second = await publishAndReceive(ep, rcv, 'account.updated', { n: 2 })
      expect(second.hit.headers[c.header]).toBe(c.wire)
      expect(second.attempt.request.headers[c.header]).toMatch(c.logged)
      expectNoLeak(second.attempt)
    })

    it('a PATCH with a new credential replaces it, and type none removes the header', async () => {
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/secure`, auth: { type: 'bearer', token: 'first-token-0001' } }))
      const path = `/v1/tenants/${ep.tenantId}/endpoints/${ep.id}`
      expect((await publishAndReceive(ep, rcv, 'account.updated', { n: 1 })).hit.headers.authorization).toBe('Bearer first-token-0001')

      const replaced = await srv.api('PATCH', path, { auth: { type: 'bearer', token: 'second-token-0002' } })
      expect(replaced.status).toBe(200)
      expect(replaced.body.auth).toEqual({ type: 'bearer', token: '****0002' })
      expect((await publishAndReceive(ep, rcv, 'account.updated', { n: 2 })).hit.headers.authorization).toBe('Bearer second-token-0002')

      // Leaving auth out of a PATCH keeps it too.
      expect((await srv.api('PATCH', path, { description: 'still authenticated' })).status).toBe(200)
      expect((await publishAndReceive(ep, rcv, 'account.updated', { n: 3 })).hit.headers.authorization).toBe('Bearer second-token-0002')

      const none = await srv.api('PATCH', path, { auth: { type: 'none' } })
      expect(none.status).toBe(200)
      expect(none.body.auth).toEqual({ type: 'none' })
      const last = await publishAndReceive(ep, rcv, 'account.updated', { n: 4 })
      expect(last.hit.headers.authorization).toBeUndefined()
      expect(last.attempt.request.headers.authorization).toBeUndefined()
    })
  })

  describe('headers, query parameters and URL', () => {
    it('sends custom headers, Liquid values rendered from tenant and endpoint metadata', async () => {
      const { rcv, ep } = await setup(
        (r) => ({
          url: `${r.url}/h`,
          metadata: { team: 'billing' },
          headers: {
            'X-Env': 'prod',
            'X-Region': '{{ tenant.metadata.region }}',
            'X-Owner': '{{ endpoint.metadata.team }}@{{ tenant.id }}',
          },
        }),
        { region: 'eu-west-1' },
      )
      // The API keeps the templates as written.
      expect((await getEndpoint(ep)).headers).toEqual({ 'X-Env': 'prod', 'X-Region': '{{ tenant.metadata.region }}', 'X-Owner': '{{ endpoint.metadata.team }}@{{ tenant.id }}' })

      const { hit, attempt } = await publishAndReceive(ep, rcv, 'invoice.paid', { amount: 1 })
      expect(hit.headers['x-env']).toBe('prod')
      expect(hit.headers['x-region']).toBe('eu-west-1')
      expect(hit.headers['x-owner']).toBe(`billing@${ep.tenantId}`)
      expect(hit.headers['content-type']).toBe('application/json')
      expectSigned(hit, ep.secret, hit.body)
      expect(attempt.request.headers).toMatchObject({ 'x-env': 'prod', 'x-region': 'eu-west-1', 'x-owner': `billing@${ep.tenantId}` })

      // A change to the tenant's metadata shows in the next request.
      const patched = await srv.api('PATCH', `/v1/tenants/${ep.tenantId}`, { metadata: { region: 'us-east-2' } })
      expect(patched.status).toBe(200)
      const next = await publishAndReceive(ep, rcv, 'invoice.paid', { amount: 2 })
      expect(next.hit.headers['x-region']).toBe('us-east-2')
    })

    it('adds queryParams to the URL, percent-encoded, replacing same-name parameters and keeping the rest', async () => {
      const { rcv, ep } = await setup((r) => ({
        url: `${r.url}/q?source=old&keep=1&b=x%20y`,
        queryParams: { source: 'hookrelay', 'new key': 'a b&c=d/é' },
      }))
      expect((await getEndpoint(ep)).queryParams).toEqual({ source: 'hookrelay', 'new key': 'a b&c=d/é' })
      const { eventId, hit, attempt } = await publishAndReceive(ep, rcv, 'order.created', { id: 1 })
      expect(hit.method).toBe('POST')
      expect(hit.url).toBe('/q?keep=1&b=x%20y&source=hookrelay&new%20key=a%20b%26c%3Dd%2F%C3%A9')
      expect(hit.body).toBe(envelope(eventId, 'order.created', { id: 1 }))
      // For POST the body is signed, whatever the query.
      expectSigned(hit, ep.secret, hit.body)
      expect(attempt.request.url).toBe(`${rcv.url}${hit.url}`)
    })

    it('renders a Liquid URL from tenant metadata; a tenant PATCH moves the next delivery, and a missing value fails with kind template', async () => {
      const a = await receiver()
      const b = await receiver()
      const t = await tenant({ port: a.port })
      const template = 'http://127.0.0.1:{{ tenant.metadata.port }}/hooks/{{ endpoint.metadata.slot }}?t={{ tenant.id }}'
      const ep = await endpointFor(t, { url: template, metadata: { slot: 'blue' } })
      // The API keeps the template; each attempt records the rendered URL.
      expect(ep.created.url).toBe(template)

      const first = await publishAndReceive(ep, a, 'deploy.finished', { v: 1 })
      expect(first.hit.url).toBe(`/hooks/blue?t=${t}`)
      expect(first.attempt.request.url).toBe(`http://127.0.0.1:${a.port}/hooks/blue?t=${t}`)
      expectSigned(first.hit, ep.secret, first.hit.body)

      expect((await srv.api('PATCH', `/v1/tenants/${t}`, { metadata: { port: b.port } })).status).toBe(200)
      const second = await publishAndReceive(ep, b, 'deploy.finished', { v: 2 })
      expect(second.hit.url).toBe(`/hooks/blue?t=${t}`)
      expect(second.attempt.request.url).toBe(`http://127.0.0.1:${b.port}/hooks/blue?t=${t}`)
      expect(a.hits).toHaveLength(1)

      // Without the value the URL cannot be rendered: nothing is sent, the delivery fails at once.
      expect((await srv.api('PATCH', `/v1/tenants/${t}`, { metadata: {} })).status).toBe(200)
      const eventId = await publish(t, 'deploy.finished', { v: 3 })
      const failed = await settled(ep, eventId)
      expect(failed).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null })
      expect(failed.attempts[0]).toMatchObject({ success: false, response: null, error: { kind: 'template' } })
      expect(a.hits).toHaveLength(1)
      expect(b.hits).toHaveLength(1)
    })
  })

  describe('payload', () => {
    it('text format: the rendered template, as text/plain', async () => {
      const template = 'Order {{ event.data.orderId }} for {{ tenant.name }}: {{ event.data.total }} {{ event.data.currency }} ({{ event.type }} {{ event.id }} at {{ event.timestamp }}, {{ endpoint.name }})'
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/slack`, name: 'Ops channel', payload: { format: 'text', template } }))
      expect(ep.created.payload).toMatchObject({ format: 'text', template })
      const { eventId, hit } = await publishAndReceive(ep, rcv, 'order.created', { orderId: 'A-17', total: 42.5, currency: 'EUR' })
      expect(hit.headers['content-type']).toBe('text/plain')
      expect(hit.body).toBe(`Order A-17 for Tenant ${ep.tenantId}: 42.5 EUR (order.created ${eventId} at ${OCCURRED_AT}, Ops channel)`)
      expectSigned(hit, ep.secret, hit.body)
    })

    it('JSON template: the output as rendered, values serialized by the json filter', async () => {
      const template = '{"kind": {{ event.type | json }}, "order": {{ event.data.order | json }}, "quote": {{ event.data.quote | json }}, "team": {{ endpoint.metadata.team | json }}, "plan": {{ tenant.metadata.plan | json }}, "at": {{ event.timestamp | json }}}'
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/zap`, metadata: { team: 'billing' }, payload: { template } }), { plan: 'gold' })
      const data = { order: { id: 'o_1', items: [1, 2], total: null }, quote: 'He said "hi" ✓ \\ done' }
      const { hit } = await publishAndReceive(ep, rcv, 'order.created', data)
      expect(hit.headers['content-type']).toBe('application/json')
      expect(hit.body).toBe(
        '{"kind": "order.created", "order": {"id":"o_1","items":[1,2],"total":null}, "quote": "He said \\"hi\\" ✓ \\\\ done", "team": "billing", "plan": "gold", "at": "2024-05-01T12:00:00.000Z"}',
      )
      expect(new Webhook(ep.secret).verify(hit.body, plainHeaders(hit))).toEqual({
        kind: 'order.created',
        order: data.order,
        quote: data.quote,
        team: 'billing',
        plan: 'gold',
        at: OCCURRED_AT,
      })
    })

    it('extraFields are merged over the top level of the default envelope', async () => {
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/x`, payload: { extraFields: { source: 'hookrelay', env: { region: 'eu' }, n: 1 } } }))
      expect(ep.created.payload.extraFields).toEqual({ source: 'hookrelay', env: { region: 'eu' }, n: 1 })
      const data = { a: 1 }
      const { eventId, hit } = await publishAndReceive(ep, rcv, 'thing.happened', data)
      expect(hit.body).toBe(JSON.stringify({ id: eventId, type: 'thing.happened', timestamp: OCCURRED_AT, data, source: 'hookrelay', env: { region: 'eu' }, n: 1 }))
      expectSigned(hit, ep.secret, hit.body)
    })

    it('extraFields are merged over a template\'s output, replacing fields of the same name', async () => {
      const template = '{"a": 1, "kind": {{ event.type | json }}, "id": {{ event.data.id | json }}}'
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/x`, payload: { template, extraFields: { kind: 'overridden', b: [1, 'two'] } } }))
      const { hit } = await publishAndReceive(ep, rcv, 'thing.happened', { id: 'x-1' })
      expect(hit.body).toBe('{"a":1,"kind":"overridden","id":"x-1","b":[1,"two"]}')
      expectSigned(hit, ep.secret, hit.body)
    })

    it('include* options prune a gateway-shaped payload: absent, not null', async () => {
      const t = await tenant()
      const cases = [
        { label: 'defaults drop both headers', payload: {}, data: without(GATEWAY_PAYLOAD, 'request.headers', 'response.headers') },
        { label: 'includeHeaders keeps everything', payload: { includeHeaders: true }, data: GATEWAY_PAYLOAD },
        { label: 'no request body', payload: { includeRequestBody: false }, data: without(GATEWAY_PAYLOAD, 'request.headers', 'request.body', 'response.headers') },
        { label: 'no response body', payload: { includeResponseBody: false, includeHeaders: true }, data: without(GATEWAY_PAYLOAD, 'response.body') },
        { label: 'no status code', payload: { includeStatusCode: false }, data: without(GATEWAY_PAYLOAD, 'request.headers', 'response.headers', 'response.status') },
        {
          label: 'all off',
          payload: { includeRequestBody: false, includeResponseBody: false, includeHeaders: false, includeStatusCode: false },
          data: { route: 'checkout', request: { method: 'POST', path: '/pay', query: { coupon: 'SPRING' } }, response: {}, durationMs: 37 },
        },
      ]
      const targets = await Promise.all(
        cases.map(async (c) => {
          const rcv = await receiver()
          const ep = await endpointFor(t, { url: `${rcv.url}/gw`, eventTypes: ['request.*'], payload: c.payload })
          return { ...c, rcv, ep }
        }),
      )
      // A template sees the pruned data too.
      const tplRcv = await receiver()
      const tplEp = await endpointFor(t, { url: `${tplRcv.url}/gw`, payload: { template: '{"d": {{ event.data | json }}}', includeResponseBody: false } })

      const eventId = await publish(t, 'request.completed', GATEWAY_PAYLOAD)
      for (const c of targets) {
        const [hit] = await c.rcv.waitForHits(1, DELIVERY_WAIT_MS)
        expect(hit!.body, c.label).toBe(envelope(eventId, 'request.completed', c.data))
        expectSigned(hit!, c.ep.secret, hit!.body)
        const delivery = await settled(c.ep, eventId)
        expect(delivery.status).toBe('succeeded')
        expect(delivery.attempts[0].request.body, c.label).toBe(hit!.body)
      }
      const byLabel = (label: string): any => JSON.parse(targets.find((c) => c.label === label)!.rcv.hits[0]!.body).data
      expect(Object.keys(byLabel('defaults drop both headers').request)).toEqual(['method', 'path', 'query', 'body'])
      expect(Object.keys(byLabel('defaults drop both headers').response)).toEqual(['status', 'body'])
      expect('status' in byLabel('no status code').response).toBe(false)
      expect('body' in byLabel('no request body').request).toBe(false)
      expect(byLabel('all off').response).toEqual({})

      const [tplHit] = await tplRcv.waitForHits(1, DELIVERY_WAIT_MS)
      expect(tplHit!.body).toBe(`{"d": ${JSON.stringify(without(GATEWAY_PAYLOAD, 'request.headers', 'response.headers', 'response.body'))}}`)
      expectSigned(tplHit!, tplEp.secret, tplHit!.body)
    })

    it('leaves an event that is not gateway-shaped alone, request and response fields included', async () => {
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/tickets` }))
      const payload = { request: { id: 'r1', text: 'help', headers: { from: 'ada' } }, response: { headers: { x: 1 }, status: 'open' } }
      const eventId = await publish(ep.tenantId, 'ticket.created', payload)
      const [hit] = await rcv.waitForHits(1, DELIVERY_WAIT_MS)
      expect(hit!.body).toBe(envelope(eventId, 'ticket.created', payload))
    })

    it('a gateway payload without a response (timeout) keeps response null', async () => {
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/gw` }))
      const payload = { ...GATEWAY_PAYLOAD, response: null }
      const { eventId, hit } = await publishAndReceive(ep, rcv, 'request.timeout', payload)
      expect(hit.body).toBe(envelope(eventId, 'request.timeout', without(payload, 'request.headers')))
    })
  })

  describe('template errors', () => {
    it('fail the attempt with kind template, send nothing, and leave the dispatcher working', async () => {
      const t = await tenant()
      const undefinedVar = await receiver()
      const badJson = await receiver()
      const good = await receiver()
      const epUndefined = await endpointFor(t, { url: `${undefinedVar.url}/u`, payload: { template: '{"x": {{ event.data.nope }}}' } })
      const epBadJson = await endpointFor(t, { url: `${badJson.url}/j`, payload: { template: '{"x": {{ event.type }}}' } })
      const epGood = await endpointFor(t, { url: `${good.url}/g` })

      const eventId = await publish(t, 'order.created', { id: 1 })
      const failedUndefined = await settled(epUndefined, eventId)
      const failedJson = await settled(epBadJson, eventId)
      for (const [d, message] of [
        [failedUndefined, /nope/],
        [failedJson, /JSON/],
      ] as const) {
        // Not retried: the same template fails the same way on every try.
        expect(d).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null })
        expect(d.attempts).toHaveLength(1)
        expectAttemptShape(d.attempts[0], 'scheduled')
        expect(d.attempts[0]).toMatchObject({ success: false, response: null, error: { kind: 'template' } })
        expect(d.attempts[0].error.message).toMatch(message)
      }
      expect(undefinedVar.hits).toHaveLength(0)
      expect(undefinedVar.connections).toBe(0)
      expect(badJson.hits).toHaveLength(0)
      expect(badJson.connections).toBe(0)

      // The same event reached the endpoint without a template, and later deliveries still go out.
      const [goodHit] = await good.waitForHits(1, DELIVERY_WAIT_MS)
      expect(goodHit!.body).toBe(envelope(eventId, 'order.created', { id: 1 }))
      expect((await settled(epGood, eventId)).status).toBe('succeeded')
      const t2 = await tenant()
      const after = await receiver()
      const epAfter = await endpointFor(t2, { url: `${after.url}/after` })
      const later = await publishAndReceive(epAfter, after, 'order.created', { id: 2 })
      expect(later.hit.body).toBe(envelope(later.eventId, 'order.created', { id: 2 }))
      expect((await srv.api('GET', '/healthz')).body).toEqual({ status: 'ok' })
      expect(undefinedVar.hits).toHaveLength(0)
      expect(badJson.hits).toHaveLength(0)
    })

    it('a header template whose tenant value is gone fails with kind template', async () => {
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/h`, headers: { 'X-Region': '{{ tenant.metadata.region }}' } }), { region: 'eu' })
      expect((await publishAndReceive(ep, rcv, 'a.b', {})).hit.headers['x-region']).toBe('eu')
      expect((await srv.api('PATCH', `/v1/tenants/${ep.tenantId}`, { metadata: { other: 1 } })).status).toBe(200)
      const eventId = await publish(ep.tenantId, 'a.b', {})
      const d = await settled(ep, eventId)
      expect(d).toMatchObject({ status: 'failed', attemptCount: 1 })
      expect(d.attempts[0]).toMatchObject({ response: null, error: { kind: 'template' } })
      expect(rcv.hits).toHaveLength(1)
    })
  })

  describe('test-send', () => {
    it('shapes the test event like a real one: method, auth, template, signature', async () => {
      const template = '{"text": {{ "Test of " | append: event.type | json }}, "data": {{ event.data | json }}, "team": {{ endpoint.metadata.team | json }}}'
      const { rcv, ep } = await setup((r) => ({
        url: `${r.url}/test-hook`,
        method: 'PUT',
        metadata: { team: 'ops' },
        auth: { type: 'bearer', token: 'test-send-token-9876' },
        headers: { 'X-Env': 'staging' },
        queryParams: { via: 'test' },
        payload: { template, extraFields: { source: 'hookrelay' } },
      }))
      const path = `/v1/tenants/${ep.tenantId}/endpoints/${ep.id}/test`

      const res = await srv.api('POST', path, { eventType: 'order.created', payload: { orderId: 'A-1' } })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      const attempt = res.body
      expectAttemptShape(attempt, 'test')
      expect(attempt).toMatchObject({ success: true, error: null, response: { status: 200 } })
      const [hit] = await rcv.waitForHits(1)
      expect(hit!.method).toBe('PUT')
      expect(hit!.url).toBe('/test-hook?via=test')
      expect(hit!.headers.authorization).toBe('Bearer test-send-token-9876')
      expect(hit!.headers['x-env']).toBe('staging')
      expect(hit!.headers['content-type']).toBe('application/json')
      expect(hit!.body).toBe('{"text":"Test of order.created","data":{"orderId":"A-1"},"team":"ops","source":"hookrelay"}')
      expectSigned(hit!, ep.secret, hit!.body)
      expect(attempt.request).toMatchObject({ method: 'PUT', url: `${rcv.url}/test-hook?via=test`, body: hit!.body })
      expect(attempt.request.headers.authorization).toBe('Bearer ****9876')
      expect(JSON.stringify(attempt)).not.toContain('test-send-token-9876')

      // Without a payload, the template renders the default test payload.
      const again = await srv.api('POST', path, {})
      expect(again.status).toBe(200)
      const [, hit2] = await rcv.waitForHits(2)
      expect(JSON.parse(hit2!.body)).toEqual({
        text: 'Test of webhook.test',
        data: { message: 'This is a test event from Hookrelay.', endpointId: ep.id },
        team: 'ops',
        source: 'hookrelay',
      })
      expect(again.body.request.body).toBe(hit2!.body)
    })

    it('reports a template error as the attempt, and sends nothing', async () => {
      const { rcv, ep } = await setup((r) => ({ url: `${r.url}/t`, payload: { template: '{"x": {{ event.data.missing }}}' } }))
      const res = await srv.api('POST', `/v1/tenants/${ep.tenantId}/endpoints/${ep.id}/test`, { payload: { present: true } })
      expect(res.status, JSON.stringify(res.body)).toBe(200)
      expectAttemptShape(res.body, 'test')
      expect(res.body).toMatchObject({ success: false, response: null, error: { kind: 'template' } })
      expect(res.body.error.message).toContain('missing')
      expect(rcv.hits).toHaveLength(0)
      expect(rcv.connections).toBe(0)
    })
  })
})
