import { Webhook } from 'standardwebhooks'
import { describe, expect, it } from 'vitest'
import type { EndpointAuth } from '../model.js'
import { generateSecret } from '../signing/standard-webhooks.js'
import { buildOutboundRequest, USER_AGENT } from './outbound-request.js'
import { DEFAULT_PAYLOAD, defaultBody } from './payload-body.js'
import { compileShape, type OpenEndpoint } from './request-shape.js'
import { endpointRecord } from '../../../test/helpers/records.js'

const secret = generateSecret()
/** Now, in whole seconds: the receiver library checks the signed timestamp against its clock. */
const NOW = Math.floor(Date.now() / 1000) * 1000
const event = { id: 'evt_1', type: 'invoice.paid', occurredAt: NOW - 1000, payloadJson: '{"amount":5,"lines":[{"sku":"a"}],"note":null}' }
const tenant = { id: 't1', name: 'Acme', metadata: { port: 8123, key: 'k-123' } }

function endpoint(over: Partial<OpenEndpoint> = {}): OpenEndpoint {
  return { ...endpointRecord({ tenantId: 't1', id: 'ep_1', name: 'hook', url: 'http://127.0.0.1:9/hook', metadata: { path: 'in' } }), headers: {}, ...over }
}

function build(over: Partial<OpenEndpoint> = {}, auth: EndpointAuth<string> = { type: 'none' }) {
  const { shape, errors } = compileShape(endpoint(over), tenant, auth)
  expect(errors).toEqual([])
  return buildOutboundRequest({ shape, event, secrets: [secret], nowMs: NOW })
}

function ok(r: ReturnType<typeof build>) {
  if (!r.ok) throw new Error(r.message)
  return r
}

describe('buildOutboundRequest', () => {
  it('sends the default envelope by POST, signed, by default', () => {
    const r = ok(build())
    expect(r.envelope).toBe(true)
    // The log keeps the request as sent, its signature masked (a replayable credential).
    expect(r.logged).toEqual({ ...r.request, headers: { ...r.request.headers, 'webhook-signature': expect.stringMatching(/^v1,\*\*\*\*.{4}$/) } })
    expect(r.logged.headers['webhook-signature']!.slice(-4)).toBe(r.request.headers['webhook-signature']!.slice(-4))
    expect(r.request).toEqual({
      method: 'POST',
      url: 'http://127.0.0.1:9/hook',
      headers: {
        'content-type': 'application/json',
        'user-agent': USER_AGENT,
        'webhook-id': 'evt_1',
        'webhook-timestamp': String(NOW / 1000),
        'webhook-signature': expect.stringMatching(/^v1,/),
      },
      body: defaultBody(event),
    })
    expect(() => new Webhook(secret).verify(r.request.body, r.request.headers)).not.toThrow()
  })

  it.each(['PUT', 'PATCH'] as const)('sends %s with the body', (method) => {
    const r = ok(build({ method }))
    expect(r.request.method).toBe(method)
    expect(r.request.body).toBe(defaultBody(event))
  })

  it('sends GET with the fields in the query, no body, and the query string signed', () => {
    const r = ok(build({ method: 'GET', url: 'http://127.0.0.1:9/hook?keep=1', queryParams: { source: 'hr' } }))
    const url = new URL(r.request.url)
    expect(r.request.body).toBe('')
    expect(r.request.headers['content-type']).toBeUndefined()
    expect([...url.searchParams]).toEqual([
      ['keep', '1'],
      ['source', 'hr'],
      ['id', 'evt_1'],
      ['type', 'invoice.paid'],
      ['timestamp', new Date(NOW - 1000).toISOString()],
      ['data', event.payloadJson],
    ])
    expect(() => new Webhook(secret).verify(url.search.slice(1), r.request.headers, { jsonParse: false })).not.toThrow()
  })

  it('GET of a template: its top-level fields, objects JSON-encoded', () => {
    const r = ok(build({ method: 'GET', payload: { ...DEFAULT_PAYLOAD, template: '{"amount": {{ event.data.amount }}, "lines": {{ event.data.lines | json }}, "note": null, "q": "a b\'c"}' } }))
    expect(r.request.url).toBe("http://127.0.0.1:9/hook?amount=5&lines=%5B%7B%22sku%22%3A%22a%22%7D%5D&note=&q=a%20b%27c")
    expect(() => new Webhook(secret).verify(new URL(r.request.url).search.slice(1), r.request.headers, { jsonParse: false })).not.toThrow()
  })

  it('GET refuses a body that is not an object', () => {
    expect(build({ method: 'GET', payload: { ...DEFAULT_PAYLOAD, template: '[1, 2]' } })).toMatchObject({ ok: false, message: expect.stringContaining('JSON object') })
  })

  it.each([
    [{ type: 'bearer', token: 'tok_abcdefghijkl' }, 'authorization', 'Bearer tok_abcdefghijkl', 'Bearer ****ijkl'],
    [{ type: 'basic', username: 'ada', password: 'pw' }, 'authorization', `Basic ${Buffer.from('ada:pw').toString('base64')}`, 'Basic ****'],
    [{ type: 'header', name: 'X-Api-Key', value: 'key-1234567890' }, 'x-api-key', 'key-1234567890', '****7890'],
  ] as Array<[EndpointAuth<string>, string, string, string]>)('adds %j auth, masked in the log', (auth, name, value, masked) => {
    const r = ok(build({}, auth))
    expect(r.request.headers[name]).toBe(value)
    expect(r.logged.headers[name]).toBe(masked)
    expect(r.logged.body).toBe(r.request.body)
  })

  it('adds custom headers, rendering Liquid over tenant and endpoint metadata', () => {
    const r = ok(build({ headers: { 'X-Env': 'prod', 'X-Key': '{{ tenant.metadata.key }}/{{ endpoint.metadata.path }}', 'Content-Type': 'application/vnd.acme+json' } }))
    expect(r.request.headers['x-env']).toBe('prod')
    expect(r.request.headers['x-key']).toBe('k-123/in')
    expect(r.request.headers['content-type']).toBe('application/vnd.acme+json')
  })

  it('masks credential-named headers in the log, rendered ones too, and leaves the others', () => {
    const headers = {
      Authorization: 'Bearer sk_live_0123456789abcdef',
      'X-Api-Key': 'key_0123456789abcdef',
      Cookie: 'session=abcdefghijklmnop',
      'X-Tenant-Token': 'tok-{{ tenant.metadata.key }}-{{ endpoint.metadata.path }}-0123456789',
      'X-Env': 'prod',
      'X-Region': '{{ endpoint.metadata.path }}',
    }
    const r = ok(build({ headers }, { type: 'header', name: 'X-Custom', value: 'custom-0123456789' }))
    expect(r.request.headers).toMatchObject({
      authorization: 'Bearer sk_live_0123456789abcdef',
      'x-api-key': 'key_0123456789abcdef',
      cookie: 'session=abcdefghijklmnop',
      'x-tenant-token': 'tok-k-123-in-0123456789',
      'x-env': 'prod',
      'x-region': 'in',
      'x-custom': 'custom-0123456789',
    })
    expect(r.logged.headers).toMatchObject({
      authorization: 'Bearer ****cdef',
      'x-api-key': '****cdef',
      cookie: '****mnop',
      'x-tenant-token': '****6789',
      'x-env': 'prod',
      'x-region': 'in',
      // The auth header is masked whatever its name.
      'x-custom': '****6789',
      'webhook-id': 'evt_1',
    })
    const logged = JSON.stringify(r.logged)
    for (const secret of ['0123456789abcdef', 'abcdefghijklmnop', 'k-123-in', 'custom-0123']) expect(logged).not.toContain(secret)
  })

  it('renders a Liquid URL and merges query parameters', () => {
    const r = ok(build({ url: 'http://127.0.0.1:{{ tenant.metadata.port }}/{{ endpoint.metadata.path }}?a=1&b=2', queryParams: { b: 'x y', c: '3' } }))
    expect(r.request.url).toBe('http://127.0.0.1:8123/in?a=1&b=x%20y&c=3')
  })

  it('sends text bodies as text/plain', () => {
    const r = ok(build({ payload: { ...DEFAULT_PAYLOAD, format: 'text', template: 'Invoice paid: {{ event.data.amount }}' } }))
    expect(r.request.headers['content-type']).toBe('text/plain')
    expect(r.request.body).toBe('Invoice paid: 5')
    expect(() => new Webhook(secret).verify(r.request.body, r.request.headers, { jsonParse: false })).not.toThrow()
  })

  it('reports a URL that renders to no URL, or fails to render, as a failure', () => {
    expect(build({ url: '{{ endpoint.metadata.path }}' })).toMatchObject({ ok: false, message: expect.stringContaining('not an absolute http') })
    expect(build({ url: 'http://127.0.0.1/{{ tenant.metadata.nope }}' })).toMatchObject({ ok: false, message: expect.stringContaining('undefined variable') })
    expect(build({ headers: { 'X-A': '{{ tenant.metadata.nope }}' } })).toMatchObject({ ok: false, message: expect.stringContaining('headers/X-A') })
    expect(build({ headers: { 'X-A': '{{ endpoint.metadata.path }} ✓' } })).toMatchObject({ ok: false, message: expect.stringContaining('Latin-1') })
  })
})
