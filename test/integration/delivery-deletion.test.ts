/**
 * Deleting what a delivery belongs to while its attempt is under way: the endpoint (its
 * deliveries go with it) or the whole tenant. The attempt's outcome has nowhere to go and is
 * dropped; every other delivery settled in the same batch must still be recorded at once, not
 * left leased until its lease runs out (and then sent again). Every request goes to 127.0.0.1.
 */
import { describe, expect, it } from 'vitest'
import { useFixture } from '../helpers/fixture.js'
import { eventually } from '../helpers/server.js'

describe('deleting an endpoint or a tenant mid-attempt', () => {
  const f = useFixture('del')
  const { receiver, tenant, endpoint } = f

  /** Two endpoints on one slow receiver, so their attempts end (and settle) together. */
  async function twoSlowEndpoints(t: string) {
    const rcv = await receiver(() => ({ status: 200, delayMs: 600 }))
    const doomed = await endpoint(t, { url: `${rcv.url}/doomed` })
    const kept = await endpoint(t, { url: `${rcv.url}/kept` })
    return { rcv, doomed, kept }
  }

  it('a deleted endpoint does not hold back the deliveries settled with its attempt', async () => {
    const t = await tenant()
    const { rcv, doomed, kept } = await twoSlowEndpoints(t)
    const pub = await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.created', payload: { n: 1 } })
    expect(pub.body.deliveryCount).toBe(2)
    await rcv.waitForHits(2)
    expect((await f.srv.api('DELETE', `/v1/tenants/${t}/endpoints/${doomed.id}`)).status).toBe(204)
    const list = await f.srv.api('GET', `/v1/tenants/${t}/deliveries?eventId=${pub.body.id}`)
    expect(list.body.data).toHaveLength(1)
    const keptDelivery = list.body.data[0]
    expect(keptDelivery.endpointId).toBe(kept.id)
    const settled = await eventually(async () => {
      const d = await f.srv.api('GET', `/v1/tenants/${t}/deliveries/${keptDelivery.id}`)
      return d.body.status === 'succeeded' ? d.body : null
    }, 5000)
    expect(settled.attempts).toHaveLength(1)
  })

  it('a tenant deleted mid-attempt does not hold back another tenant settled in the same batch', async () => {
    const doomedTenant = await tenant()
    const keptTenant = await tenant()
    const rcv = await receiver(() => ({ status: 200, delayMs: 600 }))
    await endpoint(doomedTenant, { url: `${rcv.url}/gone` })
    await endpoint(keptTenant, { url: `${rcv.url}/stays` })
    const [, pub] = await Promise.all([
      f.srv.api('POST', `/v1/tenants/${doomedTenant}/events`, { type: 'order.created', payload: { n: 1 } }),
      f.srv.api('POST', `/v1/tenants/${keptTenant}/events`, { type: 'order.created', payload: { n: 2 } }),
    ])
    await rcv.waitForHits(2)
    expect((await f.srv.api('DELETE', `/v1/tenants/${doomedTenant}`)).status).toBe(204)
    const list = await f.srv.api('GET', `/v1/tenants/${keptTenant}/deliveries?eventId=${pub.body.id}`)
    await eventually(async () => {
      const d = await f.srv.api('GET', `/v1/tenants/${keptTenant}/deliveries/${list.body.data[0].id}`)
      return d.body.status === 'succeeded'
    }, 5000)
    // Nothing was sent twice.
    await new Promise((r) => setTimeout(r, 300))
    expect(rcv.hits).toHaveLength(2)
  })
})
