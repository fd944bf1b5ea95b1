import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

describe('publish -> signed delivery', () => {
  let srv: TestServer
  let rcv: Receiver
  beforeAll(async () => {
    srv = await startTestServer()
    rcv = await startReceiver()
  })
  afterAll(async () => {
    await srv?.close()
    await rcv?.close()
  })

  it('delivers once, with a signature a Standard Webhooks library accepts', async () => {
    expect((await srv.api('POST', '/v1/tenants', { id: 'acme', name: 'Acme' })).status).toBe(201)
    const ep = await srv.api('POST', '/v1/tenants/acme/endpoints', { url: `${rcv.url}/hook` })
    expect(ep.status).toBe(201)
    const { body: secret } = await srv.api('GET', `/v1/tenants/acme/endpoints/${ep.body.id}/secret`)
    const pub = await srv.api('POST', '/v1/tenants/acme/events', { type: 'invoice.paid', payload: { amount: 42 } })
    expect(pub.status).toBe(202)
    expect(pub.body.deliveryCount).toBe(1)
    const [hit] = await rcv.waitForHits(1)
    const headers = Object.fromEntries(Object.entries(hit!.headers).map(([k, v]) => [k, String(v)]))
    const verified = new Webhook(secret.secret).verify(hit!.body, headers) as Record<string, unknown>
    expect(verified).toMatchObject({ id: pub.body.id, type: 'invoice.paid', data: { amount: 42 } })
    expect(hit!.headers['webhook-id']).toBe(pub.body.id)
  })
})
