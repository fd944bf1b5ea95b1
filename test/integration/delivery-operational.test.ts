/**
 * Operational events (API.md, "Operational events"): the `_operator` tenant's endpoints learn of
 * failed deliveries, disabled endpoints and recoveries through signed webhooks, and failures of the
 * operator's own endpoints raise none. Every request goes to 127.0.0.1.
 */
import { Webhook } from 'standardwebhooks'
import { beforeAll, describe, expect, it } from 'vitest'
import { sleep, useFixture } from '../helpers/fixture.js'
import type { Receiver, ReceiverHit } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'

const DISABLE_AFTER_MS = 1500

interface OpEvent {
  id: string
  type: string
  timestamp: string
  data: Record<string, any>
  hit: ReceiverHit
}

describe.concurrent('operational events', () => {
  const f = useFixture('ops', { disableAfterMs: DISABLE_AFTER_MS })
  const { receiver, tenant, endpoint } = f
  let ops: Receiver
  let opsSecret: string

  beforeAll(async () => {
    ops = await receiver()
    // The _operator tenant exists from the start.
    const ep = await f.srv.api('POST', '/v1/tenants/_operator/endpoints', { url: `${ops.url}/ops` })
    expect(ep.status, JSON.stringify(ep.body)).toBe(201)
    opsSecret = (await f.srv.api('GET', `/v1/tenants/_operator/endpoints/${ep.body.id}/secret`)).body.secret
  })

  async function publish(tenantId: string, type = 'order.created'): Promise<{ eventId: string; deliveryId: string }> {
    const pub = await f.srv.api('POST', `/v1/tenants/${tenantId}/events`, { type, payload: { n: 1 } })
    expect(pub.status).toBe(202)
    const list = await f.srv.api('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${pub.body.id}`)
    return { eventId: pub.body.id, deliveryId: list.body.data[0]?.id }
  }
  async function finished(tenantId: string, deliveryId: string): Promise<any> {
    return eventually(async () => {
      const d = await f.srv.api('GET', `/v1/tenants/${tenantId}/deliveries/${deliveryId}`)
      return d.body.status !== 'pending' ? d.body : null
    }, 8000)
  }
  /** Operational events the operator receiver got about one endpoint, verified as a receiver would. */
  function opEvents(endpointId: string, type?: string): OpEvent[] {
    return ops.hits
      .map((hit) => ({ ...(JSON.parse(hit.body) as Omit<OpEvent, 'hit'>), hit }))
      .filter((e) => e.data.endpointId === endpointId && (type === undefined || e.type === type))
  }
  async function waitForOp(endpointId: string, type: string, timeoutMs = 8000): Promise<OpEvent> {
    const [e] = await eventually(async () => {
      const found = opEvents(endpointId, type)
      return found.length > 0 ? found : null
    }, timeoutMs)
    return e!
  }
  function expectSigned(e: OpEvent): void {
    const headers = Object.fromEntries(Object.entries(e.hit.headers).map(([k, v]) => [k, String(v)]))
    expect(headers['webhook-id']).toBe(e.id)
    expect(e.id).toMatch(/^evt_/)
    expect(new Webhook(opsSecret).verify(e.hit.body, headers)).toMatchObject({ id: e.id, type: e.type })
  }

  it('a delivery that ends failed raises delivery.failed', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 500 }))
    const ep = await endpoint(t, { url: `${rcv.url}/hook`, retry: { maxRetries: 0 } })
    const { eventId, deliveryId } = await publish(t, 'invoice.paid')
    expect((await finished(t, deliveryId)).status).toBe('failed')
    const e = await waitForOp(ep.id, 'delivery.failed')
    expect(e.data).toEqual({
      tenantId: t,
      endpointId: ep.id,
      deliveryId,
      eventId,
      eventType: 'invoice.paid',
      reason: expect.any(String),
      lastStatusCode: 500,
    })
    expect(e.data.reason.length).toBeGreaterThan(0)
    expectSigned(e)
    // One failed delivery, one event, and it does not disable anything on its own.
    await sleep(300)
    expect(opEvents(ep.id)).toHaveLength(1)
  })

  it('a 410 raises endpoint.disabled', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 410 }))
    const ep = await endpoint(t, { url: `${rcv.url}/gone` })
    const { deliveryId } = await publish(t)
    await finished(t, deliveryId)
    const e = await waitForOp(ep.id, 'endpoint.disabled')
    expect(e.data).toMatchObject({ tenantId: t, endpointId: ep.id, reason: expect.any(String), lastStatusCode: 410 })
    expectSigned(e)
    const failed = await waitForOp(ep.id, 'delivery.failed')
    expect(failed.data).toMatchObject({ deliveryId, lastStatusCode: 410 })
    const now = await f.srv.api('GET', `/v1/tenants/${t}/endpoints/${ep.id}`)
    expect(now.body).toMatchObject({ enabled: false, disabledReason: expect.any(String) })
  })

  it('failures spanning longer than HOOKRELAY_DISABLE_AFTER disable the endpoint', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 500 }))
    const ep = await endpoint(t, { url: `${rcv.url}/down`, retry: { maxRetries: 0 } })
    const firstAt = Date.now()
    const first = await publish(t)
    await finished(t, first.deliveryId)
    await waitForOp(ep.id, 'delivery.failed')
    expect((await f.srv.api('GET', `/v1/tenants/${t}/endpoints/${ep.id}`)).body.enabled).toBe(true)

    await sleep(DISABLE_AFTER_MS + 200)
    const secondAt = Date.now()
    const second = await publish(t)
    await finished(t, second.deliveryId)
    const e = await waitForOp(ep.id, 'endpoint.disabled')
    expect(e.data).toMatchObject({ tenantId: t, endpointId: ep.id, reason: expect.any(String), failingSince: expect.any(String) })
    const since = Date.parse(e.data.failingSince)
    expect(since).toBeGreaterThanOrEqual(firstAt - 1000)
    // The streak began with the first failure, recorded before the second publish was sent (its
    // delivery.failed was seen, then the test slept): a bound on the clock after the first publish
    // would fail on a loaded machine, where recording it can take longer than DISABLE_AFTER_MS.
    expect(since).toBeLessThan(secondAt)
    expectSigned(e)
    const after = await f.srv.api('GET', `/v1/tenants/${t}/endpoints/${ep.id}`)
    expect(after.body).toMatchObject({ enabled: false, disabledReason: expect.any(String) })
    expect((await publish(t)).deliveryId).toBeUndefined()
  })

  it('one delivery whose retries span longer than HOOKRELAY_DISABLE_AFTER disables the endpoint', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 503 }))
    const ep = await endpoint(t, { url: `${rcv.url}/down`, retry: { schedule: [1, 1], maxRetries: 2 } })
    const { deliveryId } = await publish(t)
    const d = await finished(t, deliveryId)
    expect(d).toMatchObject({ status: 'failed', attemptCount: 3 })
    const e = await waitForOp(ep.id, 'endpoint.disabled')
    expect(e.data).toMatchObject({ endpointId: ep.id, failingSince: expect.any(String), lastStatusCode: 503 })
    expect(Date.parse(e.data.failingSince)).toBeLessThanOrEqual(Date.parse(d.attempts[0].startedAt) + 1000)
  })

  it('the first success after failures raises endpoint.recovered', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 500 }))
    const ep = await endpoint(t, { url: `${rcv.url}/flaky`, retry: { maxRetries: 0 } })
    await finished(t, (await publish(t)).deliveryId)
    await waitForOp(ep.id, 'delivery.failed')
    rcv.setHandler(() => ({ status: 200 }))
    await finished(t, (await publish(t)).deliveryId)
    const e = await waitForOp(ep.id, 'endpoint.recovered')
    expect(e.data).toMatchObject({ tenantId: t, endpointId: ep.id, reason: expect.any(String) })
    expectSigned(e)
    // Only the first success after the failures.
    await finished(t, (await publish(t)).deliveryId)
    await sleep(300)
    expect(opEvents(ep.id, 'endpoint.recovered')).toHaveLength(1)
  })

  it('a retry that goes through after a failed attempt raises nothing', async () => {
    const t = await tenant()
    let calls = 0
    const rcv = await receiver(() => ({ status: ++calls === 1 ? 500 : 200 }))
    const ep = await endpoint(t, { url: `${rcv.url}/blip`, retry: { maxRetries: 1 } })
    const d = await finished(t, (await publish(t)).deliveryId)
    expect(d).toMatchObject({ status: 'succeeded', attemptCount: 2 })
    await sleep(500)
    expect(opEvents(ep.id)).toHaveLength(0)
  })

  it('an endpoint re-enabled after being disabled starts a new failure streak', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 410 }))
    const ep = await endpoint(t, { url: `${rcv.url}/back`, retry: { maxRetries: 0 } })
    await finished(t, (await publish(t)).deliveryId)
    await waitForOp(ep.id, 'endpoint.disabled')
    await sleep(DISABLE_AFTER_MS + 200)

    rcv.setHandler(() => ({ status: 500 }))
    const patched = await f.srv.api('PATCH', `/v1/tenants/${t}/endpoints/${ep.id}`, { enabled: true })
    expect(patched.body).toMatchObject({ enabled: true, disabledReason: null })
    const { deliveryId } = await publish(t)
    expect((await finished(t, deliveryId)).status).toBe('failed')
    await eventually(async () => opEvents(ep.id, 'delivery.failed').length === 2)
    await sleep(300)
    // The failure before the disabling is not part of the new streak.
    expect(opEvents(ep.id, 'endpoint.disabled')).toHaveLength(1)
    expect((await f.srv.api('GET', `/v1/tenants/${t}/endpoints/${ep.id}`)).body.enabled).toBe(true)
  })

  it('failures of the _operator tenant\'s own endpoints raise no operational events', async () => {
    const bad = await receiver(() => ({ status: 500 }))
    const badEp = await endpoint('_operator', { url: `${bad.url}/ops-down`, eventTypes: ['delivery.failed'], retry: { maxRetries: 0 } })
    // A tenant failure whose delivery.failed the broken operator endpoint then fails to take.
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 400 }))
    const ep = await endpoint(t, { url: `${rcv.url}/hook` })
    await finished(t, (await publish(t)).deliveryId)
    await waitForOp(ep.id, 'delivery.failed')
    await bad.waitForHits(1)
    await eventually(async () => {
      const list = await f.srv.api('GET', `/v1/tenants/_operator/deliveries?endpointId=${badEp.id}&status=failed`)
      return list.body.data.length >= 1
    })
    await sleep(500)
    expect(opEvents(badEp.id)).toHaveLength(0)
    const events = await f.srv.api('GET', '/v1/tenants/_operator/events?limit=250')
    expect(events.body.data.filter((e: any) => e.payload.endpointId === badEp.id)).toHaveLength(0)
  })
})
