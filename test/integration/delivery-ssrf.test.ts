/**
 * The SSRF guard at delivery time (API.md, Endpoints: "refused ... again at delivery time"): an
 * endpoint created while loopback was allowed is blocked once the server runs without that
 * allowance, before any connection is opened. Every request goes to 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'

describe('SSRF guard at connect time', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-ssrf-'))
  let rcv: Receiver | undefined
  let srv: TestServer | undefined

  afterAll(async () => {
    await rcv?.close()
    await srv?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('blocks a loopback endpoint once the allow-list no longer covers it: no connection, no retry', async () => {
    rcv = await startReceiver()
    const first = await startTestServer({ dataDir })
    expect((await first.api('POST', '/v1/tenants', { id: 'ssrf', name: 'SSRF' })).status).toBe(201)
    const ep = await first.api('POST', '/v1/tenants/ssrf/endpoints', { url: `${rcv.url}/internal`, retry: { maxRetries: 3 } })
    expect(ep.status).toBe(201)
    await first.close()

    srv = await startTestServer({ dataDir, allowedNetworks: [] })
    // Creating it again is refused outright.
    const again = await srv.api('POST', '/v1/tenants/ssrf/endpoints', { url: `${rcv.url}/internal` })
    expect(again.status).toBe(422)

    const pub = await srv.api('POST', '/v1/tenants/ssrf/events', { type: 'secret.probe', payload: {} })
    expect(pub.status).toBe(202)
    expect(pub.body.deliveryCount).toBe(1)
    const list = await srv.api('GET', `/v1/tenants/ssrf/deliveries?eventId=${pub.body.id}`)
    const id: string = list.body.data[0].id
    const d = await eventually(async () => {
      const r = await srv!.api('GET', `/v1/tenants/ssrf/deliveries/${id}`)
      return r.body.status !== 'pending' ? r.body : null
    })
    // Blocked fails at once whatever maxRetries says: it would be blocked on every try.
    expect(d).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null })
    expect(d.attempts).toHaveLength(1)
    expect(d.attempts[0]).toMatchObject({ success: false, response: null, error: { kind: 'blocked' } })
    expect(d.attempts[0].error.message).toContain('127.0.0.1')
    await new Promise((r) => setTimeout(r, 1500))
    expect(rcv.connections).toBe(0)
    expect(rcv.hits).toHaveLength(0)
    const after = await srv.api('GET', `/v1/tenants/ssrf/deliveries/${id}`)
    expect(after.body.attempts).toHaveLength(1)
  })
})
