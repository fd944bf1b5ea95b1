/**
 * API.md "Running": /, /healthz, /metrics, /openapi.json, the /docs page, unknown routes, and known
 * paths with a method they do not take (405 with Allow).
 * Network rule: the only traffic is to the server and receiver on 127.0.0.1.
 */
import { connect } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { VERSION } from '../../src/version.js'
import { ADMIN_TOKEN, startTestServer, type TestServer } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, expectProblem, guardAgainst5xx } from './api-support.js'

describe('API operations', () => {
  let srv: TestServer
  let rcv: Receiver
  let check5xx: () => void
  beforeAll(async () => {
    srv = await startTestServer()
    rcv = await startReceiver()
    check5xx = guardAgainst5xx(srv)
  })
  afterEach(() => check5xx())
  afterAll(async () => {
    await rcv?.close()
    await srv?.close()
  })

  it('GET /healthz is {"status":"ok"} without a token', async () => {
    const res = await srv.api('GET', '/healthz', undefined, { token: null })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ status: 'ok' })
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
  })

  it('GET /metrics is Prometheus text with the hookrelay series', async () => {
    // One delivery first, so the counters and the histogram have something in them.
    await srv.api('POST', '/v1/tenants', { id: 'ops', name: 'Ops' })
    await srv.api('POST', '/v1/tenants/ops/endpoints', { url: `${rcv.url}/ops` })
    await srv.api('POST', '/v1/tenants/ops/events', { type: 'ops.checked', payload: {} })
    await rcv.waitForHits(1, DELIVERY_WAIT_MS)

    const res = await srv.api('GET', '/metrics', undefined, { token: null })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/)
    const text = res.body as string
    expect(typeof text).toBe('string')
    for (const name of ['hookrelay_deliveries_total', 'hookrelay_attempt_duration_seconds', 'hookrelay_queue_depth', 'hookrelay_in_flight']) {
      expect(text).toMatch(new RegExp(`^# TYPE ${name} (counter|gauge|histogram)$`, 'm'))
      expect(text).toMatch(new RegExp(`^# HELP ${name} .+$`, 'm'))
    }
    expect(text).toMatch(/^hookrelay_attempt_duration_seconds_bucket\{le="\+Inf"\} \d+$/m)
    expect(text).toMatch(/^hookrelay_queue_depth \d+$/m)
    expect(text).toMatch(/^hookrelay_in_flight \d+$/m)
    // Every sample line is `name{labels} value`.
    for (const line of text.split('\n')) {
      if (line === '' || line.startsWith('#')) continue
      expect(line).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+0-9.eEinfNa]+$/)
    }
  })

  it('GET /openapi.json is an OpenAPI 3 document listing the public paths', async () => {
    const res = await srv.api('GET', '/openapi.json', undefined, { token: null })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const doc = res.body
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/)
    expect(doc.info).toMatchObject({ title: expect.any(String), version: expect.any(String) })
    const paths = Object.keys(doc.paths)
    expect(paths).toEqual(
      expect.arrayContaining([
        '/healthz',
        '/v1/tenants',
        '/v1/tenants/{tenantId}',
        '/v1/tenants/{tenantId}/api-keys',
        '/v1/event-types',
        '/v1/event-types/{name}',
        '/v1/tenants/{tenantId}/endpoints',
        '/v1/tenants/{tenantId}/endpoints/{endpointId}',
        '/v1/tenants/{tenantId}/endpoints/{endpointId}/secret',
        '/v1/tenants/{tenantId}/endpoints/{endpointId}/secret/rotate',
        '/v1/tenants/{tenantId}/endpoints/{endpointId}/test',
        '/v1/tenants/{tenantId}/endpoints/{endpointId}/stats',
        '/v1/tenants/{tenantId}/events',
        '/v1/tenants/{tenantId}/events/{eventId}',
        '/v1/tenants/{tenantId}/deliveries',
        '/v1/tenants/{tenantId}/deliveries/{deliveryId}',
      ]),
    )
    expect(doc.paths['/v1/tenants/{tenantId}/events'].post).toBeDefined()
    expect(doc.paths['/v1/tenants/{tenantId}/endpoints/{endpointId}'].patch).toBeDefined()
    // Fastify's `:param` syntax never leaks into the document.
    expect(paths.filter((p) => p.includes(':'))).toEqual([])
  })

  it('describes every endpoint option, with a Slack and a Zapier example', async () => {
    const doc = (await srv.api('GET', '/openapi.json', undefined, { token: null })).body
    const body = doc.paths['/v1/tenants/{tenantId}/endpoints'].post.requestBody.content['application/json']
    const props = body.schema.properties
    for (const field of ['method', 'auth', 'headers', 'queryParams', 'payload', 'url']) expect(props[field]?.description, field).toEqual(expect.any(String))
    expect(Object.keys(props.payload.properties).sort()).toEqual(
      ['extraFields', 'format', 'includeHeaders', 'includeRequestBody', 'includeResponseBody', 'includeStatusCode', 'template'],
    )
    expect(Object.keys(props.auth.properties).sort()).toEqual(['name', 'password', 'token', 'type', 'username', 'value'])
    const examples = JSON.stringify(body.examples ?? body.schema.examples)
    expect(examples).toContain('hooks.slack.com')
    expect(examples).toContain('hooks.zapier.com')
  })

  it('GET /docs serves an HTML page', async () => {
    const res = await fetch(`${srv.url}/docs`, { redirect: 'follow' })
    expect(res.status).toBe(200)
    expect(res.headers.get('content-type')).toMatch(/^text\/html/)
    const html = await res.text()
    expect(html).toMatch(/<html/i)
  })

  it.each([
    ['GET', '/nope'],
    ['GET', '/v2/tenants'],
    ['POST', '/nope'],
    ['DELETE', '/gw'],
  ])('%s %s is a 404 problem', async (method, path) => {
    const res = await srv.api(method, path, method === 'POST' ? {} : undefined, { token: null })
    expectProblem(res, 404, 'route_not_found')
    expect(res.headers.get('allow')).toBeNull()
  })

  it.each([
    ['POST', '/healthz', 'GET, HEAD', null],
    ['DELETE', '/metrics', 'GET, HEAD', null],
    ['PUT', '/v1/tenants', 'GET, HEAD, POST', ADMIN_TOKEN],
    ['DELETE', '/v1/tenants/ops405/endpoints?limit=5', 'GET, HEAD, POST', ADMIN_TOKEN],
    ['PUT', '/v1/whoami', 'GET, HEAD', ADMIN_TOKEN],
    ['GET', '/in/src_unknown', 'POST', null],
    ['POST', '/ui/endpoints', 'GET, HEAD', null],
    ['DELETE', '/', 'GET, HEAD', null],
  ])('%s %s is a 405 problem whose Allow header lists the methods the path takes', async (method, path, allow, token) => {
    const res = await srv.api(method, path, method === 'POST' ? {} : undefined, { token })
    expectProblem(res, 405, 'method_not_allowed')
    expect(res.headers.get('allow')).toBe(allow)
    expect(res.body.detail).toBe(`${path.split('?')[0]} does not take ${method}; it takes ${allow}.`)
  })

  it('a wrong method under /v1 still needs a valid token first', async () => {
    expectProblem(await srv.api('PUT', '/v1/tenants', undefined, { token: null }), 401, 'unauthorized')
  })

  it('GET / links to the dashboard and the docs, and sends a browser to the dashboard', async () => {
    const res = await srv.api('GET', '/', undefined, { token: null })
    expect(res.status).toBe(200)
    expect(res.body).toEqual({ name: 'hookrelay', version: VERSION, dashboard: '/ui/', docs: '/docs', openapi: '/openapi.json', health: '/healthz' })
    expect(res.headers.get('vary')).toMatch(/accept/i)
    for (const link of [res.body.docs, res.body.openapi, res.body.health]) expect((await fetch(srv.url + link)).status, link).toBe(200)

    const browser = await fetch(`${srv.url}/`, { redirect: 'manual', headers: { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' } })
    expect(browser.status).toBe(302)
    expect(browser.headers.get('location')).toBe('/ui/')
    const json = await fetch(`${srv.url}/`, { redirect: 'manual', headers: { accept: 'application/json, text/html;q=0.5' } })
    expect(json.status).toBe(200)
  })

  it('a request HTTP cannot read is answered with a problem document too, and the connection closed', async () => {
    const raw = (text: string) =>
      new Promise<string>((resolve, reject) => {
        const { hostname, port } = new URL(srv.url)
        const socket = connect({ host: hostname, port: Number(port) }, () => socket.end(text))
        let answer = ''
        socket.setEncoding('utf8')
        socket.on('data', (chunk: string) => (answer += chunk))
        socket.on('close', () => resolve(answer))
        socket.on('error', reject)
      })
    const auth = `authorization: Bearer ${ADMIN_TOKEN}\r\n`
    const cases: Array<[string, number, string]> = [
      // A body longer than its content-length: the rest is read as a next request, which is not HTTP.
      [`POST /v1/tenants HTTP/1.1\r\nhost: x\r\n${auth}content-type: application/json\r\ncontent-length: 5\r\n\r\n{"id":"a","name":"b"}`, 400, 'bad_request'],
      [`GET /healthz HTTP/1.1\r\nhost: x\r\nx-odd: a\x7fb\r\n\r\n`, 400, 'bad_request'],
      [`GET /healthz HTTP/1.1\r\nhost: x\r\nx-big: ${'a'.repeat(20_000)}\r\n\r\n`, 431, 'request_headers_too_large'],
    ]
    for (const [request, status, code] of cases) {
      const answer = await raw(request)
      const last = answer.lastIndexOf('HTTP/1.1 ')
      const [head, body] = answer.slice(last).split('\r\n\r\n')
      expect(head, request.slice(0, 40)).toMatch(new RegExp(`^HTTP/1.1 ${status} `))
      expect(head).toMatch(/content-type: application\/problem\+json/i)
      expect(JSON.parse(body!)).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) })
    }
  })

  it('an unknown /v1 route is a 404 problem for the admin and a 401 without a token', async () => {
    expectProblem(await srv.api('GET', '/v1/nope'), 404, 'route_not_found')
    expectProblem(await srv.api('PUT', '/v1/tenants/ops/nothing'), 404, 'route_not_found')
    expectProblem(await srv.api('GET', '/v1/nope', undefined, { token: null }), 401, 'unauthorized')
  })
})
