/**
 * A template's time is bounded for real (API.md, "What each delivery looks like": a render that
 * runs past its time limit, 50 ms, whatever the tags or filters, fails its attempt with kind
 * `template`; it never stalls the API or other deliveries). The runaway here is one filter,
 * `has_exp` over a range of 20,000, whose expression scans the range again for every item: more
 * than two minutes of CPU inside a single filter, where Liquid's own limit never looks. Without
 * render threads each test below waits minutes for the API and fails on its time-out.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { TOO_SLOW } from '../../src/core/shaping/templates.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, useApiServer } from './api-support.js'

const hasExp = (n: number): string => `{% assign a = (1..${n}) %}{% assign r = a | has_exp: "i", "a contains 0" %}{{ r }}`
/** A few hundred items' work: well under the limit. */
const UNDER = hasExp(10)
const RUNAWAY = hasExp(20_000)
/**
 * Stopped in the filter (`; it was stopped`), as a rule; on a very busy machine Liquid may find the
 * limit passed before it reaches the filter, which is the same failure.
 */
const SLOW_MESSAGE = expect.stringMatching(new RegExp(`^template failed to render: ${TOO_SLOW.replace(/[()]/g, '\\$&')}`)) as unknown
const SLOW = { kind: 'template', message: SLOW_MESSAGE }

describe('template time limit', () => {
  const ctx = useApiServer()
  const receivers: Receiver[] = []
  afterAll(async () => {
    for (const r of receivers) await r.close()
  })

  async function tenant(id: string): Promise<void> {
    if ((await ctx.srv.api('GET', `/v1/tenants/${id}`)).status === 404) expect((await ctx.srv.api('POST', '/v1/tenants', { id, name: id })).status).toBe(201)
  }

  async function endpoint(tenantId: string, fields: Record<string, unknown>): Promise<{ rcv: Receiver; id: string }> {
    const rcv = await startReceiver()
    receivers.push(rcv)
    await tenant(tenantId)
    const ep = await ctx.srv.api('POST', `/v1/tenants/${tenantId}/endpoints`, { url: `${rcv.url}/hook`, retry: { maxRetries: 0 }, ...fields })
    expect(ep.status, JSON.stringify(ep.body)).toBe(201)
    return { rcv, id: ep.body.id }
  }

  const publish = async (tenantId: string, payload: unknown): Promise<string> => {
    const pub = await ctx.srv.api('POST', `/v1/tenants/${tenantId}/events`, { type: 'x.y', payload })
    expect(pub.status).toBe(202)
    return pub.body.id
  }

  async function settled(tenantId: string, eventId: string): Promise<any> {
    const d = await eventually(async () => {
      const r = await ctx.srv.api('GET', `/v1/tenants/${tenantId}/events/${eventId}`)
      return r.body.deliveries?.[0]?.status !== 'pending' ? r.body.deliveries?.[0] : null
    }, DELIVERY_WAIT_MS)
    return (await ctx.srv.api('GET', `/v1/tenants/${tenantId}/deliveries/${d.id}`)).body
  }

  /** What another tenant sees meanwhile: /healthz, and a delivery through a template and one without. */
  async function othersMeanwhile(): Promise<void> {
    const health = await ctx.srv.api('GET', '/healthz', undefined, { token: null })
    expect(health.status).toBe(200)
    const [plainId, tplId] = await Promise.all([publish('tt-other', { n: 1 }), publish('tt-other-tpl', { n: 2 })])
    const [plain, tpl] = await Promise.all([settled('tt-other', plainId), settled('tt-other-tpl', tplId)])
    expect(plain.status).toBe('succeeded')
    expect(tpl.status, JSON.stringify(tpl.attempts[0].error)).toBe('succeeded')
  }

  it('delivers a filter loop under the limit, and fails one far over with kind template while other tenants are delivered', async () => {
    const under = await endpoint('tt-under', { payload: { format: 'text', template: UNDER } })
    const hostile = await endpoint('tt-hostile', { payload: { format: 'text', template: RUNAWAY } })
    const other = await endpoint('tt-other', {})
    const otherTpl = await endpoint('tt-other-tpl', { payload: { format: 'text', template: 'n={{ event.data.n }}' } })

    const underDelivery = await settled('tt-under', await publish('tt-under', {}))
    expect(underDelivery.status, JSON.stringify(underDelivery.attempts[0].error)).toBe('succeeded')
    expect((await under.rcv.waitForHits(1))[0]!.body).toBe('false')

    // Three runaways, one after another on the render threads: the API and other tenants go on meanwhile.
    const hostileIds = await Promise.all([1, 2, 3].map((i) => publish('tt-hostile', { i })))
    await othersMeanwhile()
    for (const id of hostileIds) {
      const d = await settled('tt-hostile', id)
      expect(d.status).toBe('failed')
      expect(d.attempts[0].error).toEqual(SLOW)
    }
    expect(hostile.rcv.hits).toHaveLength(0)
    expect((await other.rcv.waitForHits(1)).map((h) => JSON.parse(h.body).data)).toEqual([{ n: 1 }])
    expect((await otherTpl.rcv.waitForHits(1)).map((h) => h.body)).toEqual(['n=2'])
  })

  it('refuses an endpoint whose URL or header template runs far over the limit with 422, and the API answers meanwhile', async () => {
    await tenant('tt-create')
    const creating = ctx.srv.api('POST', '/v1/tenants/tt-create/endpoints', { url: `http://127.0.0.1:9/{{ 1 }}${RUNAWAY}` })
    await othersMeanwhile()
    const created = await creating
    expect(created.status).toBe(422)
    expect(created.body.code).toBe('validation_failed')
    expect(created.body.errors).toEqual([{ path: '/url', message: SLOW_MESSAGE }])

    const { id } = await endpoint('tt-create', {})
    const patched = await ctx.srv.api('PATCH', `/v1/tenants/tt-create/endpoints/${id}`, { headers: { 'X-Fine': 'a', 'X-Slow': RUNAWAY } })
    expect(patched.status).toBe(422)
    expect(patched.body.errors).toEqual([{ path: '/headers/X-Slow', message: SLOW_MESSAGE }])
    expect((await ctx.srv.api('GET', `/v1/tenants/tt-create/endpoints/${id}`)).body.headers).toEqual({})
  })

  it('answers a preview of a runaway body template with 422 template_failed', async () => {
    await tenant('tt-preview')
    const previewing = ctx.srv.api('POST', '/v1/tenants/tt-preview/endpoints/preview', { endpoint: { url: 'http://127.0.0.1:9/hook', payload: { format: 'text', template: RUNAWAY } }, payload: {} })
    await othersMeanwhile()
    const preview = await previewing
    expect(preview.status).toBe(422)
    expect(preview.body.code).toBe('template_failed')
    expect(preview.body.errors).toEqual([{ path: '/endpoint/payload/template', message: SLOW_MESSAGE }])
  })

  it('records a test send of a runaway template as an attempt with kind template', async () => {
    const { rcv, id } = await endpoint('tt-test', { payload: { format: 'text', template: `{{ event.data.n }}${RUNAWAY}` } })
    const sent = ctx.srv.api('POST', `/v1/tenants/tt-test/endpoints/${id}/test`, { payload: { n: 1 } })
    await othersMeanwhile()
    const attempt = await sent
    expect(attempt.status).toBe(200)
    expect(attempt.body.error).toEqual(SLOW)
    expect(rcv.hits).toHaveLength(0)
  })

  it('tries a render stopped at its time limit again, as it would a timeout, before failing the delivery', async () => {
    // The limit is wall-clock time, which a busy machine stretches: an innocent template can pass it
    // then, so a stopped render is retried on the endpoint's schedule, while a broken one is not.
    const { rcv } = await endpoint('tt-again', { payload: { format: 'text', template: RUNAWAY }, retry: { maxRetries: 1, schedule: [1] } })
    const broken = await endpoint('tt-again', { payload: { format: 'text', template: '{{ event.data.missing }}' }, retry: { maxRetries: 1, schedule: [1] } })
    const eventId = await publish('tt-again', {})
    const deliveries = await eventually(async () => {
      const r = await ctx.srv.api('GET', `/v1/tenants/tt-again/events/${eventId}`)
      const ds = r.body.deliveries as Array<{ id: string; status: string; endpointId: string }> | undefined
      return ds && ds.length === 2 && ds.every((d) => d.status !== 'pending') ? ds : null
    }, DELIVERY_WAIT_MS)
    const detail = async (endpointId: string): Promise<any> => (await ctx.srv.api('GET', `/v1/tenants/tt-again/deliveries/${deliveries.find((d) => d.endpointId === endpointId)!.id}`)).body
    const slow = await detail((await ctx.srv.api('GET', '/v1/tenants/tt-again/endpoints')).body.data.find((e: any) => e.id !== broken.id).id)
    expect(slow.status).toBe('failed')
    expect(slow.attempts.map((a: any) => a.error)).toEqual([SLOW, SLOW])
    const brokenDelivery = await detail(broken.id)
    expect(brokenDelivery.status).toBe('failed')
    expect(brokenDelivery.attempts).toHaveLength(1)
    expect(brokenDelivery.attempts[0].error.kind).toBe('template')
    expect(rcv.hits).toHaveLength(0)
  })
})
