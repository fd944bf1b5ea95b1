/**
 * HOOKRELAY_DEFAULT_RETRY (API.md, "What each delivery looks like"): endpoints created without
 * `retry` get the operator's, field by field, and their deliveries follow it. Loopback only.
 */
import { describe, expect, it } from 'vitest'
import { useFixture } from '../helpers/fixture.js'
import { eventually } from '../helpers/server.js'

describe.concurrent('HOOKRELAY_DEFAULT_RETRY', () => {
  const f = useFixture('defretry', { defaultRetry: { enabled: true, maxRetries: 1, schedule: [1] } })
  const { receiver, tenant, endpoint } = f

  it('is the retry of an endpoint created without one', async () => {
    const t = await tenant()
    const ep = await endpoint(t, { url: 'http://127.0.0.1:9/hook' })
    expect(ep.retry).toEqual({ enabled: true, maxRetries: 1, schedule: [1] })
    expect((await f.srv.api('GET', `/v1/tenants/${t}/endpoints/${ep.id}`)).body.retry).toEqual(ep.retry)
  })

  it('fills the fields a partial retry leaves out; a full one replaces it', async () => {
    const t = await tenant()
    expect((await endpoint(t, { url: 'http://127.0.0.1:9/a', retry: { maxRetries: 0 } })).retry).toEqual({ enabled: true, maxRetries: 0, schedule: [1] })
    expect((await endpoint(t, { url: 'http://127.0.0.1:9/b', retry: { schedule: null } })).retry).toEqual({ enabled: true, maxRetries: 1, schedule: null })
    expect((await endpoint(t, { url: 'http://127.0.0.1:9/c', retry: { enabled: false, maxRetries: 3, schedule: [2, 4] } })).retry).toEqual({ enabled: false, maxRetries: 3, schedule: [2, 4] })
  })

  it("is what the endpoint's deliveries follow: one retry after a second, then failed", async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 500 }))
    await endpoint(t, { url: `${rcv.url}/down` })
    const pub = await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.created', payload: {} })
    expect(pub.status).toBe(202)
    const delivery = await eventually(async () => {
      const list = await f.srv.api('GET', `/v1/tenants/${t}/deliveries?eventId=${pub.body.id}`)
      const d = list.body.data[0]
      return d && d.status !== 'pending' ? d : null
    }, 10_000)
    // The built-in default would make 4 attempts over about 7 s.
    expect(delivery).toMatchObject({ status: 'failed', attemptCount: 2 })
    expect(rcv.hits).toHaveLength(2)
    expect(rcv.hits[1]!.receivedAt - rcv.hits[0]!.receivedAt).toBeGreaterThanOrEqual(900)
  })
})
