/**
 * API.md "Gateway routes", end to end over real HTTP: the routes API (defaults, gatewayUrl, PATCH,
 * DELETE, 409 route_exists, 422s, 404s, url_not_allowed, tenant-key scoping, pagination), the proxy
 * at `/gw/{tenantId}/{routeName}/{rest}` (method, path, query, headers and body both ways, hop-by-hop
 * headers, x-forwarded-*, redirects passed back, 4xx/5xx passed through, 504 on timeout, 502 when
 * unreachable, 404 for unknown or deleted routes), and the `request.*` lifecycle events (types,
 * channel, payload shape, body parsing, the 64 KiB cut, redaction, the endpoint's include* options).
 * Network rule: loopback only; the upstreams and the event receivers are local receivers on 127.0.0.1.
 */
import http from 'node:http'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { sleep, useFixture } from '../helpers/fixture.js'
import { unusedPort, type Receiver, type ReceiverHandler, type ReceiverHit, type ReceiverReply } from '../helpers/receiver.js'
import { readMetrics, sampleOf } from '../helpers/metrics.js'
import { eventually, startTestServer } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, ISO, expectInvalid, expectList, expectProblem, guardAgainst5xx, walkPages, type ApiResponse } from './api-support.js'

const KIB64 = 64 * 1024
const ALL_TYPES = ['request.received', 'request.success', 'request.redirect', 'request.client_error', 'request.server_error', 'request.timeout', 'request.error', 'request.completed']

/** A response of the gateway: status, headers, the raw text and the text parsed as JSON when it is. */
interface GwResponse extends ApiResponse {
  text: string
}

/** A deep copy of `value` without the dot paths given (e.g. `request.body`). */
function without<T>(value: T, ...paths: string[]): T {
  const copy = structuredClone(value) as Record<string, any>
  for (const path of paths) {
    const keys = path.split('.')
    const last = keys.pop()!
    let at: Record<string, any> | null = copy
    for (const k of keys) at = at?.[k] ?? null
    if (at) delete at[last]
  }
  return copy as T
}

/** A raw HTTP/1.1 request with node:http, so any header (hop-by-hop ones included) goes out as given. */
function rawRequest(url: string, opts: { method?: string; headers?: http.OutgoingHttpHeaders; body?: string } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }))
      res.on('error', reject)
    })
    req.on('error', reject)
    req.end(opts.body)
  })
}

/** Parses a delivered Standard Webhooks envelope. */
const envelopeOf = (hit: ReceiverHit): { id: string; type: string; timestamp: string; data: any } => JSON.parse(hit.body)

/** The payload shape of every `request.*` event, as stored (nothing pruned). */
function expectPayloadShape(p: any, route: string): void {
  expect(Object.keys(p).sort()).toEqual(['durationMs', 'request', 'response', 'route'])
  expect(p.route).toBe(route)
  expect(Object.keys(p.request).sort()).toEqual(['body', 'headers', 'method', 'path', 'query'])
  expect(typeof p.request.method).toBe('string')
  expect(p.request.path.startsWith('/')).toBe(true)
  expect(typeof p.request.query).toBe('object')
  expect(p.request.query).not.toBeNull()
  expect(typeof p.request.headers).toBe('object')
  for (const name of Object.keys(p.request.headers)) expect(name).toBe(name.toLowerCase())
  if (p.response !== null) {
    expect(Object.keys(p.response).sort()).toEqual(['body', 'headers', 'status'])
    expect(Number.isInteger(p.response.status)).toBe(true)
    for (const name of Object.keys(p.response.headers)) expect(name).toBe(name.toLowerCase())
  }
  expect(typeof p.durationMs).toBe('number')
  expect(p.durationMs).toBeGreaterThanOrEqual(0)
}

describe('gateway routes', () => {
  const f = useFixture('gw')
  let check5xx = (): void => {}
  beforeAll(() => {
    check5xx = guardAgainst5xx(f.srv)
  })
  afterEach(() => check5xx())

  const routes = (t: string): string => `/v1/tenants/${t}/routes`

  const createRoute = async (t: string, body: Record<string, unknown>): Promise<any> => {
    const res = await f.srv.api('POST', routes(t), body)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    return res.body
  }

  /** A request to the gateway, as any client would send it: no token, redirects not followed. */
  const gw = async (path: string, init: RequestInit = {}): Promise<GwResponse> => {
    const res = await fetch(`${f.srv.url}${path}`, { redirect: 'manual', ...init })
    const text = await res.text()
    let body: unknown = text
    try {
      body = text === '' ? null : JSON.parse(text)
    } catch {
      // not JSON
    }
    return { status: res.status, headers: res.headers, text, body }
  }

  /** Every event of the tenant, oldest first. */
  const events = async (t: string): Promise<any[]> => expectList(await f.srv.api('GET', `/v1/tenants/${t}/events?limit=250`)).reverse()

  /**
   * The events of one gateway request, oldest first, once `request.completed` is there and nothing
   * more came for a while.
   */
  const lifecycle = async (t: string): Promise<any[]> => {
    await eventually(async () => (await events(t)).some((e) => e.type === 'request.completed'), DELIVERY_WAIT_MS)
    await sleep(400)
    return events(t)
  }

  const typesOf = (evs: any[]): string[] => evs.map((e) => e.type as string).sort()

  const byType = (evs: any[]): Record<string, any> => {
    const out: Record<string, any> = {}
    for (const e of evs) {
      expect(out[e.type], `two ${e.type} events`).toBeUndefined()
      out[e.type] = e
    }
    return out
  }

  /** A fresh tenant, an upstream receiver and a route to it (`path` appended to the receiver's URL). */
  const setup = async (opts: { handler?: ReceiverHandler; name?: string; path?: string; timeoutSeconds?: number } = {}): Promise<{ t: string; up: Receiver; route: any; name: string; base: string }> => {
    const t = await f.tenant()
    const up = await f.receiver(opts.handler)
    const name = opts.name ?? 'orders-api'
    const route = await createRoute(t, { name, upstreamUrl: `${up.url}${opts.path ?? ''}`, ...(opts.timeoutSeconds === undefined ? {} : { timeoutSeconds: opts.timeoutSeconds }) })
    return { t, up, route, name, base: `/gw/${t}/${name}` }
  }

  /** An endpoint of tenant `t` receiving the `request.*` events of route `name`, headers included. */
  const listener = async (t: string, name: string, extra: Record<string, unknown> = {}): Promise<{ hooks: Receiver; ep: any }> => {
    const hooks = await f.receiver()
    const ep = await f.endpoint(t, { url: `${hooks.url}/hooks`, eventTypes: ['request.*'], channels: [name], payload: { includeHeaders: true }, ...extra })
    return { hooks, ep }
  }

  describe.concurrent('the routes API', () => {
    it('creates a route with its defaults and its gatewayUrl, reads and lists it', async () => {
      const t = await f.tenant()
      const upstreamUrl = 'http://127.0.0.1:9/api/v2'
      const res = await f.srv.api('POST', routes(t), { name: 'checkout_v2-EU', upstreamUrl })
      expect(res.status, JSON.stringify(res.body)).toBe(201)
      const id = res.body.id as string
      expect(id).toMatch(/^rte_[A-Za-z0-9]+$/)
      expect(res.body).toEqual({
        id,
        tenantId: t,
        name: 'checkout_v2-EU',
        upstreamUrl,
        timeoutSeconds: 30,
        gatewayUrl: `${f.srv.url}/gw/${t}/checkout_v2-EU`,
        createdAt: expect.stringMatching(ISO),
        updatedAt: expect.stringMatching(ISO),
      })
      const read = await f.srv.api('GET', `${routes(t)}/${id}`)
      expect(read.status).toBe(200)
      expect(read.body).toEqual(res.body)
      expect(expectList(await f.srv.api('GET', routes(t)))).toEqual([res.body])

      const custom = await createRoute(t, { name: 'slow', upstreamUrl: 'http://127.0.0.1:9', timeoutSeconds: 60 })
      expect(custom).toMatchObject({ name: 'slow', timeoutSeconds: 60, gatewayUrl: `${f.srv.url}/gw/${t}/slow` })
      expect(custom.id).not.toBe(id)
      const fast = await createRoute(t, { name: 'fast', upstreamUrl: 'https://127.0.0.1:9/x', timeoutSeconds: 1 })
      expect(fast.timeoutSeconds).toBe(1)
      // A URL of exactly 2048 characters is accepted.
      const longUrl = `http://127.0.0.1:9/${'a'.repeat(2048 - 'http://127.0.0.1:9/'.length)}`
      expect(longUrl).toHaveLength(2048)
      expect((await createRoute(t, { name: 'long', upstreamUrl: longUrl })).upstreamUrl).toBe(longUrl)
      expect((await createRoute(t, { name: 'n'.repeat(64), upstreamUrl })).name).toBe('n'.repeat(64))
      expect(expectList(await f.srv.api('GET', routes(t)))).toHaveLength(5)
    })

    it('PATCHes any subset of the fields, and DELETE removes the route (204, then 404)', async () => {
      const t = await f.tenant()
      const r = await createRoute(t, { name: 'a', upstreamUrl: 'http://127.0.0.1:9/one' })
      await sleep(5)
      const p1 = await f.srv.api('PATCH', `${routes(t)}/${r.id}`, { timeoutSeconds: 5 })
      expect(p1.status, JSON.stringify(p1.body)).toBe(200)
      expect(p1.body).toEqual({ ...r, timeoutSeconds: 5, updatedAt: expect.stringMatching(ISO) })
      expect(Date.parse(p1.body.updatedAt)).toBeGreaterThanOrEqual(Date.parse(r.createdAt))
      const p2 = await f.srv.api('PATCH', `${routes(t)}/${r.id}`, { upstreamUrl: 'http://127.0.0.1:9/two' })
      expect(p2.body).toEqual({ ...r, timeoutSeconds: 5, upstreamUrl: 'http://127.0.0.1:9/two', updatedAt: expect.stringMatching(ISO) })
      const p3 = await f.srv.api('PATCH', `${routes(t)}/${r.id}`, { name: 'b' })
      expect(p3.body).toEqual({ ...r, name: 'b', timeoutSeconds: 5, upstreamUrl: 'http://127.0.0.1:9/two', gatewayUrl: `${f.srv.url}/gw/${t}/b`, updatedAt: expect.stringMatching(ISO) })
      const p4 = await f.srv.api('PATCH', `${routes(t)}/${r.id}`, { name: 'c', upstreamUrl: 'http://127.0.0.1:9/three', timeoutSeconds: 60 })
      expect(p4.body).toMatchObject({ id: r.id, name: 'c', upstreamUrl: 'http://127.0.0.1:9/three', timeoutSeconds: 60, createdAt: r.createdAt })
      expect((await f.srv.api('GET', `${routes(t)}/${r.id}`)).body).toEqual(p4.body)

      const del = await f.srv.api('DELETE', `${routes(t)}/${r.id}`)
      expect(del.status).toBe(204)
      expect(del.body).toBeNull()
      expectProblem(await f.srv.api('GET', `${routes(t)}/${r.id}`), 404, 'not_found')
      expectProblem(await f.srv.api('PATCH', `${routes(t)}/${r.id}`, { timeoutSeconds: 2 }), 404, 'not_found')
      expectProblem(await f.srv.api('DELETE', `${routes(t)}/${r.id}`), 404, 'not_found')
      expect(expectList(await f.srv.api('GET', routes(t)))).toEqual([])
    })

    it('refuses a duplicate name in one tenant with 409 route_exists, on create and on rename; another tenant may use it', async () => {
      const t = await f.tenant()
      const a = await createRoute(t, { name: 'dup', upstreamUrl: 'http://127.0.0.1:9/a' })
      expectProblem(await f.srv.api('POST', routes(t), { name: 'dup', upstreamUrl: 'http://127.0.0.1:9/b' }), 409, 'route_exists')
      const b = await createRoute(t, { name: 'other', upstreamUrl: 'http://127.0.0.1:9/b' })
      expectProblem(await f.srv.api('PATCH', `${routes(t)}/${b.id}`, { name: 'dup' }), 409, 'route_exists')
      expect((await f.srv.api('GET', `${routes(t)}/${b.id}`)).body).toEqual(b)
      // Renaming a route to its own name is no conflict.
      expect((await f.srv.api('PATCH', `${routes(t)}/${a.id}`, { name: 'dup' })).status).toBe(200)
      const t2 = await f.tenant()
      expect((await createRoute(t2, { name: 'dup', upstreamUrl: 'http://127.0.0.1:9/c' })).name).toBe('dup')
      expect(expectList(await f.srv.api('GET', routes(t)))).toHaveLength(2)
    })

    it.each([
      ['an empty name', { name: '' }, '/name'],
      ['a name with a space', { name: 'my route' }, '/name'],
      ['a name with a dot', { name: 'a.b' }, '/name'],
      ['a name with a slash', { name: 'a/b' }, '/name'],
      ['a name of 65 characters', { name: 'n'.repeat(65) }, '/name'],
      ['a name that is not a string', { name: 42 }, '/name'],
      ['an ftp upstream', { upstreamUrl: 'ftp://127.0.0.1/files' }, '/upstreamUrl'],
      ['a relative upstream', { upstreamUrl: '/api' }, '/upstreamUrl'],
      ['an upstream that is not a URL', { upstreamUrl: 'not a url' }, '/upstreamUrl'],
      ['an upstream of 2049 characters', { upstreamUrl: `http://127.0.0.1:9/${'a'.repeat(2049 - 'http://127.0.0.1:9/'.length)}` }, '/upstreamUrl'],
      ['a timeout of 0', { timeoutSeconds: 0 }, '/timeoutSeconds'],
      ['a timeout of 61', { timeoutSeconds: 61 }, '/timeoutSeconds'],
      ['a fractional timeout', { timeoutSeconds: 1.5 }, '/timeoutSeconds'],
      ['a timeout as a string', { timeoutSeconds: '5' }, '/timeoutSeconds'],
      ['an unknown field', { color: 'blue' }, '/color'],
    ])('refuses %s with 422 validation_failed, on create and PATCH', async (_what, body, path) => {
      const t = await f.tenant()
      expectInvalid(await f.srv.api('POST', routes(t), { name: 'ok', upstreamUrl: 'http://127.0.0.1:9/x', ...body }), path)
      expect(expectList(await f.srv.api('GET', routes(t)))).toEqual([])
      const r = await createRoute(t, { name: 'ok', upstreamUrl: 'http://127.0.0.1:9/x' })
      expectInvalid(await f.srv.api('PATCH', `${routes(t)}/${r.id}`, body), path)
      expect((await f.srv.api('GET', `${routes(t)}/${r.id}`)).body).toEqual(r)
    })

    it('refuses a route without name or upstreamUrl with 422', async () => {
      const t = await f.tenant()
      expectInvalid(await f.srv.api('POST', routes(t), { upstreamUrl: 'http://127.0.0.1:9/x' }), '/name')
      expectInvalid(await f.srv.api('POST', routes(t), { name: 'x' }), '/upstreamUrl')
    })

    it('answers 404 for an unknown tenant, an unknown route id and a route of another tenant', async () => {
      const t1 = await f.tenant()
      const t2 = await f.tenant()
      const r = await createRoute(t1, { name: 'mine', upstreamUrl: 'http://127.0.0.1:9/x' })
      expectProblem(await f.srv.api('POST', routes('gw-no-such-tenant'), { name: 'x', upstreamUrl: 'http://127.0.0.1:9/x' }), 404, 'not_found')
      expectProblem(await f.srv.api('GET', routes('gw-no-such-tenant')), 404, 'not_found')
      expectProblem(await f.srv.api('GET', `${routes('gw-no-such-tenant')}/${r.id}`), 404, 'not_found')
      expectProblem(await f.srv.api('GET', `${routes(t1)}/rte_00000000000000000000000000`), 404, 'not_found')
      expectProblem(await f.srv.api('PATCH', `${routes(t1)}/rte_00000000000000000000000000`, { timeoutSeconds: 3 }), 404, 'not_found')
      expectProblem(await f.srv.api('DELETE', `${routes(t1)}/rte_00000000000000000000000000`), 404, 'not_found')
      expectProblem(await f.srv.api('GET', `${routes(t2)}/${r.id}`), 404, 'not_found')
      expectProblem(await f.srv.api('PATCH', `${routes(t2)}/${r.id}`, { name: 'stolen' }), 404, 'not_found')
      expectProblem(await f.srv.api('DELETE', `${routes(t2)}/${r.id}`), 404, 'not_found')
      expect((await f.srv.api('GET', `${routes(t1)}/${r.id}`)).body).toEqual(r)
    })

    it('lists with limit and cursor', async () => {
      const t = await f.tenant()
      const made: any[] = []
      for (let i = 0; i < 5; i++) made.push(await createRoute(t, { name: `r${i}`, upstreamUrl: `http://127.0.0.1:9/${i}` }))
      const first = await f.srv.api('GET', `${routes(t)}?limit=2`)
      expect(expectList(first)).toHaveLength(2)
      expect(typeof first.body.nextCursor).toBe('string')
      const { items, pages } = await walkPages(f.srv, routes(t), 2)
      expect(pages).toBe(3)
      expect(items.map((r) => r.id).sort()).toEqual(made.map((r) => r.id).sort())
      expect(items).toEqual(expect.arrayContaining(made))
      expect(expectList(await f.srv.api('GET', routes(t))).length).toBe(5)
      expect((await f.srv.api('GET', `${routes(t)}?limit=0`)).status).toBe(422)
    })

    it("lets a tenant key manage its own tenant's routes only (403 on another tenant's)", async () => {
      const a = await f.tenant()
      const b = await f.tenant()
      const keyRes = await f.srv.api('POST', `/v1/tenants/${a}/api-keys`, { name: 'k' })
      expect(keyRes.status).toBe(201)
      const key = keyRes.body.key as string
      const opts = { token: key }
      const own = await f.srv.api('POST', routes(a), { name: 'mine', upstreamUrl: 'http://127.0.0.1:9/x' }, opts)
      expect(own.status, JSON.stringify(own.body)).toBe(201)
      expect(expectList(await f.srv.api('GET', routes(a), undefined, opts))).toEqual([own.body])
      expect((await f.srv.api('GET', `${routes(a)}/${own.body.id}`, undefined, opts)).body).toEqual(own.body)
      expect((await f.srv.api('PATCH', `${routes(a)}/${own.body.id}`, { timeoutSeconds: 7 }, opts)).body.timeoutSeconds).toBe(7)

      const theirs = await createRoute(b, { name: 'theirs', upstreamUrl: 'http://127.0.0.1:9/y' })
      expectProblem(await f.srv.api('GET', routes(b), undefined, opts), 403, 'forbidden')
      expectProblem(await f.srv.api('POST', routes(b), { name: 'x', upstreamUrl: 'http://127.0.0.1:9/x' }, opts), 403, 'forbidden')
      expectProblem(await f.srv.api('GET', `${routes(b)}/${theirs.id}`, undefined, opts), 403, 'forbidden')
      expectProblem(await f.srv.api('PATCH', `${routes(b)}/${theirs.id}`, { name: 'x' }, opts), 403, 'forbidden')
      expectProblem(await f.srv.api('DELETE', `${routes(b)}/${theirs.id}`, undefined, opts), 403, 'forbidden')
      // Another tenant's route under its own tenant's path does not exist.
      expectProblem(await f.srv.api('GET', `${routes(a)}/${theirs.id}`, undefined, opts), 404, 'not_found')
      expectProblem(await f.srv.api('GET', routes(a), undefined, { token: null }), 401, 'unauthorized')
      expectProblem(await f.srv.api('GET', routes(a), undefined, { token: 'wrong-token' }), 401, 'unauthorized')

      expect((await f.srv.api('DELETE', `${routes(a)}/${own.body.id}`, undefined, opts)).status).toBe(204)
      expect((await f.srv.api('GET', `${routes(b)}/${theirs.id}`)).body).toEqual(theirs)
    })
  })

  describe.concurrent('proxying', () => {
    it('GET: path, query and headers go upstream; status, headers and body come back; no token needed', async () => {
      const { up, base } = await setup({
        path: '/api',
        handler: () => ({ status: 200, headers: { 'content-type': 'application/json', 'x-upstream': 'yes', 'cache-control': 'no-store' }, body: '{"items": [1, 2],  "ok":true}' }),
      })
      const res = await gw(`${base}/orders/42/lines?expand=true&tag=a&tag=b&q=two%20words&empty=`, {
        headers: { 'x-request-id': 'req-123', accept: 'application/json', authorization: 'Bearer upstream-own-token', cookie: 'a=1; b=2' },
      })
      expect(res.status).toBe(200)
      expect(res.text).toBe('{"items": [1, 2],  "ok":true}')
      expect(res.headers.get('content-type')).toBe('application/json')
      expect(res.headers.get('x-upstream')).toBe('yes')
      expect(res.headers.get('cache-control')).toBe('no-store')

      const [hit] = await up.waitForHits(1)
      expect(up.hits).toHaveLength(1)
      expect(hit!.method).toBe('GET')
      expect(hit!.url).toBe('/api/orders/42/lines?expand=true&tag=a&tag=b&q=two%20words&empty=')
      expect(hit!.body).toBe('')
      expect(hit!.headers['x-request-id']).toBe('req-123')
      expect(hit!.headers.accept).toBe('application/json')
      // The gateway needs no token; the client's own Authorization and Cookie are the upstream's business.
      expect(hit!.headers.authorization).toBe('Bearer upstream-own-token')
      expect(hit!.headers.cookie).toBe('a=1; b=2')
    })

    it('POST JSON: the body bytes and content-type go upstream; the answer comes back byte for byte', async () => {
      const reply = '{"id":"ord_1",\n  "status": "created"}'
      const { up, base } = await setup({ handler: () => ({ status: 201, headers: { 'content-type': 'application/json; charset=utf-8', location: '/orders/ord_1' }, body: reply }) })
      const sent = '{ "amount": 4200,\n "currency":"EUR", "items": [ {"sku": "A-1"} ] }'
      const res = await gw(`${base}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: sent })
      expect(res.status).toBe(201)
      expect(res.text).toBe(reply)
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8')
      expect(res.headers.get('location')).toBe('/orders/ord_1')
      const [hit] = await up.waitForHits(1)
      expect(hit!.method).toBe('POST')
      expect(hit!.url).toBe('/orders')
      expect(hit!.body).toBe(sent)
      expect(hit!.headers['content-type']).toBe('application/json')
    })

    it('POST text: UTF-8 bytes go upstream unchanged and a text answer comes back', async () => {
      const { up, base } = await setup({ handler: (_req, body) => ({ status: 200, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `echo: ${body}` }) })
      const sent = 'héllo wörld ✓ — line1\r\nline2\n'
      const res = await gw(`${base}/echo`, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: sent })
      expect(res.status).toBe(200)
      expect(res.text).toBe(`echo: ${sent}`)
      expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8')
      const [hit] = await up.waitForHits(1)
      expect(hit!.body).toBe(sent)
      expect(hit!.headers['content-type']).toBe('text/plain; charset=utf-8')
      expect(Number(hit!.headers['content-length'] ?? Buffer.byteLength(sent))).toBe(Buffer.byteLength(sent))
    })

    it.each(['PUT', 'PATCH', 'DELETE', 'OPTIONS'])('%s is forwarded with its method and body', async (method) => {
      const { up, base } = await setup({ handler: (req) => ({ status: 200, headers: { 'x-method': req.method ?? '' }, body: `did ${req.method}` }) })
      const body = method === 'OPTIONS' ? undefined : `{"m":"${method}"}`
      const res = await gw(`${base}/things/1?v=2`, { method, headers: body ? { 'content-type': 'application/json' } : {}, body })
      expect(res.status).toBe(200)
      expect(res.text).toBe(`did ${method}`)
      expect(res.headers.get('x-method')).toBe(method)
      const [hit] = await up.waitForHits(1)
      expect(hit!.method).toBe(method)
      expect(hit!.url).toBe('/things/1?v=2')
      expect(hit!.body).toBe(body ?? '')
    })

    it.each([
      ['GET with a content-length', 'GET', { 'content-length': '7' }],
      ['GET chunked', 'GET', { 'transfer-encoding': 'chunked' }],
      ['HEAD with a content-length', 'HEAD', { 'content-length': '7' }],
    ] as Array<[string, string, Record<string, string>]>)('%s: the body goes upstream and into the events, as for POST', async (_what, method, framing) => {
      const { t, up, base } = await setup({ name: `bodied-${method}` })
      // node:http, as curl -X GET -d would: fetch refuses a GET with a body.
      const res = await rawRequest(`${f.srv.url}${base}/search?x=1`, { method, headers: { 'content-type': 'application/json', ...framing }, body: '{"q":1}' })
      expect(res.status).toBe(200)
      const [hit] = await up.waitForHits(1)
      expect(hit!.method).toBe(method)
      expect(hit!.url).toBe('/search?x=1')
      expect(hit!.body).toBe('{"q":1}')
      expect(hit!.headers['content-type']).toBe('application/json')
      const e = byType(await lifecycle(t))
      for (const type of ['request.received', 'request.success', 'request.completed']) {
        expect(e[type].payload.request, type).toMatchObject({ method, path: '/search', query: { x: '1' }, body: { q: 1 } })
      }
    })

    it('a GET body over the limit is refused with 413 payload_too_large, as a POST one is, and nothing goes upstream', async () => {
      const { up, base } = await setup({ name: 'capped' })
      const big = 'x'.repeat(1024 * 1024 + 1)
      const cases: Array<[string, Record<string, string>]> = [
        ['POST', { 'content-length': String(big.length) }],
        ['GET', { 'content-length': String(big.length) }],
        ['GET', { 'transfer-encoding': 'chunked' }],
        ['HEAD', { 'transfer-encoding': 'chunked' }],
      ]
      for (const [method, framing] of cases) {
        const res = await rawRequest(`${f.srv.url}${base}/big`, { method, headers: { 'content-type': 'text/plain', ...framing }, body: big })
        expect(res.status, `${method} ${JSON.stringify(framing)}`).toBe(413)
        if (method !== 'HEAD') expect(JSON.parse(res.body), method).toMatchObject({ code: 'payload_too_large' })
      }
      // At the limit it passes.
      const fits = big.slice(1)
      expect((await rawRequest(`${f.srv.url}${base}/fits`, { method: 'GET', headers: { 'content-length': String(fits.length) }, body: fits })).status).toBe(200)
      const [hit] = await up.waitForHits(1)
      expect(hit!.body).toBe(fits)
      await sleep(200)
      expect(up.hits).toHaveLength(1)
    })

    it('any method Node reads (PROPFIND, PURGE, MKCOL, REPORT, LINK...) reaches the upstream with its body, and into the events; CONNECT aside', async () => {
      const { t, up, base } = await setup({ name: 'any-method', handler: (req, body) => ({ status: 207, headers: { 'content-type': 'text/plain' }, body: `${req.method} ${body}` }) })
      const methods = http.METHODS.filter((m) => m !== 'CONNECT')
      for (const m of ['PROPFIND', 'PURGE', 'MKCOL', 'REPORT', 'SEARCH', 'LOCK', 'UNLOCK', 'COPY', 'MOVE', 'PROPPATCH', 'MKCALENDAR', 'LINK', 'UNLINK']) expect(methods).toContain(m)
      for (const method of methods) {
        const body = `<${method.toLowerCase()}/>`
        const res = await rawRequest(`${f.srv.url}${base}/dav/a?depth=1`, { method, headers: { 'content-type': 'application/xml', 'content-length': String(body.length) }, body })
        expect(res.status, method).toBe(207)
        if (method !== 'HEAD') expect(res.body, method).toBe(`${method} ${body}`)
      }
      expect(up.hits.map((h) => [h.method, h.url, h.body])).toEqual(methods.map((m) => [m, '/dav/a?depth=1', `<${m.toLowerCase()}/>`]))
      await eventually(async () => (await events(t)).filter((e) => e.type === 'request.completed').length === methods.length, DELIVERY_WAIT_MS)
      const completed = (await events(t)).filter((e) => e.type === 'request.completed')
      expect(completed.map((e) => [e.payload.request.method, e.payload.request.body, e.payload.response.status]).sort()).toEqual(methods.map((m) => [m, `<${m.toLowerCase()}/>`, 207]).sort())
    })

    it('a method added for the gateway is a 405 on a path that takes others, a 404 where no path is, as any other method', async () => {
      for (const [method, path] of [['PROPFIND', '/v1/tenants'], ['PURGE', '/healthz']]) {
        const res = await f.srv.api(method!, path!)
        expectProblem(res, 405, 'method_not_allowed')
        expect(res.headers.get('allow'), path).not.toContain(method)
      }
      for (const [method, path] of [['MKCOL', '/nowhere'], ['LINK', '/gw']]) {
        expectProblem(await f.srv.api(method!, path!), 404, 'route_not_found')
      }
    })

    it("keeps the upstream URL's path as a prefix without doubling slashes; an empty rest", async () => {
      const t = await f.tenant()
      const up = await f.receiver()
      await createRoute(t, { name: 'plain', upstreamUrl: up.url })
      await createRoute(t, { name: 'prefixed', upstreamUrl: `${up.url}/base` })
      await createRoute(t, { name: 'slashed', upstreamUrl: `${up.url}/base/` })
      const cases: Array<[string, string]> = [
        [`/gw/${t}/plain/a/b`, '/a/b'],
        [`/gw/${t}/prefixed/a/b`, '/base/a/b'],
        [`/gw/${t}/slashed/a/b`, '/base/a/b'],
        [`/gw/${t}/slashed/a/b?x=1`, '/base/a/b?x=1'],
        [`/gw/${t}/prefixed/files/a%20b.txt`, '/base/files/a%20b.txt'],
        [`/gw/${t}/prefixed/trailing/`, '/base/trailing/'],
        [`/gw/${t}/prefixed/`, '/base/'],
        [`/gw/${t}/prefixed`, '/base/'],
        [`/gw/${t}/prefixed?only=query`, '/base/?only=query'],
        [`/gw/${t}/plain`, '/'],
      ]
      const got: Array<[string, string]> = []
      for (const [i, [path]] of cases.entries()) {
        const res = await gw(path)
        expect(res.status, path).toBe(200)
        const hits = await up.waitForHits(i + 1)
        got.push([path, hits[i]!.url])
      }
      // All cases compared at once, so a failure shows every one of them.
      expect(got).toEqual(cases)
    })

    it('adds x-forwarded-for, -host and -proto, and sends the upstream its own host', async () => {
      const { up, base } = await setup()
      expect((await gw(`${base}/who`)).status).toBe(200)
      const [hit] = await up.waitForHits(1)
      expect(hit!.headers.host).toBe(`127.0.0.1:${up.port}`)
      expect(hit!.headers['x-forwarded-for']).toBe('127.0.0.1')
      expect(hit!.headers['x-forwarded-host']).toBe(new URL(f.srv.url).host)
      expect(hit!.headers['x-forwarded-proto']).toBe('http')
    })

    it('does not forward hop-by-hop request headers, nor those the Connection header names', async () => {
      const { up, base } = await setup()
      const res = await rawRequest(`${f.srv.url}${base}/hop`, {
        method: 'POST',
        headers: {
          connection: 'close, X-Custom-Hop',
          'x-custom-hop': 'must-not-pass',
          'keep-alive': 'timeout=5, max=1000',
          'proxy-authorization': 'Basic cHJveHk6c2VjcmV0',
          'proxy-connection': 'keep-alive',
          te: 'trailers',
          trailer: 'X-Checksum',
          upgrade: 'websocket',
          'x-end-to-end': 'kept',
          'content-type': 'text/plain',
        },
        body: 'payload',
      })
      expect(res.status).toBe(200)
      const [hit] = await up.waitForHits(1)
      expect(hit!.body).toBe('payload')
      expect(hit!.headers['x-end-to-end']).toBe('kept')
      expect(hit!.headers['content-type']).toBe('text/plain')
      for (const name of ['x-custom-hop', 'proxy-authorization', 'proxy-connection', 'te', 'trailer', 'upgrade']) {
        expect(hit!.headers[name], name).toBeUndefined()
      }
      // The gateway's own connection to the upstream may carry its own Connection/Keep-Alive, not the client's.
      expect(String(hit!.headers.connection ?? '')).not.toMatch(/x-custom-hop/i)
      expect(String(hit!.headers['keep-alive'] ?? '')).not.toContain('max=1000')
    })

    it('does not return hop-by-hop response headers, nor those the Connection header names', async () => {
      const { base } = await setup({
        handler: () => ({
          status: 200,
          headers: {
            connection: 'keep-alive, X-Up-Hop',
            'x-up-hop': 'must-not-pass',
            'keep-alive': 'timeout=99, max=7',
            'proxy-connection': 'keep-alive',
            upgrade: 'h2c',
            'x-kept': 'yes',
            'content-type': 'text/plain',
          },
          body: 'fine',
        }),
      })
      const res = await rawRequest(`${f.srv.url}${base}/hop`)
      expect(res.status).toBe(200)
      expect(res.body).toBe('fine')
      expect(res.headers['x-kept']).toBe('yes')
      expect(res.headers['x-up-hop']).toBeUndefined()
      expect(res.headers['proxy-connection']).toBeUndefined()
      expect(res.headers.upgrade).toBeUndefined()
      expect(String(res.headers.connection ?? '')).not.toMatch(/x-up-hop/i)
      expect(String(res.headers['keep-alive'] ?? '')).not.toContain('max=7')
    })

    it("returns the upstream's headers as they were: HEAD keeps its content-length, a 304 gets none, and no content type is added", async () => {
      const { base } = await setup({
        name: 'as-sent',
        handler: (req): ReceiverReply => {
          // node:http sends no body for HEAD or 304, whatever content-length it is given.
          if (req.url === '/head') return { status: 200, headers: { 'content-type': 'text/plain', 'content-length': '11' } }
          if (req.url === '/bare') return { status: 304, headers: { etag: '"v2"' } }
          return { status: 200, headers: { 'x-untyped': 'yes' }, body: 'no type here' }
        },
      })
      const head = await rawRequest(`${f.srv.url}${base}/head`, { method: 'HEAD' })
      expect([head.status, head.headers['content-length'], head.headers['content-type'], head.body]).toEqual([200, '11', 'text/plain', ''])
      const bare = await rawRequest(`${f.srv.url}${base}/bare`, { headers: { 'if-none-match': '"v2"' } })
      expect([bare.status, bare.headers.etag, bare.headers['content-length'], bare.headers['content-type']]).toEqual([304, '"v2"', undefined, undefined])
      const untyped = await rawRequest(`${f.srv.url}${base}/untyped`)
      expect([untyped.status, untyped.headers['x-untyped'], untyped.headers['content-type'], untyped.headers['content-length'], untyped.body]).toEqual([200, 'yes', undefined, '12', 'no type here'])
    })

    it('passes a redirect back (status and Location) without following it', async () => {
      const { up, base } = await setup({
        handler: (req) =>
          req.url?.startsWith('/moved')
            ? { status: 302, headers: { location: `${up.url}/elsewhere?from=moved` }, body: 'moved' }
            : req.url?.startsWith('/relative')
              ? { status: 307, headers: { location: '/login?next=%2Fhome' } }
              : { status: 200, body: 'followed!' },
      })
      const abs = await gw(`${base}/moved`)
      expect(abs.status).toBe(302)
      expect(abs.headers.get('location')).toBe(`${up.url}/elsewhere?from=moved`)
      const rel = await gw(`${base}/relative`, { method: 'POST', body: 'x' })
      expect(rel.status).toBe(307)
      expect(rel.headers.get('location')).toBe('/login?next=%2Fhome')
      await sleep(300)
      expect(up.hits.map((h) => h.url)).toEqual(['/moved', '/relative'])
    })

    it('passes 4xx and 5xx answers through unchanged, not as problems', async () => {
      const { base } = await setup({
        handler: (req): ReceiverReply =>
          req.url === '/missing'
            ? { status: 404, headers: { 'content-type': 'application/json', 'x-trace': 'abc' }, body: '{"error":"no such order"}' }
            : req.url === '/limited'
              ? { status: 429, headers: { 'retry-after': '7', 'content-type': 'text/plain' }, body: 'slow down' }
              : { status: 503, headers: { 'content-type': 'text/html' }, body: '<h1>down</h1>' },
      })
      const missing = await gw(`${base}/missing`)
      expect(missing.status).toBe(404)
      expect(missing.text).toBe('{"error":"no such order"}')
      expect(missing.headers.get('content-type')).toBe('application/json')
      expect(missing.headers.get('x-trace')).toBe('abc')
      const limited = await gw(`${base}/limited`)
      expect(limited.status).toBe(429)
      expect(limited.text).toBe('slow down')
      expect(limited.headers.get('retry-after')).toBe('7')
      const down = await gw(`${base}/down`)
      expect(down.status).toBe(503)
      expect(down.text).toBe('<h1>down</h1>')
      expect(down.headers.get('content-type')).toBe('text/html')
    })

    it('returns a large answer and forwards a large body whole (the 64 KiB cut is for events only)', async () => {
      const big = '0123456789abcdef'.repeat(10_000) // 160,000 bytes
      const { up, base } = await setup({ handler: () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: big }) })
      const res = await gw(`${base}/big`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: big })
      expect(res.status).toBe(200)
      expect(res.text.length).toBe(big.length)
      expect(res.text).toBe(big)
      const [hit] = await up.waitForHits(1)
      expect(hit!.body).toBe(big)
    })

    it("answers 504 upstream_timeout after the route's timeoutSeconds", async () => {
      const { up, base } = await setup({ timeoutSeconds: 1, handler: () => ({ hang: true }) })
      const started = Date.now()
      const res = await gw(`${base}/slow`)
      const took = Date.now() - started
      expectProblem(res, 504, 'upstream_timeout')
      expect(took).toBeGreaterThanOrEqual(900)
      expect(took).toBeLessThan(10_000)
      expect(up.hits).toHaveLength(1)
    })

    it('answers 504 for a delayed answer too, while a faster route of the same upstream answers', async () => {
      const { t, up, base } = await setup({ timeoutSeconds: 1, handler: (req) => (req.url === '/late' ? { status: 200, body: 'late', delayMs: 3000 } : { status: 200, body: 'quick' }) })
      await createRoute(t, { name: 'patient', upstreamUrl: up.url, timeoutSeconds: 10 })
      expectProblem(await gw(`${base}/late`), 504, 'upstream_timeout')
      expect((await gw(`${base}/quick`)).text).toBe('quick')
      const patient = await gw(`/gw/${t}/patient/late`)
      expect(patient.status).toBe(200)
      expect(patient.text).toBe('late')
    })

    it('answers 502 upstream_unreachable when nothing listens on the upstream port', async () => {
      const t = await f.tenant()
      const port = await unusedPort()
      await createRoute(t, { name: 'gone', upstreamUrl: `http://127.0.0.1:${port}/api` })
      expectProblem(await gw(`/gw/${t}/gone/x`), 502, 'upstream_unreachable')
      expectProblem(await gw(`/gw/${t}/gone/x`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }), 502, 'upstream_unreachable')
    })

    it("refuses a path that would climb out of the route's upstream path, in any encoding (400 path_outside_route), forwarding and publishing nothing", async () => {
      const { t, up, base } = await setup({ name: 'fenced', path: '/public/orders' })
      const port = Number(new URL(f.srv.url).port)
      // node:http with a `path` sends it exactly as written (a URL object or fetch would resolve the dots first).
      const send = (path: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          const req = http.request({ host: '127.0.0.1', port, path, method: 'GET', agent: false }, (res) => {
            let body = ''
            res.on('data', (c: Buffer) => (body += c.toString()))
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body }))
          })
          req.on('error', reject)
          req.end()
        })
      const climbs = [
        `${base}/../../admin/users`,
        `${base}/%2e%2e/%2E%2e/admin`,
        `${base}/..`,
        // Decoded by the upstream, these climb too: encoded slashes, backslashes, double encoding.
        `${base}/..%2f..%2fescape`,
        `${base}/a%2F..%2F..%2Fescape`,
        `${base}/..%5c..%5cescape`,
        `${base}/..\\..\\escape`,
        `${base}/%252e%252e/%252e%252e/escape`,
        `${base}/..%252f..%252fescape?x=1`,
      ]
      for (const path of climbs) {
        const r = await send(path)
        expect(r.status, path).toBe(400)
        expect(JSON.parse(r.body), path).toMatchObject({ status: 400, code: 'path_outside_route' })
      }
      expect(up.hits).toHaveLength(0)
      expect(await events(t)).toEqual([])
      // Dots that stay inside the route are fine.
      expect((await send(`${base}/a/../b`)).status).toBe(200)
      expect((await send(`${base}/x/..%2fy`)).status).toBe(200)
      expect(up.hits.map((h) => h.url)).toEqual(['/public/orders/b', '/public/orders/x/..%2fy'])
    })

    it('counts proxied requests by outcome in /metrics', async () => {
      const sample = async (outcome: string): Promise<number> => sampleOf(await readMetrics(f.srv.url), 'hookrelay_gateway_requests_total', { outcome }) ?? 0
      const before = { success: await sample('success'), unreachable: await sample('unreachable') }
      const { t, base } = await setup({ name: 'counted' })
      expect((await gw(`${base}/x`)).status).toBe(200)
      await createRoute(t, { name: 'nowhere', upstreamUrl: `http://127.0.0.1:${await unusedPort()}` })
      expect((await gw(`/gw/${t}/nowhere/x`)).status).toBe(502)
      // Other tests run alongside on this server: at least ours were counted.
      expect(await sample('success')).toBeGreaterThanOrEqual(before.success + 1)
      expect(await sample('unreachable')).toBeGreaterThanOrEqual(before.unreachable + 1)
    })

    it('answers 404 for an unknown tenant or route, and publishes nothing', async () => {
      const { t, up, base } = await setup({ name: 'real' })
      await listener(t, 'real', { channels: [] })
      const notFound = async (path: string, init?: RequestInit): Promise<void> => {
        const res = await gw(path, init)
        expect(res.status, path).toBe(404)
        expect(res.headers.get('content-type'), path).toMatch(/^application\/problem\+json/)
        expect(res.body, path).toMatchObject({ status: 404, code: expect.any(String), title: expect.any(String), type: expect.any(String), detail: expect.any(String) })
      }
      await notFound(`/gw/${t}/unreal/x`)
      await notFound(`/gw/${t}/unreal`)
      await notFound(`/gw/${t}/REAL/x`, { method: 'POST', body: 'x' })
      await notFound('/gw/gw-no-such-tenant/real/x')
      // Another tenant's route name does not reach it.
      const other = await f.tenant()
      await notFound(`/gw/${other}/real/x`)
      await sleep(500)
      expect(await events(t)).toEqual([])
      expect(await events(other)).toEqual([])
      expect(up.hits).toHaveLength(0)
      // The real one works.
      expect((await gw(`${base}/x`)).status).toBe(200)
    })

    it('a deleted route answers 404 and publishes nothing more; a renamed one moves', async () => {
      const { t, up, route, base } = await setup({ name: 'short-lived' })
      expect((await gw(`${base}/one`)).status).toBe(200)
      const before = await lifecycle(t)
      expect(typesOf(before)).toEqual(['request.completed', 'request.received', 'request.success'])

      expect((await f.srv.api('PATCH', `${routes(t)}/${route.id}`, { name: 'renamed' })).status).toBe(200)
      expect((await gw(`${base}/two`)).status).toBe(404)
      expect((await gw(`/gw/${t}/renamed/two`)).status).toBe(200)
      await up.waitForHits(2)

      expect((await f.srv.api('DELETE', `${routes(t)}/${route.id}`)).status).toBe(204)
      const after = await gw(`/gw/${t}/renamed/three`)
      expect(after.status).toBe(404)
      expect(after.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      await sleep(500)
      expect(up.hits.map((h) => h.url)).toEqual(['/one', '/two'])
      expect(await events(t)).toHaveLength(6)
    })

    it("a deleted tenant's routes stop proxying at once (not after the route cache's 5 s); another tenant's stay", async () => {
      const { t, up, base } = await setup({ name: 'doomed' })
      const other = await setup({ name: 'doomed' })
      // Both routes are read, and so cached, by a request each.
      expect((await gw(`${base}/one`)).status).toBe(200)
      expect((await gw(`${other.base}/one`)).status).toBe(200)
      expect((await f.srv.api('DELETE', `/v1/tenants/${t}`)).status).toBe(204)
      const after = await gw(`${base}/two`)
      expect(after.status).toBe(404)
      expect(after.headers.get('content-type')).toMatch(/^application\/problem\+json/)
      expect((await gw(`${other.base}/two`)).status).toBe(200)
      await sleep(200)
      expect(up.hits.map((h) => h.url)).toEqual(['/one'])
      expect(other.up.hits.map((h) => h.url)).toEqual(['/one', '/two'])
    })

    it('a PATCHed upstreamUrl is used from then on', async () => {
      const { t, up, route, base } = await setup()
      const next = await f.receiver(() => ({ status: 200, body: 'next' }))
      expect((await gw(`${base}/a`)).status).toBe(200)
      expect((await f.srv.api('PATCH', `${routes(t)}/${route.id}`, { upstreamUrl: `${next.url}/v2` })).status).toBe(200)
      const res = await gw(`${base}/a`)
      expect(res.text).toBe('next')
      expect(up.hits).toHaveLength(1)
      expect(next.hits.map((h) => h.url)).toEqual(['/v2/a'])
    })
  })

  describe.concurrent('lifecycle events', () => {
    it('publishes request.received before the upstream is called', async () => {
      const t = await f.tenant()
      let seenByUpstream: string[] | undefined
      const up = await f.receiver(async () => {
        seenByUpstream = (await events(t)).map((e) => e.type)
        return { status: 200, body: 'ok' }
      })
      await createRoute(t, { name: 'early', upstreamUrl: up.url })
      expect((await gw(`/gw/${t}/early/x`)).text).toBe('ok')
      expect(seenByUpstream).toEqual(['request.received'])
      const all = await lifecycle(t)
      expect(all[0].type).toBe('request.received')
      expect(all.at(-1).type).toBe('request.completed')
    })

    it('2xx: received, success and completed, on the route channel, with the full payload; delivered to subscribed endpoints', async () => {
      const { t, base, name } = await setup({
        name: 'checkout',
        path: '/api',
        handler: () => ({ status: 200, headers: { 'content-type': 'application/json', 'x-upstream': 'yes' }, body: '{"ok":true,"id":7}' }),
      })
      const { hooks } = await listener(t, name)
      // Filters: a specific type, another route's channel, and every event of the tenant.
      const successOnly = await f.receiver()
      await f.endpoint(t, { url: `${successOnly.url}/s`, eventTypes: ['request.success'] })
      const otherChannel = await f.receiver()
      await f.endpoint(t, { url: `${otherChannel.url}/o`, channels: ['another-route'] })
      const everything = await f.receiver()
      await f.endpoint(t, { url: `${everything.url}/e` })

      const res = await gw(`${base}/orders/9?expand=lines&tag=a&tag=b&q=two%20words`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'req-77' },
        body: '{"amount": 4200}',
      })
      expect(res.status).toBe(200)

      const evs = await lifecycle(t)
      expect(typesOf(evs)).toEqual(['request.completed', 'request.received', 'request.success'])
      expect(evs[0].type).toBe('request.received')
      const e = byType(evs)
      const request = {
        method: 'POST',
        path: '/orders/9',
        query: { expand: 'lines', tag: ['a', 'b'], q: 'two words' },
        headers: expect.objectContaining({ 'content-type': 'application/json', 'x-request-id': 'req-77' }),
        body: { amount: 4200 },
      }
      const response = { status: 200, headers: expect.objectContaining({ 'content-type': 'application/json', 'x-upstream': 'yes' }), body: { ok: true, id: 7 } }
      for (const ev of evs) {
        expect(ev.channels, ev.type).toEqual([name])
        expectPayloadShape(ev.payload, name)
        expect(ev.payload.request, ev.type).toEqual(request)
        expect(ev.payload.request.headers.host).toBe(new URL(f.srv.url).host)
      }
      expect(e['request.received'].payload).toEqual({ route: name, request, response: null, durationMs: 0 })
      expect(e['request.success'].payload).toEqual({ route: name, request, response, durationMs: expect.any(Number) })
      expect(e['request.completed'].payload).toEqual(e['request.success'].payload)

      // The listener (request.*, channel of the route, headers included) gets all three as sent.
      const hits = await hooks.waitForHits(3, DELIVERY_WAIT_MS)
      const delivered = hits.map(envelopeOf)
      expect(delivered.map((d) => d.type).sort()).toEqual(['request.completed', 'request.received', 'request.success'])
      for (const d of delivered) {
        expect(d).toEqual({ id: expect.stringMatching(/^evt_/), type: d.type, timestamp: expect.stringMatching(ISO), data: e[d.type].payload })
        expect(d.id).toBe(e[d.type].id)
      }
      const [only] = await successOnly.waitForHits(1, DELIVERY_WAIT_MS)
      expect(envelopeOf(only!).type).toBe('request.success')
      await everything.waitForHits(3, DELIVERY_WAIT_MS)
      await sleep(500)
      expect(successOnly.hits).toHaveLength(1)
      expect(otherChannel.hits).toHaveLength(0)
      expect(hooks.hits).toHaveLength(3)
      expect(everything.hits).toHaveLength(3)
    })

    it.each([
      { status: 301, kind: 'request.redirect', headers: { location: 'http://127.0.0.1:9/new' } },
      { status: 302, kind: 'request.redirect', headers: { location: '/login' } },
      { status: 400, kind: 'request.client_error', headers: {} },
      { status: 404, kind: 'request.client_error', headers: {} },
      { status: 429, kind: 'request.client_error', headers: { 'retry-after': '3' } },
      { status: 500, kind: 'request.server_error', headers: {} },
      { status: 503, kind: 'request.server_error', headers: { 'retry-after': '3' } },
    ] as Array<{ status: number; kind: string; headers: Record<string, string> }>)('$status: received, $kind, error and completed', async ({ status, kind, headers }) => {
      const { t, base, name } = await setup({ name: `st-${status}`, handler: () => ({ status, headers: { 'content-type': 'application/problem+json', ...headers }, body: `{"status":${status}}` }) })
      const { hooks } = await listener(t, name)
      const res = await gw(`${base}/thing`)
      expect(res.status).toBe(status)
      expect(res.text).toBe(`{"status":${status}}`)
      for (const [k, v] of Object.entries(headers)) expect(res.headers.get(k)).toBe(v)

      const evs = await lifecycle(t)
      expect(typesOf(evs)).toEqual(['request.completed', 'request.error', 'request.received', kind].sort())
      expect(evs[0].type).toBe('request.received')
      const e = byType(evs)
      for (const ev of evs) {
        expect(ev.channels).toEqual([name])
        expectPayloadShape(ev.payload, name)
        expect(ev.payload.request).toMatchObject({ method: 'GET', path: '/thing', query: {}, body: null })
      }
      const response = { status, headers: expect.objectContaining({ 'content-type': 'application/problem+json', ...headers }), body: { status } }
      expect(e['request.received'].payload.response).toBeNull()
      expect(e['request.received'].payload.durationMs).toBe(0)
      for (const type of [kind, 'request.error', 'request.completed']) expect(e[type].payload.response, type).toEqual(response)
      const hits = await hooks.waitForHits(4, DELIVERY_WAIT_MS)
      expect(hits.map((h) => envelopeOf(h).type).sort()).toEqual(typesOf(evs))
      for (const type of ALL_TYPES.filter((x) => ![kind, 'request.error', 'request.completed', 'request.received'].includes(x))) expect(e[type]).toBeUndefined()
    })

    it('timeout: received, timeout, error and completed, with response null', async () => {
      const { t, base, name } = await setup({ name: 'slowpoke', timeoutSeconds: 1, handler: () => ({ status: 200, body: 'too late', delayMs: 3000 }) })
      const { hooks } = await listener(t, name)
      expectProblem(await gw(`${base}/wait?x=1`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: 'patience' }), 504, 'upstream_timeout')
      const evs = await lifecycle(t)
      expect(typesOf(evs)).toEqual(['request.completed', 'request.error', 'request.received', 'request.timeout'])
      expect(evs[0].type).toBe('request.received')
      const e = byType(evs)
      for (const ev of evs) {
        expect(ev.channels).toEqual([name])
        expectPayloadShape(ev.payload, name)
        expect(ev.payload.request).toMatchObject({ method: 'POST', path: '/wait', query: { x: '1' }, body: 'patience' })
        expect(ev.payload.response, ev.type).toBeNull()
      }
      expect(e['request.received'].payload.durationMs).toBe(0)
      for (const type of ['request.timeout', 'request.error', 'request.completed']) {
        expect(e[type].payload.durationMs, type).toBeGreaterThanOrEqual(900)
        expect(e[type].payload.durationMs, type).toBeLessThan(3000)
      }
      const hits = await hooks.waitForHits(4, DELIVERY_WAIT_MS)
      expect(hits.map((h) => envelopeOf(h).type).sort()).toEqual(typesOf(evs))
      expect(envelopeOf(hits.find((h) => envelopeOf(h).type === 'request.timeout')!).data.response).toBeNull()
    })

    it('unreachable: only received, error and completed, with response null', async () => {
      const t = await f.tenant()
      const port = await unusedPort()
      await createRoute(t, { name: 'void', upstreamUrl: `http://127.0.0.1:${port}` })
      const { hooks } = await listener(t, 'void')
      expectProblem(await gw(`/gw/${t}/void/ping`), 502, 'upstream_unreachable')
      const evs = await lifecycle(t)
      expect(typesOf(evs)).toEqual(['request.completed', 'request.error', 'request.received'])
      expect(evs[0].type).toBe('request.received')
      for (const ev of evs) {
        expect(ev.channels).toEqual(['void'])
        expectPayloadShape(ev.payload, 'void')
        expect(ev.payload.request).toMatchObject({ method: 'GET', path: '/ping', query: {}, body: null })
        expect(ev.payload.response).toBeNull()
      }
      const hits = await hooks.waitForHits(3, DELIVERY_WAIT_MS)
      expect(hits.map((h) => envelopeOf(h).type).sort()).toEqual(typesOf(evs))
    })

    it('a status outside 100-599 (HTTP/1.1 700): 502 upstream_unreachable, with received, error and completed as when unreachable', async () => {
      const { t, base, name } = await setup({ name: 'weird', handler: () => ({ status: 700, headers: { 'content-type': 'text/plain' }, body: 'odd' }) })
      const { hooks } = await listener(t, name)
      const res = await gw(`${base}/odd`)
      expectProblem(res, 502, 'upstream_unreachable')
      expect(res.body.detail).toContain('700')
      const evs = await lifecycle(t)
      expect(typesOf(evs)).toEqual(['request.completed', 'request.error', 'request.received'])
      for (const ev of evs) {
        expect(ev.channels).toEqual([name])
        expectPayloadShape(ev.payload, name)
        expect(ev.payload.request).toMatchObject({ method: 'GET', path: '/odd' })
        expect(ev.payload.response).toBeNull()
      }
      const hits = await hooks.waitForHits(3, DELIVERY_WAIT_MS)
      expect(hits.map((h) => envelopeOf(h).type).sort()).toEqual(typesOf(evs))
    })

    it('bodies: JSON parsed (application/json and +json), invalid JSON and text as text, an empty body as null', async () => {
      const t = await f.tenant()
      const up = await f.receiver((req) => {
        // Each route's upstream is `${up.url}/{case}`; /gw/{t}/{case} with no rest reaches it as `/{case}/`.
        switch (req.url?.replace(/\/$/, '')) {
          case '/json':
            return { status: 200, headers: { 'content-type': 'application/vnd.api+json' }, body: '{"data":{"type":"orders","id":"1"}}' }
          case '/bad-json':
            return { status: 200, headers: { 'content-type': 'application/json' }, body: '{not json' }
          case '/text':
            return { status: 200, headers: { 'content-type': 'text/plain' }, body: 'plain ✓' }
          default:
            return { status: 204 }
        }
      })
      // One route per case, so each request's events are told apart by channel.
      const cases = [
        { name: 'json', init: { method: 'POST', headers: { 'content-type': 'application/json; charset=utf-8' }, body: '[1, {"a": null}]' }, req: [1, { a: null }], res: { data: { type: 'orders', id: '1' } } },
        { name: 'bad-json', init: { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"oops": ' }, req: '{"oops": ', res: '{not json' },
        { name: 'text', init: { method: 'PUT', headers: { 'content-type': 'text/csv' }, body: 'a,b\n1,2\n' }, req: 'a,b\n1,2\n', res: 'plain ✓' },
        { name: 'empty', init: { method: 'GET' }, req: null, res: null },
        { name: 'json-string', init: { method: 'POST', headers: { 'content-type': 'application/merge-patch+json' }, body: '"just a string"' }, req: 'just a string', res: null },
      ]
      for (const c of cases) await createRoute(t, { name: c.name, upstreamUrl: `${up.url}/${c.name === 'json-string' ? 'empty' : c.name}` })
      for (const c of cases) expect((await gw(`/gw/${t}/${c.name}`, c.init)).status, c.name).toBeLessThan(300)
      await eventually(async () => (await events(t)).filter((e) => e.type === 'request.completed').length === cases.length, DELIVERY_WAIT_MS)
      const evs = await events(t)
      for (const c of cases) {
        const completed = evs.find((e) => e.type === 'request.completed' && e.channels[0] === c.name)
        expect(completed, c.name).toBeDefined()
        expect(completed.payload.request.body, c.name).toEqual(c.req)
        expect(completed.payload.response.body, c.name).toEqual(c.res)
        const received = evs.find((e) => e.type === 'request.received' && e.channels[0] === c.name)
        expect(received.payload.request.body, c.name).toEqual(c.req)
      }
      expect(evs.find((e) => e.type === 'request.completed' && e.channels[0] === 'empty').payload.response.status).toBe(204)
    })

    it("an empty rest is the path '/' in the events", async () => {
      const { t, base } = await setup({ name: 'root', path: '/base' })
      expect((await gw(base)).status).toBe(200)
      expect((await gw(`${base}?x=1`)).status).toBe(200)
      expect((await gw(`${base}/`)).status).toBe(200)
      await eventually(async () => (await events(t)).filter((e) => e.type === 'request.completed').length === 3, DELIVERY_WAIT_MS)
      const received = (await events(t)).filter((e) => e.type === 'request.received')
      expect(received.map((e) => [e.payload.request.path, e.payload.request.query])).toEqual([
        ['/', {}],
        ['/', { x: '1' }],
        ['/', {}],
      ])
    })

    it('bodies over 64 KiB are cut to 64 KiB in the events', async () => {
      const big = 'abcdefghijklmnop'.repeat(6000) // 96,000 bytes
      const { t, base } = await setup({ name: 'bulky', handler: () => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: big }) })
      const res = await gw(`${base}/upload`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: big })
      expect(res.text).toBe(big)
      const e = byType(await lifecycle(t))
      expect(e['request.received'].payload.request.body).toBe(big.slice(0, KIB64))
      expect(e['request.completed'].payload.request.body).toBe(big.slice(0, KIB64))
      expect(e['request.completed'].payload.response.body).toBe(big.slice(0, KIB64))
      expect(e['request.success'].payload.response.body).toHaveLength(KIB64)
    })

    it('a JSON body over 64 KiB becomes its text cut to 64 KiB', async () => {
      const json = JSON.stringify({ items: Array.from({ length: 5000 }, (_, i) => ({ i, name: `item-${i}` })) })
      expect(json.length).toBeGreaterThan(KIB64)
      const { t, base } = await setup({ name: 'bigjson', handler: () => ({ status: 200, headers: { 'content-type': 'application/json' }, body: json }) })
      const res = await gw(`${base}/bulk`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: json })
      expect(res.text).toBe(json)
      const e = byType(await lifecycle(t))
      expect(e['request.completed'].payload.request.body).toBe(json.slice(0, KIB64))
      expect(e['request.completed'].payload.response.body).toBe(json.slice(0, KIB64))
    })

    it('redacts authorization, cookie, set-cookie and proxy-authorization in events, not on the wire', async () => {
      const secrets = ['Bearer sk_live_gateway_secret_1', 'session=cookie_secret_2', 'sid=set_cookie_secret_3; HttpOnly', 'Basic cHJveHlzZWNyZXQ0']
      const { t, up, base, name } = await setup({
        name: 'private',
        handler: () => ({ status: 200, headers: { 'set-cookie': secrets[2]!, 'x-visible': 'shown', 'content-type': 'text/plain' }, body: 'ok' }),
      })
      const { hooks } = await listener(t, name)
      const res = await rawRequest(`${f.srv.url}${base}/me`, {
        headers: { Authorization: secrets[0], Cookie: secrets[1], 'Proxy-Authorization': secrets[3], 'X-Visible': 'also-shown' },
      })
      expect(res.status).toBe(200)
      // The client still gets its cookie, and the upstream the credentials.
      expect(res.headers['set-cookie']).toEqual([secrets[2]])
      const [hit] = await up.waitForHits(1)
      expect(hit!.headers.authorization).toBe(secrets[0])
      expect(hit!.headers.cookie).toBe(secrets[1])

      const evs = await lifecycle(t)
      expect(evs).toHaveLength(3)
      for (const ev of evs) {
        const h = ev.payload.request.headers
        expect(h.authorization, ev.type).toBe('[redacted]')
        expect(h.cookie, ev.type).toBe('[redacted]')
        expect(h['proxy-authorization'] ?? '[redacted]', ev.type).toBe('[redacted]')
        expect(h['x-visible']).toBe('also-shown')
        if (ev.payload.response !== null) {
          expect(['[redacted]', ['[redacted]']], ev.type).toContainEqual(ev.payload.response.headers['set-cookie'])
          expect(ev.payload.response.headers['x-visible']).toBe('shown')
        }
        const text = JSON.stringify(ev)
        for (const s of ['sk_live_gateway_secret_1', 'cookie_secret_2', 'set_cookie_secret_3', 'cHJveHlzZWNyZXQ0']) expect(text, ev.type).not.toContain(s)
      }
      const hits = await hooks.waitForHits(3, DELIVERY_WAIT_MS)
      for (const h of hits) {
        for (const s of ['sk_live_gateway_secret_1', 'cookie_secret_2', 'set_cookie_secret_3', 'cHJveHlzZWNyZXQ0']) expect(h.body).not.toContain(s)
        expect(envelopeOf(h).data.request.headers.authorization).toBe('[redacted]')
      }
    })

    it("an endpoint's include* options remove those fields from delivered events (absent, not null)", async () => {
      const { t, base, name } = await setup({
        name: 'shaped',
        handler: () => ({ status: 201, headers: { 'content-type': 'application/json', 'x-up': '1' }, body: '{"created":true}' }),
      })
      const variants = [
        { label: 'defaults (headers left out)', payload: {}, drop: ['request.headers', 'response.headers'] },
        { label: 'includeHeaders', payload: { includeHeaders: true }, drop: [] },
        { label: 'no request body', payload: { includeRequestBody: false, includeHeaders: true }, drop: ['request.body'] },
        { label: 'no response body', payload: { includeResponseBody: false, includeHeaders: true }, drop: ['response.body'] },
        { label: 'no status code', payload: { includeStatusCode: false, includeHeaders: true }, drop: ['response.status'] },
        {
          label: 'all off',
          payload: { includeRequestBody: false, includeResponseBody: false, includeHeaders: false, includeStatusCode: false },
          drop: ['request.headers', 'request.body', 'response.headers', 'response.body', 'response.status'],
        },
      ]
      const targets = await Promise.all(
        variants.map(async (v) => {
          const rcv = await f.receiver()
          await f.endpoint(t, { url: `${rcv.url}/hook`, eventTypes: ['request.completed', 'request.received'], channels: [name], payload: v.payload })
          return { ...v, rcv }
        }),
      )
      const res = await gw(`${base}/make?n=1`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"make":"it"}' })
      expect(res.status).toBe(201)
      const e = byType(await lifecycle(t))
      const full = e['request.completed'].payload
      expect(full.request.body).toEqual({ make: 'it' })
      expect(full.response).toMatchObject({ status: 201, body: { created: true } })

      for (const v of targets) {
        const hits = await v.rcv.waitForHits(2, DELIVERY_WAIT_MS)
        const completed = envelopeOf(hits.find((h) => envelopeOf(h).type === 'request.completed')!)
        expect(completed.data, v.label).toEqual(without(full, ...v.drop))
        for (const path of v.drop) {
          const [obj, key] = path.split('.') as [string, string]
          expect(key in completed.data[obj], `${v.label}: ${path}`).toBe(false)
        }
        // request.received has no response: it stays null.
        const received = envelopeOf(hits.find((h) => envelopeOf(h).type === 'request.received')!)
        expect(received.data.response, v.label).toBeNull()
        expect(received.data, v.label).toEqual(without(e['request.received'].payload, ...v.drop.filter((p) => p.startsWith('request.'))))
      }
    })
  })
})

describe('gateway upstream address guard', () => {
  it('refuses loopback upstreams with 422 url_not_allowed unless HOOKRELAY_ALLOWED_NETWORKS covers them', async () => {
    const closed = await startTestServer({ allowedNetworks: [] })
    try {
      expect((await closed.api('POST', '/v1/tenants', { id: 'gw-guard', name: 'g' })).status).toBe(201)
      for (const upstreamUrl of ['http://127.0.0.1:9/x', 'http://localhost:9/x', 'http://[::1]:9/x', 'https://127.0.0.1/x']) {
        expectInvalid(await closed.api('POST', '/v1/tenants/gw-guard/routes', { name: 'r', upstreamUrl }), '/upstreamUrl', 'url_not_allowed')
      }
      expect(expectList(await closed.api('GET', '/v1/tenants/gw-guard/routes'))).toEqual([])
    } finally {
      await closed.close()
    }

    const v4only = await startTestServer({ allowedNetworks: ['127.0.0.0/8'] })
    try {
      expect((await v4only.api('POST', '/v1/tenants', { id: 'gw-guard', name: 'g' })).status).toBe(201)
      const ok = await v4only.api('POST', '/v1/tenants/gw-guard/routes', { name: 'r', upstreamUrl: 'http://127.0.0.1:9/x' })
      expect(ok.status, JSON.stringify(ok.body)).toBe(201)
      expectInvalid(await v4only.api('POST', '/v1/tenants/gw-guard/routes', { name: 'r6', upstreamUrl: 'http://[::1]:9/x' }), '/upstreamUrl', 'url_not_allowed')
      expectInvalid(await v4only.api('PATCH', `/v1/tenants/gw-guard/routes/${ok.body.id}`, { upstreamUrl: 'http://[::1]:9/y' }), '/upstreamUrl', 'url_not_allowed')
      expect((await v4only.api('GET', `/v1/tenants/gw-guard/routes/${ok.body.id}`)).body).toEqual(ok.body)
    } finally {
      await v4only.close()
    }
  })
})
