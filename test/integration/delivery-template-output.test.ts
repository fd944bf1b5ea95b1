/**
 * A template's output is bounded by HOOKRELAY_MAX_PAYLOAD_BYTES (API.md, "What each delivery looks
 * like"): more fails the attempt with kind `template`, whatever the tags, and other tenants'
 * deliveries go on. Set small here (4 KiB) so the boundary is cheap to test.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, useApiServer } from './api-support.js'

const LIMIT = 4096

/** The template: a string doubled 20 times (1 MiB), printed 50 times (50 MiB). */
const DOUBLING = '{% assign s = "x" %}{% for i in (1..20) %}{% assign s = s | append: s %}{% endfor %}{% for i in (1..50) %}{{ s }}{% endfor %}'

describe('template output limit', () => {
  const ctx = useApiServer({ maxPayloadBytes: LIMIT })
  const receivers: Receiver[] = []
  afterAll(async () => {
    for (const r of receivers) await r.close()
  })

  async function endpoint(tenantId: string, template: string): Promise<Receiver> {
    const rcv = await startReceiver()
    receivers.push(rcv)
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: tenantId, name: tenantId })).status).toBe(201)
    const ep = await ctx.srv.api('POST', `/v1/tenants/${tenantId}/endpoints`, { url: `${rcv.url}/hook`, payload: { format: 'text', template }, retry: { maxRetries: 0 } })
    expect(ep.status, JSON.stringify(ep.body)).toBe(201)
    return rcv
  }

  async function settled(tenantId: string, payload: unknown): Promise<any> {
    const pub = await ctx.srv.api('POST', `/v1/tenants/${tenantId}/events`, { type: 'x.y', payload })
    expect(pub.status).toBe(202)
    const d = await eventually(async () => {
      const r = await ctx.srv.api('GET', `/v1/tenants/${tenantId}/events/${pub.body.id}`)
      return r.body.deliveries?.[0]?.status !== 'pending' ? r.body.deliveries?.[0] : null
    }, DELIVERY_WAIT_MS)
    return (await ctx.srv.api('GET', `/v1/tenants/${tenantId}/deliveries/${d.id}`)).body
  }

  it('sends output of exactly the limit, and fails one byte more with kind template', async () => {
    // 64 iterations of 64 characters, plus a tail: few nodes, so the 50 ms render limit is far away.
    const rcv = await endpoint('out-edge', `{% for i in (1..64) %}${'y'.repeat(64)}{% endfor %}{{ event.data.tail }}`)
    const under = await settled('out-edge', { tail: '' })
    expect(under.status, JSON.stringify(under.attempts[0].error)).toBe('succeeded')
    expect((await rcv.waitForHits(1))[0]!.body).toBe('y'.repeat(LIMIT))
    const over = await settled('out-edge', { tail: 'y' })
    expect(over.status).toBe('failed')
    expect(over.attempts[0].error).toEqual({ kind: 'template', message: expect.stringContaining('HOOKRELAY_MAX_PAYLOAD_BYTES') })
    expect(rcv.hits).toHaveLength(1)
  })

  it('stops the doubling template at the limit while another tenant is delivered', async () => {
    const hostile = await endpoint('out-hostile', DOUBLING)
    const other = await endpoint('out-other', '{{ event.data.n }}')
    const [bad, good] = await Promise.all([settled('out-hostile', {}), settled('out-other', { n: 7 })])
    expect(bad.status).toBe('failed')
    expect(bad.attempts[0].error).toEqual({ kind: 'template', message: expect.stringContaining(`larger than ${LIMIT} bytes`) })
    expect(hostile.hits).toHaveLength(0)
    expect(good.status).toBe('succeeded')
    expect((await other.waitForHits(1))[0]!.body).toBe('7')
  })
})
