/**
 * What each delivery looks like on the wire (API.md, "What each delivery looks like") and how its
 * attempts are recorded ("Events and deliveries"). Real server, real receivers on 127.0.0.1 only.
 */
import { Webhook as StandardWebhook } from 'standardwebhooks'
import { Webhook as SvixWebhook } from 'svix'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VERSION } from '../../src/version.js'
import { startReceiver, type Receiver, type ReceiverHit } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'

/** The hit's headers as plain strings, as verification libraries take them. */
function plainHeaders(hit: ReceiverHit): Record<string, string> {
  return Object.fromEntries(Object.entries(hit.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : String(v)]))
}

describe.concurrent('delivery headers, body and recorded attempts', () => {
  let srv: TestServer
  const receivers: Receiver[] = []
  const receiver = async (...args: Parameters<typeof startReceiver>): Promise<Receiver> => {
    const r = await startReceiver(...args)
    receivers.push(r)
    return r
  }

  beforeAll(async () => {
    srv = await startTestServer()
  })
  afterAll(async () => {
    for (const r of receivers) await r.close()
    await srv?.close()
  })

  async function tenant(id: string): Promise<void> {
    expect((await srv.api('POST', '/v1/tenants', { id, name: id })).status).toBe(201)
  }
  async function endpoint(tenantId: string, body: Record<string, unknown>): Promise<{ id: string; url: string; secret: string }> {
    const ep = await srv.api('POST', `/v1/tenants/${tenantId}/endpoints`, body)
    expect(ep.status, JSON.stringify(ep.body)).toBe(201)
    const secret = await srv.api('GET', `/v1/tenants/${tenantId}/endpoints/${ep.body.id}/secret`)
    return { id: ep.body.id, url: ep.body.url, secret: secret.body.secret }
  }
  async function deliveryFor(tenantId: string, eventId: string, endpointId: string): Promise<any> {
    const list = await srv.api('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${eventId}&endpointId=${endpointId}`)
    expect(list.status).toBe(200)
    expect(list.body.data).toHaveLength(1)
    return list.body.data[0]
  }
  async function settled(tenantId: string, deliveryId: string, status: 'succeeded' | 'failed', timeoutMs = 8000): Promise<any> {
    return eventually(async () => {
      const d = await srv.api('GET', `/v1/tenants/${tenantId}/deliveries/${deliveryId}`)
      return d.body.status === status ? d.body : null
    }, timeoutMs)
  }

  it('signs every attempt to every endpoint with the event id, this attempt\'s time and a verifiable signature', async () => {
    await tenant('hdr')
    const ok = await receiver()
    // The second endpoint fails once, so its retry shows what changes between attempts and what does not.
    let calls = 0
    const flaky = await receiver(() => (++calls === 1 ? { status: 500, body: 'try again' } : { status: 200 }))
    const epOk = await endpoint('hdr', { url: `${ok.url}/hooks/ok` })
    const epFlaky = await endpoint('hdr', { url: `${flaky.url}/hooks/flaky`, retry: { maxRetries: 2 } })

    const occurredAt = '2024-05-01T12:00:00.000Z'
    const payload = { amount: 4200, currency: 'EUR', nested: { items: [1, 'two', null], unicode: 'héllo ✓' } }
    const pub = await srv.api('POST', '/v1/tenants/hdr/events', { type: 'invoice.paid', payload, occurredAt })
    expect(pub.status).toBe(202)
    expect(pub.body.deliveryCount).toBe(2)
    const eventId: string = pub.body.id

    const [okHit] = await ok.waitForHits(1)
    const flakyHits = await flaky.waitForHits(2, 8000)
    const all: Array<{ hit: ReceiverHit; secret: string; otherSecret: string }> = [
      { hit: okHit!, secret: epOk.secret, otherSecret: epFlaky.secret },
      ...flakyHits.map((hit) => ({ hit, secret: epFlaky.secret, otherSecret: epOk.secret })),
    ]

    for (const { hit, secret, otherSecret } of all) {
      const headers = plainHeaders(hit)
      expect(hit.method).toBe('POST')
      // The same id on every attempt and every endpoint, so receivers can deduplicate.
      expect(headers['webhook-id']).toBe(eventId)
      expect(headers['content-type']).toBe('application/json')
      expect(headers['user-agent']).toBe(`hookrelay/${VERSION}`)
      expect(headers['user-agent']).toMatch(/^hookrelay\/\d+\.\d+\.\d+/)
      expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+=*$/)
      // Unix seconds of this attempt (not of the event, which occurred in 2024).
      const ts = Number(headers['webhook-timestamp'])
      expect(Number.isInteger(ts)).toBe(true)
      expect(Math.abs(ts * 1000 - hit.receivedAt)).toBeLessThan(3000)

      // Both reference libraries accept it (svix takes the unbranded webhook-* headers too).
      const expected = { id: eventId, type: 'invoice.paid', timestamp: occurredAt, data: payload }
      expect(new StandardWebhook(secret).verify(hit.body, headers)).toEqual(expected)
      expect(new SvixWebhook(secret).verify(hit.body, headers)).toEqual(expected)
      expect(() => new StandardWebhook(otherSecret).verify(hit.body, headers)).toThrow()
      expect(() => new SvixWebhook(secret).verify(hit.body + ' ', headers)).toThrow()

      // The default body is exactly {id, type, timestamp, data}, in that order.
      const body = JSON.parse(hit.body) as Record<string, unknown>
      expect(Object.keys(body)).toEqual(['id', 'type', 'timestamp', 'data'])
      expect(body).toEqual(expected)
    }

    // The retry carries the same body and id, but its own timestamp and therefore its own signature.
    const [first, second] = flakyHits
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1000)
    expect(second!.body).toBe(first!.body)
    expect(Number(second!.headers['webhook-timestamp'])).toBeGreaterThan(Number(first!.headers['webhook-timestamp']))
    expect(second!.headers['webhook-signature']).not.toBe(first!.headers['webhook-signature'])
    expect(okHit!.body).toBe(first!.body)
  })

  it('records each attempt: request, response, duration, error kind and trigger', async () => {
    await tenant('att')
    let calls = 0
    const rcv = await receiver(() =>
      ++calls === 1
        ? { status: 503, headers: { 'x-receiver': 'flaky', 'content-type': 'text/plain' }, body: 'down for maintenance' }
        : { status: 201, headers: { 'x-receiver': 'flaky', 'content-type': 'application/json' }, body: '{"ok":true}' },
    )
    const ep = await endpoint('att', { url: `${rcv.url}/in?source=hookrelay`, retry: { maxRetries: 1 } })
    const pub = await srv.api('POST', '/v1/tenants/att/events', { type: 'user.created', payload: { name: 'Ada' } })
    expect(pub.status).toBe(202)
    const d = await deliveryFor('att', pub.body.id, ep.id)
    const detail = await settled('att', d.id, 'succeeded')
    const hits = await rcv.waitForHits(2)

    expect(detail).toMatchObject({ id: d.id, eventId: pub.body.id, endpointId: ep.id, status: 'succeeded', attemptCount: 2, nextAttemptAt: null })
    expect(detail.attempts).toHaveLength(2)
    const [a1, a2] = detail.attempts
    for (const [i, a] of [a1, a2].entries()) {
      expect(a.id).toMatch(/^att_/)
      expect(a.attemptNumber).toBe(i + 1)
      expect(a.trigger).toBe('scheduled')
      expect(Number.isNaN(Date.parse(a.startedAt))).toBe(false)
      expect(Number.isInteger(a.durationMs)).toBe(true)
      expect(a.durationMs).toBeGreaterThanOrEqual(0)
      // The request exactly as sent: what the receiver got.
      expect(a.request.method).toBe('POST')
      expect(a.request.url).toBe(`${rcv.url}/in?source=hookrelay`)
      expect(a.request.body).toBe(hits[i]!.body)
      expect(a.request.headers['webhook-id']).toBe(pub.body.id)
      // The signature is masked in the log (a credential by its name, API.md): its version and last characters only.
      expect(a.request.headers['webhook-signature']).toBe(`v1,****${String(hits[i]!.headers['webhook-signature']).slice(-4)}`)
      expect(a.request.headers['webhook-timestamp']).toBe(hits[i]!.headers['webhook-timestamp'])
      expect(a.request.headers['content-type']).toBe('application/json')
      expect(hits[i]!.url).toBe('/in?source=hookrelay')
    }
    expect(a1.response).toMatchObject({ status: 503, body: 'down for maintenance' })
    expect(a1.response.headers['x-receiver']).toBe('flaky')
    expect(a1.error).toMatchObject({ kind: 'http' })
    expect(a1.success).toBe(false)
    expect(a2.response).toMatchObject({ status: 201, body: '{"ok":true}' })
    expect(a2.response.headers['content-type']).toBe('application/json')
    expect(a2.error).toBeNull()
    expect(a2.success).toBe(true)
    expect(Date.parse(a2.startedAt) - Date.parse(a1.startedAt)).toBeGreaterThanOrEqual(1000)
  })

  it('stores a 100 KiB response body cut at exactly 64 KiB', async () => {
    await tenant('big')
    const big = 'abcdefghij'.repeat(10 * 1024) // 102,400 bytes of ASCII
    const rcv = await receiver(() => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: big }))
    const ep = await endpoint('big', { url: `${rcv.url}/big` })
    const pub = await srv.api('POST', '/v1/tenants/big/events', { type: 'report.ready', payload: {} })
    const d = await deliveryFor('big', pub.body.id, ep.id)
    const detail = await settled('big', d.id, 'succeeded')
    expect(detail.attempts).toHaveLength(1)
    const body: string = detail.attempts[0].response.body
    expect(Buffer.byteLength(body)).toBe(65536)
    expect(body).toBe(big.slice(0, 65536))
  })
})
