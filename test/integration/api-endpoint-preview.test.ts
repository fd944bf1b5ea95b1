/**
 * API.md "Endpoints": POST /v1/tenants/{t}/endpoints/preview. The preview is the request a delivery
 * sends (checked against a real delivery of the same endpoint to a receiver on 127.0.0.1), signed
 * with the placeholder secret; rendered against the payload given, the type's example, or {};
 * field errors under /endpoint, a template that fails at render 422 template_failed; nothing sent
 * or stored; portal tokens may preview. Runs on both stores (HOOKRELAY_TEST_STORE).
 */
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { verify } from '../../src/core/signing/standard-webhooks.js'
import { PREVIEW_SECRET } from '../../src/services/endpoints.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { DELIVERY_WAIT_MS, expectInvalid, expectList, expectProblem, useApiServer } from './api-support.js'

const T = '/v1/tenants/pv'

describe('endpoint preview', () => {
  const ctx = useApiServer()
  let rcv: Receiver

  const preview = (body: unknown, token?: string) => ctx.srv.api('POST', `${T}/endpoints/preview`, body, token === undefined ? {} : { token })

  beforeAll(async () => {
    rcv = await startReceiver()
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'pv', name: 'Preview Co', metadata: { region: 'eu' } })).status).toBe(201)
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'pv-other', name: 'Other' })).status).toBe(201)
    expect((await ctx.srv.api('POST', '/v1/event-types', { name: 'invoice.paid', example: { invoiceId: 'in_example', amount: 4200 } })).status).toBe(201)
  })
  afterAll(async () => {
    await rcv?.close()
  })

  it('is the request a delivery of the same endpoint sends, signed with the placeholder secret', async () => {
    const fields = {
      url: `${rcv.url}/hooks/{{ tenant.metadata.region }}`,
      headers: { 'X-Env': 'prod' },
      queryParams: { source: 'hookrelay' },
      auth: { type: 'bearer', token: 'tok_preview_123' },
      payload: { template: '{"invoice": {{ event.data.invoiceId | json }}, "tenant": {{ tenant.name | json }}}', extraFields: { team: 'billing' } },
    }
    const res = await preview({ endpoint: fields, eventType: 'invoice.paid', payload: { invoiceId: 'in_1' } })
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    const req = res.body.request
    expect(Object.keys(res.body)).toEqual(['request'])
    expect(req.method).toBe('POST')
    expect(req.url).toBe(`${rcv.url}/hooks/eu?source=hookrelay`)
    expect(JSON.parse(req.body)).toEqual({ invoice: 'in_1', tenant: 'Preview Co', team: 'billing' })
    expect(req.headers).toMatchObject({ 'content-type': 'application/json', 'x-env': 'prod', authorization: 'Bearer tok_preview_123', 'webhook-id': expect.stringMatching(/^evt_/) })
    const verified = new Webhook(PREVIEW_SECRET).verify(req.body, req.headers)
    expect(verified).toEqual(JSON.parse(req.body))

    // The same endpoint, saved, delivers the same event: the same request but for its id, time and signature.
    const ep = await ctx.srv.api('POST', `${T}/endpoints`, { ...fields, eventTypes: ['invoice.paid'] })
    expect(ep.status).toBe(201)
    expect((await ctx.srv.api('POST', `${T}/events`, { type: 'invoice.paid', payload: { invoiceId: 'in_1' } })).status).toBe(202)
    const [hit] = await rcv.waitForHits(1, DELIVERY_WAIT_MS)
    expect(`${rcv.url}${hit!.url}`).toBe(req.url)
    expect(hit!.method).toBe(req.method)
    expect(hit!.body).toBe(req.body)
    const varying = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature'])
    const sent = Object.fromEntries(Object.entries(hit!.headers).filter(([k]) => Object.hasOwn(req.headers, k) && !varying.has(k)))
    const shown = Object.fromEntries(Object.entries(req.headers as Record<string, string>).filter(([k]) => !varying.has(k)))
    expect(sent).toEqual(shown)
    for (const k of varying) expect(hit!.headers[k]).toEqual(expect.any(String))
    await ctx.srv.api('DELETE', `${T}/endpoints/${ep.body.id}`)
    rcv.hits.length = 0
  })

  it("renders against the payload given, else the type's example, else {}; eventType defaults to webhook.test", async () => {
    const endpoint = { url: `${rcv.url}/x`, payload: { template: '{"type": {{ event.type | json }}, "data": {{ event.data | json }}}' } }
    const given = await preview({ endpoint, eventType: 'invoice.paid', payload: { mine: true } })
    expect(JSON.parse(given.body.request.body)).toEqual({ type: 'invoice.paid', data: { mine: true } })
    const example = await preview({ endpoint, eventType: 'invoice.paid' })
    expect(JSON.parse(example.body.request.body)).toEqual({ type: 'invoice.paid', data: { invoiceId: 'in_example', amount: 4200 } })
    const unknown = await preview({ endpoint, eventType: 'not.in.catalog' })
    expect(JSON.parse(unknown.body.request.body)).toEqual({ type: 'not.in.catalog', data: {} })
    const dflt = await preview({ endpoint: { url: `${rcv.url}/x` } })
    expect(dflt.status).toBe(200)
    expect(JSON.parse(dflt.body.request.body)).toMatchObject({ type: 'webhook.test', data: {} })
  })

  it('shows a GET with the fields in the query and no body, the signature over the query string', async () => {
    const res = await preview({ endpoint: { url: `${rcv.url}/get?a=1`, method: 'GET', payload: { template: '{"invoice": {{ event.data.invoiceId | json }}}' } }, payload: { invoiceId: 'in 2' } })
    expect(res.status).toBe(200)
    expect(res.body.request).toMatchObject({ method: 'GET', url: `${rcv.url}/get?a=1&invoice=in%202`, body: '' })
    expect(res.body.request.headers['content-type']).toBeUndefined()
    const h = res.body.request.headers
    const signed = { id: h['webhook-id'], timestamp: h['webhook-timestamp'], signature: h['webhook-signature'] }
    expect(verify(PREVIEW_SECRET, signed, 'a=1&invoice=in%202', Math.floor(Date.now() / 1000))).toBe(true)
  })

  it('names field errors under /endpoint, and a template that fails at render with template_failed', async () => {
    expectInvalid(await preview({ endpoint: { url: `${rcv.url}/x`, retry: { maxRetries: 9 } } }), '/endpoint/retry/maxRetries')
    expectInvalid(await preview({ endpoint: { url: 'ftp://example.test/x' } }), '/endpoint/url')
    expectInvalid(await preview({ endpoint: { url: `${rcv.url}/x`, payload: { template: '{{ event.data | nofilter }}' } } }), '/endpoint/payload/template')
    expectInvalid(await preview({ endpoint: { url: `${rcv.url}/x`, eventTypes: ['bad pattern'] } }), '/endpoint/eventTypes/0')
    expectInvalid(await preview({ endpoint: {} }), '/endpoint/url')
    expectInvalid(await preview({}), '/endpoint')
    expectInvalid(await preview({ endpoint: { url: `${rcv.url}/x` }, extra: 1 }), '/extra')
    const failing = await preview({ endpoint: { url: `${rcv.url}/x`, payload: { template: '{"x": {{ event.data.missing.deeper | json }}}' } }, payload: {} })
    const errors = expectProblem(failing, 422, 'template_failed')
    expect(errors).toEqual([{ path: '/endpoint/payload/template', message: expect.stringMatching(/missing/) }])
    expect(failing.body.detail).toMatch(/missing/)
    expectProblem(await ctx.srv.api('POST', '/v1/tenants/pv-nobody/endpoints/preview', { endpoint: { url: `${rcv.url}/x` } }), 404, 'not_found')
  })

  it('sends and stores nothing', async () => {
    const before = expectList(await ctx.srv.api('GET', `${T}/endpoints`)).length
    const events = expectList(await ctx.srv.api('GET', `${T}/events`)).length
    for (let i = 0; i < 3; i++) expect((await preview({ endpoint: { url: `${rcv.url}/nothing` }, payload: { i } })).status).toBe(200)
    await new Promise((r) => setTimeout(r, 300))
    expect(rcv.hits.filter((h) => h.url.startsWith('/nothing'))).toEqual([])
    expect(rcv.connections).toBe(1)
    expect(expectList(await ctx.srv.api('GET', `${T}/endpoints`))).toHaveLength(before)
    expect(expectList(await ctx.srv.api('GET', `${T}/events`))).toHaveLength(events)
  })

  it("is reading: the tenant's keys and its portal tokens without capabilities may preview, other tenants' may not", async () => {
    const { srv } = ctx
    const key = (await srv.api('POST', `${T}/api-keys`, { name: 'k' })).body.key as string
    const portal = (await srv.api('POST', `${T}/portal-sessions`, { capabilities: [] })).body.token as string
    const foreign = (await srv.api('POST', '/v1/tenants/pv-other/portal-sessions', {})).body.token as string
    const body = { endpoint: { url: `${rcv.url}/x` } }
    expect((await preview(body, key)).status).toBe(200)
    expect((await preview(body, portal)).status).toBe(200)
    expectProblem(await preview(body, foreign), 403, 'forbidden')
  })
})
