/**
 * Attempts an operator asks for (API.md, "Events and deliveries" and "Endpoints"): a manual retry of
 * one delivery, whatever its status, and the recovery of an endpoint's failed deliveries.
 * Every request goes to 127.0.0.1.
 */
import { describe, expect, it } from 'vitest'
import { useFixture, sleep } from '../helpers/fixture.js'
import { eventually } from '../helpers/server.js'


describe.concurrent('manual retry and recovery', () => {
  const f = useFixture('man')
  const { receiver, tenant, endpoint } = f
  async function publish(tenantId: string, payload: Record<string, unknown> = {}): Promise<{ eventId: string; deliveryId: string }> {
    const pub = await f.srv.api('POST', `/v1/tenants/${tenantId}/events`, { type: 'order.created', payload })
    expect(pub.status).toBe(202)
    const list = await f.srv.api('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${pub.body.id}`)
    return { eventId: pub.body.id, deliveryId: list.body.data[0].id }
  }
  async function detail(tenantId: string, deliveryId: string): Promise<any> {
    return (await f.srv.api('GET', `/v1/tenants/${tenantId}/deliveries/${deliveryId}`)).body
  }
  async function until(tenantId: string, deliveryId: string, ok: (d: any) => boolean, timeoutMs = 8000): Promise<any> {
    return eventually(async () => {
      const d = await detail(tenantId, deliveryId)
      return ok(d) ? d : null
    }, timeoutMs)
  }

  it('retries a failed delivery once more, now, with trigger manual', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 400 }))
    await endpoint(t, { url: `${rcv.url}/hook` })
    const { eventId, deliveryId } = await publish(t)
    await until(t, deliveryId, (d) => d.status === 'failed')

    rcv.setHandler(() => ({ status: 200 }))
    const retry = await f.srv.api('POST', `/v1/tenants/${t}/deliveries/${deliveryId}/retry`)
    expect(retry.status).toBe(202)
    expect(retry.body.id).toBe(deliveryId)
    const hits = await rcv.waitForHits(2)
    expect(hits[1]!.headers['webhook-id']).toBe(eventId)
    const d = await until(t, deliveryId, (x) => x.status === 'succeeded')
    expect(d.attemptCount).toBe(2)
    expect(d.attempts.map((a: any) => [a.attemptNumber, a.trigger, a.success])).toEqual([
      [1, 'scheduled', false],
      [2, 'manual', true],
    ])
  })

  it("answers with the delivery as the retry leaves it: pending, due now", async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 400 }))
    await endpoint(t, { url: `${rcv.url}/hook` })
    const { deliveryId } = await publish(t)
    await until(t, deliveryId, (d) => d.status === 'failed')
    const before = Date.now()
    const retry = await f.srv.api('POST', `/v1/tenants/${t}/deliveries/${deliveryId}/retry`)
    expect(retry.body.status).toBe('pending')
    const due = Date.parse(retry.body.nextAttemptAt)
    expect(due).toBeGreaterThanOrEqual(before - 1000)
    expect(due).toBeLessThanOrEqual(Date.now() + 1000)
  })

  it('retries a delivery of a disabled endpoint too: the operator asked for the attempt', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 410 }))
    const ep = await endpoint(t, { url: `${rcv.url}/hook` })
    const { deliveryId } = await publish(t)
    await until(t, deliveryId, (d) => d.status === 'failed')
    await eventually(async () => (await f.srv.api('GET', `/v1/tenants/${t}/endpoints/${ep.id}`)).body.enabled === false)

    rcv.setHandler(() => ({ status: 200 }))
    expect((await f.srv.api('POST', `/v1/tenants/${t}/deliveries/${deliveryId}/retry`)).status).toBe(202)
    await rcv.waitForHits(2)
    const d = await until(t, deliveryId, (x) => x.status === 'succeeded')
    expect(d.attempts.map((a: any) => a.trigger)).toEqual(['scheduled', 'manual'])
    // A manual attempt does not re-enable the endpoint: that stays the operator's call.
    expect((await f.srv.api('GET', `/v1/tenants/${t}/endpoints/${ep.id}`)).body.enabled).toBe(false)
  })

  it('retries a succeeded delivery too: one more attempt, no more', async () => {
    const t = await tenant()
    const rcv = await receiver()
    await endpoint(t, { url: `${rcv.url}/hook` })
    const { deliveryId } = await publish(t)
    await until(t, deliveryId, (d) => d.status === 'succeeded')

    const retry = await f.srv.api('POST', `/v1/tenants/${t}/deliveries/${deliveryId}/retry`)
    expect(retry.status).toBe(202)
    await rcv.waitForHits(2)
    const d = await until(t, deliveryId, (x) => x.attempts.length === 2 && x.status !== 'pending')
    expect(d).toMatchObject({ status: 'succeeded', attemptCount: 2, nextAttemptAt: null })
    expect(d.attempts[1]).toMatchObject({ attemptNumber: 2, trigger: 'manual', success: true })
    await sleep(300)
    expect(rcv.hits).toHaveLength(2)
  })

  it('a manual attempt that fails does not start a retry schedule for a finished delivery', async () => {
    const t = await tenant()
    const rcv = await receiver()
    await endpoint(t, { url: `${rcv.url}/hook`, retry: { maxRetries: 3 } })
    const { deliveryId } = await publish(t)
    await until(t, deliveryId, (d) => d.status === 'succeeded')
    rcv.setHandler(() => ({ status: 500 }))
    expect((await f.srv.api('POST', `/v1/tenants/${t}/deliveries/${deliveryId}/retry`)).status).toBe(202)
    const d = await until(t, deliveryId, (x) => x.attempts.length === 2 && x.status !== 'pending')
    expect(d).toMatchObject({ status: 'failed', attemptCount: 2, nextAttemptAt: null })
    expect(d.attempts[1]).toMatchObject({ trigger: 'manual', success: false, error: { kind: 'http' } })
    await sleep(1500)
    expect(rcv.hits).toHaveLength(2)
  })

  it('a retry asked for while the first attempt is under way still gets its manual attempt', async () => {
    const t = await tenant()
    let calls = 0
    const rcv = await receiver(() => (++calls === 1 ? { status: 200, delayMs: 800 } : { status: 200 }))
    await endpoint(t, { url: `${rcv.url}/hook` })
    const { deliveryId } = await publish(t)
    await eventually(async () => calls >= 1)
    expect((await f.srv.api('POST', `/v1/tenants/${t}/deliveries/${deliveryId}/retry`)).status).toBe(202)
    const hits = await rcv.waitForHits(2, 8000)
    expect(hits).toHaveLength(2)
    const d = await until(t, deliveryId, (x) => x.status === 'succeeded' && x.attempts.some((a: any) => a.trigger === 'manual'))
    expect(d.attempts.map((a: any) => a.trigger).sort()).toEqual(['manual', 'scheduled'])
    await sleep(300)
    expect(rcv.hits).toHaveLength(2)
  })

  it('retry of an unknown delivery is 404', async () => {
    const t = await tenant()
    const r = await f.srv.api('POST', `/v1/tenants/${t}/deliveries/dlv_doesnotexist/retry`)
    expect(r.status).toBe(404)
  })

  it('recover re-queues the endpoint\'s failed deliveries since the given time', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 500 }))
    const ep = await endpoint(t, { url: `${rcv.url}/hook`, retry: { maxRetries: 0 } })
    // A second endpoint of the same tenant whose failures must stay failed.
    const other = await receiver(() => ({ status: 500 }))
    await endpoint(t, { url: `${other.url}/other`, retry: { maxRetries: 0 } })
    const before = new Date(Date.now() - 1000).toISOString()
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const pub = await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.created', payload: { i } })
      expect(pub.body.deliveryCount).toBe(2)
    }
    await eventually(async () => {
      const list = await f.srv.api('GET', `/v1/tenants/${t}/deliveries?status=failed`)
      return list.body.data.length === 6
    })
    const mine = await f.srv.api('GET', `/v1/tenants/${t}/deliveries?endpointId=${ep.id}`)
    for (const d of mine.body.data) ids.push(d.id)
    expect(ids).toHaveLength(3)

    // Nothing failed after a time in the future.
    const none = await f.srv.api('POST', `/v1/tenants/${t}/endpoints/${ep.id}/recover`, { since: new Date(Date.now() + 60_000).toISOString() })
    expect(none.status).toBe(202)
    expect(none.body).toEqual({ count: 0 })

    rcv.setHandler(() => ({ status: 200 }))
    const rec = await f.srv.api('POST', `/v1/tenants/${t}/endpoints/${ep.id}/recover`, { since: before })
    expect(rec.status).toBe(202)
    expect(rec.body).toEqual({ count: 3 })
    await rcv.waitForHits(6)
    for (const id of ids) {
      const d = await until(t, id, (x) => x.status === 'succeeded')
      expect(d.attemptCount).toBe(2)
      expect(d.attempts[1]).toMatchObject({ trigger: 'manual', success: true })
    }
    const stillFailed = await f.srv.api('GET', `/v1/tenants/${t}/deliveries?status=failed`)
    expect(stillFailed.body.data).toHaveLength(3)
    expect(stillFailed.body.data.every((d: any) => d.endpointId !== ep.id)).toBe(true)
    expect(other.hits).toHaveLength(3)
  })
})
