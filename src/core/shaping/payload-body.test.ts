import { describe, expect, it } from 'vitest'
import type { PayloadSettings } from '../model.js'
import { DEFAULT_PAYLOAD, defaultBody, prunePayload, renderBody } from './payload-body.js'
import { compileTemplate, type CompiledTemplate } from './templates.js'

const gateway = {
  route: 'checkout',
  request: { method: 'POST', path: '/pay', query: {}, headers: { 'x-a': '1' }, body: { amount: 5 } },
  response: { status: 502, headers: { 'x-b': '2' }, body: 'bad gateway' },
  durationMs: 12,
}
const event = { id: 'evt_1', type: 'request.server_error', occurredAt: Date.UTC(2026, 0, 2, 3, 4, 5), payloadJson: JSON.stringify(gateway) }
const owner = { id: 'o', name: 'Owner', metadata: { region: 'eu' } }

function template(source: string): CompiledTemplate {
  const c = compileTemplate(source)
  if (!c.ok) throw new Error(c.message)
  return c.template
}

const body = (settings: Partial<PayloadSettings>, source: string | null = null, ev = event, wantValue = false) =>
  renderBody({ event: ev, settings: { ...DEFAULT_PAYLOAD, ...settings }, template: source === null ? null : template(source), endpoint: owner, tenant: owner, wantValue })

describe('prunePayload', () => {
  it('by default removes only the headers', () => {
    expect(JSON.parse(prunePayload(event.type, event.payloadJson, DEFAULT_PAYLOAD))).toEqual({
      ...gateway,
      request: { method: 'POST', path: '/pay', query: {}, body: { amount: 5 } },
      response: { status: 502, body: 'bad gateway' },
    })
  })

  it('removes each field its option turns off, leaving it absent rather than null', () => {
    const pruned = JSON.parse(
      prunePayload(event.type, event.payloadJson, { ...DEFAULT_PAYLOAD, includeRequestBody: false, includeResponseBody: false, includeStatusCode: false, includeHeaders: true }),
    )
    expect(pruned.request).toEqual({ method: 'POST', path: '/pay', query: {}, headers: { 'x-a': '1' } })
    expect(pruned.response).toEqual({ headers: { 'x-b': '2' } })
    expect('body' in pruned.request).toBe(false)
  })

  it('returns the same text when there is nothing to remove', () => {
    const all = { ...DEFAULT_PAYLOAD, includeHeaders: true }
    expect(prunePayload(event.type, event.payloadJson, all)).toBe(event.payloadJson)
    const plain = '{"order":{"id":1},"note":"no request here"}'
    expect(prunePayload('order.created', plain, DEFAULT_PAYLOAD)).toBe(plain)
    const nullResponse = '{"request":{"method":"GET"},"response":null}'
    expect(prunePayload('request.timeout', nullResponse, DEFAULT_PAYLOAD)).toBe(nullResponse)
  })

  it('leaves events that are not gateway-shaped alone, whatever fields they have', () => {
    const ticket = '{"request":{"id":"r1","text":"help","headers":{"from":"ada"}},"response":{"headers":{"x":1}}}'
    expect(prunePayload('ticket.created', ticket, DEFAULT_PAYLOAD)).toBe(ticket)
    // The shape alone is enough: route and durationMs beside request, whatever the type.
    const forwarded = JSON.stringify({ ...gateway, request: { ...gateway.request } })
    expect(JSON.parse(prunePayload('audit.forwarded', forwarded, DEFAULT_PAYLOAD)).request.headers).toBeUndefined()
  })
})

describe('renderBody', () => {
  const plainEvent = { ...event, type: 'invoice.paid', payloadJson: '{"amount": 5}' }

  it('sends the default envelope, untouched, when nothing is configured', () => {
    expect(body({}, null, plainEvent)).toEqual({ ok: true, body: defaultBody(plainEvent), envelope: true })
    expect(defaultBody(plainEvent)).toBe('{"id":"evt_1","type":"invoice.paid","timestamp":"2026-01-02T03:04:05.000Z","data":{"amount": 5}}')
  })

  it('puts the pruned payload in the envelope, and says the body is no longer the stored envelope', () => {
    const r = body({})
    expect(r).toMatchObject({ ok: true, envelope: false })
    if (r.ok) expect(JSON.parse(r.body).data.request.headers).toBeUndefined()
  })

  it('merges extraFields over the envelope', () => {
    const r = body({ extraFields: { source: 'hookrelay', type: 'overridden' } }, null, plainEvent)
    expect(r.ok && JSON.parse(r.body)).toEqual({ id: 'evt_1', type: 'overridden', timestamp: '2026-01-02T03:04:05.000Z', data: { amount: 5 }, source: 'hookrelay' })
  })

  it('renders a JSON template as written, with event, endpoint and tenant', () => {
    const src = '{"text": {{ event.type | json }}, "at": "{{ event.timestamp }}", "region": "{{ tenant.metadata.region }}", "amount": {{ event.data.amount }}}'
    expect(body({}, src, plainEvent)).toMatchObject({
      ok: true,
      body: '{"text": "invoice.paid", "at": "2026-01-02T03:04:05.000Z", "region": "eu", "amount": 5}',
      envelope: false,
    })
  })

  it('renders templates over the pruned payload', () => {
    expect(body({}, '{{ event.data.request | json }}')).toMatchObject({ ok: true, body: '{"method":"POST","path":"/pay","query":{},"body":{"amount":5}}' })
  })

  it('merges extraFields over a template that renders an object, and refuses one that does not', () => {
    const r = body({ extraFields: { env: 'prod' } }, '{"a": 1}', plainEvent)
    expect(r).toMatchObject({ ok: true, body: '{"a":1,"env":"prod"}' })
    expect(body({ extraFields: { env: 'prod' } }, '[1]', plainEvent)).toMatchObject({ ok: false, message: expect.stringContaining('JSON object') })
  })

  it('sends text templates as rendered, JSON or not', () => {
    expect(body({ format: 'text' }, 'Invoice {{ event.data.amount }} paid', plainEvent)).toEqual({ ok: true, body: 'Invoice 5 paid', envelope: false })
  })

  it('fails, as data, when a JSON template renders invalid JSON or cannot render', () => {
    expect(body({}, '{"a": {{ event.type }}}', plainEvent)).toMatchObject({ ok: false, message: expect.stringContaining('not render valid JSON') })
    expect(body({}, '{{ event.data.nope }}', plainEvent)).toMatchObject({ ok: false, message: expect.stringContaining('undefined variable') })
  })

  it('gives the JSON value when asked (GET)', () => {
    expect(body({}, null, plainEvent, true)).toMatchObject({ ok: true, value: { id: 'evt_1', type: 'invoice.paid', data: { amount: 5 } } })
  })
})
