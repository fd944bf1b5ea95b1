/**
 * API.md "Endpoints", request shaping through the API: every option saved and shown back (auth
 * masked), partial payload updates, the hint round trip, and the bad inputs refused with 422.
 * What arrives at a receiver is in delivery-shaping.test.ts.
 * Network rule: endpoint URLs are loopback only; port 1 ones are never contacted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { expectInvalid, useApiServer } from './api-support.js'
import { storedBytes } from '../helpers/stored-bytes.js'

const NOWHERE = 'http://127.0.0.1:1/hook'
const T = '/v1/tenants/shape'

describe('API endpoints: request shaping', () => {
  const ctx = useApiServer()
  beforeAll(async () => {
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'shape', name: 'Shape', metadata: { hookPort: 1, region: 'eu' } })).status).toBe(201)
  })

  const create = (body: Record<string, unknown>) => ctx.srv.api('POST', `${T}/endpoints`, { url: NOWHERE, ...body })

  it('keeps every option given and shows credentials only as a hint', async () => {
    const input = {
      url: 'http://127.0.0.1:{{ tenant.metadata.hookPort }}/{{ endpoint.metadata.path }}',
      method: 'PUT',
      auth: { type: 'bearer', token: 'sk_live_0123456789abcdef' },
      headers: { 'X-Env': 'prod', 'X-Region': '{{ tenant.metadata.region }}' },
      queryParams: { source: 'hookrelay' },
      payload: { format: 'json', template: '{"text": {{ event.type | json }}}', extraFields: { channel: '#ops' }, includeHeaders: true, includeRequestBody: false },
      metadata: { path: 'in' },
    }
    const res = await create(input)
    expect(res.status, JSON.stringify(res.body)).toBe(201)
    expect(res.body).toMatchObject({
      ...input,
      auth: { type: 'bearer', token: '****cdef' },
      payload: { ...input.payload, includeResponseBody: true, includeStatusCode: true },
    })
    expect(JSON.stringify(res.body)).not.toContain('0123456789')
    const read = await ctx.srv.api('GET', `${T}/endpoints/${res.body.id}`)
    expect(read.body).toEqual(res.body)
    const listed = await ctx.srv.api('GET', `${T}/endpoints`)
    expect(JSON.stringify(listed.body)).not.toContain('0123456789')
  })

  it('keeps credentials encrypted in the database', async () => {
    const token = `sk_live_${'plaintext'.repeat(3)}`
    const res = await create({ auth: { type: 'bearer', token }, name: 'at rest' })
    expect(res.status).toBe(201)
    const bytes = await storedBytes(ctx.srv)
    expect(bytes.includes('at rest')).toBe(true) // the endpoint is there...
    expect(bytes.includes(token)).toBe(false) // ...its token is not
    expect(bytes.includes(Buffer.from(token).toString('base64'))).toBe(false)
  })

  it.each([
    [{ type: 'basic', username: 'ada', password: 'lovelace-1815' }, { type: 'basic', username: 'ada', password: '****1815' }],
    [{ type: 'basic', username: 'ada', password: 'short' }, { type: 'basic', username: 'ada', password: '****' }],
    [{ type: 'header', name: 'DD-API-KEY', value: 'dd_0123456789' }, { type: 'header', name: 'DD-API-KEY', value: '****6789' }],
    [{ type: 'none' }, { type: 'none' }],
  ])('shows %j as %j', async (auth, shown) => {
    const res = await create({ auth })
    expect(res.status).toBe(201)
    expect(res.body.auth).toEqual(shown)
  })

  it('PATCH keeps the payload fields it leaves out, and replaces headers and query as wholes', async () => {
    const ep = await create({ headers: { 'X-A': '1', 'X-B': '2' }, queryParams: { a: '1' }, payload: { format: 'text', template: 'hi' } })
    const patched = await ctx.srv.api('PATCH', `${T}/endpoints/${ep.body.id}`, { headers: { 'X-C': '3' }, payload: { template: 'bye' } })
    expect(patched.status).toBe(200)
    expect(patched.body).toMatchObject({ headers: { 'X-C': '3' }, queryParams: { a: '1' }, payload: { format: 'text', template: 'bye', includeHeaders: false } })
    expect(patched.body.headers).toEqual({ 'X-C': '3' })
  })

  it('PATCH of other fields, or of the auth as it was shown, keeps the credential', async () => {
    const ep = await create({ auth: { type: 'header', name: 'X-Api-Key', value: 'key_0123456789' } })
    const renamed = await ctx.srv.api('PATCH', `${T}/endpoints/${ep.body.id}`, { name: 'renamed' })
    expect(renamed.body.auth).toEqual(ep.body.auth)
    const roundTrip = await ctx.srv.api('PATCH', `${T}/endpoints/${ep.body.id}`, { auth: renamed.body.auth })
    expect(roundTrip.status).toBe(200)
    expect(roundTrip.body.auth).toEqual({ type: 'header', name: 'X-Api-Key', value: '****6789' })
    const cleared = await ctx.srv.api('PATCH', `${T}/endpoints/${ep.body.id}`, { auth: { type: 'none' } })
    expect(cleared.body.auth).toEqual({ type: 'none' })
    // With nothing stored any more, the hint is no credential.
    expectInvalid(await ctx.srv.api('PATCH', `${T}/endpoints/${ep.body.id}`, { auth: { type: 'header', name: 'X-Api-Key' } }), '/auth/value')
  })

  it.each([
    ['an unknown method', { method: 'DELETE' }, '/method'],
    ['a lowercase method', { method: 'get' }, '/method'],
    ['an unknown auth type', { auth: { type: 'oauth' } }, '/auth/type'],
    ['bearer without a token', { auth: { type: 'bearer' } }, '/auth/token'],
    ['basic without a password', { auth: { type: 'basic', username: 'u' } }, '/auth/password'],
    ['header auth without a name', { auth: { type: 'header', value: 'v' } }, '/auth/name'],
    ['header auth with a reserved name', { auth: { type: 'header', name: 'Host', value: 'v' } }, '/auth/name'],
    ['a field of another auth type', { auth: { type: 'bearer', token: 't', password: 'p' } }, '/auth/password'],
    ['a host header', { headers: { Host: 'evil.example' } }, '/headers/Host'],
    ['a content-length header', { headers: { 'Content-Length': '1' } }, '/headers/Content-Length'],
    ['a transfer-encoding header', { headers: { 'transfer-encoding': 'chunked' } }, '/headers/transfer-encoding'],
    ['a connection header', { headers: { Connection: 'close' } }, '/headers/Connection'],
    ['a forged signature header', { headers: { 'webhook-signature': 'v1,forged' } }, '/headers/webhook-signature'],
    ['a header name with a space', { headers: { 'X Bad': '1' } }, '/headers/X Bad'],
    ['a header value with a line break', { headers: { 'X-A': 'a\r\nX-Injected: 1' } }, '/headers/X-A'],
    ['a header value beyond Latin-1', { headers: { 'X-Note': 'done ✓' } }, '/headers/X-Note'],
    ['a bearer token beyond Latin-1', { auth: { type: 'bearer', token: 'tøken-✓-123456' } }, '/auth/token'],
    ['an authorization header beside bearer auth', { auth: { type: 'bearer', token: 't' }, headers: { Authorization: 'x' } }, '/headers/Authorization'],
    ['a non-string header value', { headers: { 'X-A': 1 } }, '/headers/X-A'],
    ['a non-string query value', { queryParams: { a: true } }, '/queryParams/a'],
    ['an unknown format', { payload: { format: 'xml' } }, '/payload/format'],
    ['a template that does not parse', { payload: { template: '{% if event.type %}' } }, '/payload/template'],
    ['a template with an unknown filter', { payload: { template: '{{ event | tojson }}' } }, '/payload/template'],
    ['GET with a text body', { method: 'GET', payload: { format: 'text' } }, '/payload/format'],
    ['extra fields on a text body', { payload: { format: 'text', extraFields: { a: 1 } } }, '/payload/extraFields'],
    ['an unknown payload option', { payload: { includeCookies: true } }, '/payload/includeCookies'],
    ['a URL template that does not parse', { url: 'http://127.0.0.1:1/{{ tenant.metadata.x' }, '/url'],
    ['a URL template over a missing value', { url: 'http://127.0.0.1:1/{{ tenant.metadata.nope }}' }, '/url'],
    ['a URL template that renders to no URL', { url: '{{ tenant.metadata.region }}' }, '/url'],
    ['a header template over a missing value', { headers: { 'X-A': '{{ endpoint.metadata.nope }}' } }, '/headers/X-A'],
  ])('refuses %s with 422', async (_what, body, path) => {
    expectInvalid(await create(body), path)
    const ep = await create({})
    expectInvalid(await ctx.srv.api('PATCH', `${T}/endpoints/${ep.body.id}`, body), path)
  })

  it('a URL template is checked with the endpoint metadata of the same request', async () => {
    const ok = await create({ url: 'http://127.0.0.1:1/{{ endpoint.metadata.path }}', metadata: { path: 'x' } })
    expect(ok.status).toBe(201)
    expectInvalid(await ctx.srv.api('PATCH', `${T}/endpoints/${ok.body.id}`, { metadata: {} }), '/url')
  })
})

describe('API endpoints: the SSRF check applies to the rendered URL', () => {
  let srv: TestServer
  let rcv: Receiver
  beforeAll(async () => {
    // Only 127.0.0.2 is allowed: a template that renders to 127.0.0.1 must be refused.
    srv = await startTestServer({ allowedNetworks: ['127.0.0.2/32'] })
    rcv = await startReceiver()
    await srv.api('POST', '/v1/tenants', { id: 'tpl', name: 'Tpl', metadata: { host: '127.0.0.1' } })
  })
  afterAll(async () => {
    await rcv?.close()
    await srv?.close()
  })

  it('refuses a template that renders to a blocked address, at creation and when metadata changes it', async () => {
    const port = new URL(rcv.url).port
    const blocked = await srv.api('POST', '/v1/tenants/tpl/endpoints', { url: `http://{{ tenant.metadata.host }}:${port}/x` })
    expectInvalid(blocked, '/url', 'url_not_allowed')
    const allowed = await srv.api('POST', '/v1/tenants/tpl/endpoints', { url: `http://{{ endpoint.metadata.host }}:${port}/x`, metadata: { host: '127.0.0.2' } })
    expect(allowed.status).toBe(201)
    expectInvalid(await srv.api('PATCH', `/v1/tenants/tpl/endpoints/${allowed.body.id}`, { metadata: { host: '127.0.0.1' } }), '/url', 'url_not_allowed')
    expect(rcv.connections).toBe(0)
  })
})
