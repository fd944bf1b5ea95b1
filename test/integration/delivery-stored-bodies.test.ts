/**
 * Stored attempt bodies are cut at 64 KiB (API.md, attempt): the request body as well as the
 * response body, whether it is the default envelope (rebuilt from the event when read) or a
 * rendered template, and for test sends. What goes on the wire is never cut.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, useApiServer } from './api-support.js'

const KIB64 = 65_536

describe('stored attempt bodies', () => {
  const ctx = useApiServer()
  const receivers: Receiver[] = []
  afterAll(async () => {
    for (const r of receivers) await r.close()
  })

  async function setup(tenantId: string, endpoint: Record<string, unknown>): Promise<{ rcv: Receiver; endpointId: string }> {
    const rcv = await startReceiver(() => ({ status: 200, body: 'é'.repeat(40_000) }))
    receivers.push(rcv)
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: tenantId, name: tenantId })).status).toBe(201)
    const ep = await ctx.srv.api('POST', `/v1/tenants/${tenantId}/endpoints`, { url: `${rcv.url}/hook`, ...endpoint })
    expect(ep.status, JSON.stringify(ep.body)).toBe(201)
    return { rcv, endpointId: ep.body.id }
  }

  async function onlyAttempt(tenantId: string, eventId: string): Promise<any> {
    const ev = await eventually(async () => {
      const r = await ctx.srv.api('GET', `/v1/tenants/${tenantId}/events/${eventId}`)
      return r.body.deliveries?.[0]?.status === 'succeeded' ? r.body : null
    }, DELIVERY_WAIT_MS)
    const d = await ctx.srv.api('GET', `/v1/tenants/${tenantId}/deliveries/${ev.deliveries[0].id}`)
    expect(d.body.attempts).toHaveLength(1)
    return d.body.attempts[0]
  }

  /** `stored` is the first 64 KiB of `sent`, cut between characters. */
  function expectCut(stored: string, sent: string): void {
    expect(Buffer.byteLength(sent)).toBeGreaterThan(KIB64)
    expect(Buffer.byteLength(stored)).toBeLessThanOrEqual(KIB64)
    expect(Buffer.byteLength(stored)).toBeGreaterThan(KIB64 - 4)
    expect(sent.startsWith(stored)).toBe(true)
  }

  // 100 KiB of two-byte characters, so the cut falls where a character could be split.
  const payload = { text: 'x' + 'ü'.repeat(50_000) }

  it('cuts a rendered template body at 64 KiB in the log, and sends it whole', async () => {
    const { rcv } = await setup('cut-template', { payload: { template: '{"wrapped": {{ event.data | json }}}' } })
    const pub = await ctx.srv.api('POST', '/v1/tenants/cut-template/events', { type: 'big.one', payload })
    expect(pub.status).toBe(202)
    const attempt = await onlyAttempt('cut-template', pub.body.id)
    const [hit] = await rcv.waitForHits(1)
    expect(JSON.parse(hit!.body)).toEqual({ wrapped: payload })
    expectCut(attempt.request.body, hit!.body)
    expectCut(attempt.response.body, 'é'.repeat(40_000))
  })

  it('cuts the default envelope at 64 KiB when it is read back', async () => {
    const { rcv } = await setup('cut-envelope', {})
    const pub = await ctx.srv.api('POST', '/v1/tenants/cut-envelope/events', { type: 'big.one', payload })
    const attempt = await onlyAttempt('cut-envelope', pub.body.id)
    const [hit] = await rcv.waitForHits(1)
    expect(JSON.parse(hit!.body).data).toEqual(payload)
    expectCut(attempt.request.body, hit!.body)
  })

  it('cuts the body of a test send', async () => {
    const { rcv, endpointId } = await setup('cut-test', { payload: { format: 'text', template: '{{ event.data.text }}' } })
    const res = await ctx.srv.api('POST', `/v1/tenants/cut-test/endpoints/${endpointId}/test`, { payload })
    expect(res.status).toBe(200)
    const [hit] = await rcv.waitForHits(1)
    expect(hit!.body).toBe(payload.text)
    expectCut(res.body.request.body, hit!.body)
    const d = await ctx.srv.api('GET', `/v1/tenants/cut-test/deliveries?endpointId=${endpointId}`)
    const stored = await ctx.srv.api('GET', `/v1/tenants/cut-test/deliveries/${d.body.data[0].id}`)
    expectCut(stored.body.attempts[0].request.body, hit!.body)
  })
})
