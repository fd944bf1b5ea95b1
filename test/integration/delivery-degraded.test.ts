/**
 * endpoint.degraded (API.md, Operational events): an endpoint whose success rate over
 * HOOKRELAY_DEGRADED_WINDOW is below HOOKRELAY_DEGRADED_THRESHOLD, on at least 20 attempts, is
 * announced once, across a restart too, and endpoint.recovered follows once the rate is back.
 * The operator's own endpoints raise none. Every request goes to 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sleep } from '../helpers/fixture.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'

// Long enough that nothing ages out during the test; on PostgreSQL it is judged every 4 s (a fifteenth).
const WINDOW_MS = 60_000

describe('degraded endpoints', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-degraded-'))
  const receivers: Receiver[] = []
  let srv: TestServer | undefined

  afterAll(async () => {
    for (const r of receivers) await r.close()
    await srv?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  const receiver = async (status: number): Promise<Receiver> => {
    const r = await startReceiver(() => ({ status }))
    receivers.push(r)
    return r
  }
  const start = (): Promise<TestServer> => startTestServer({ dataDir, degradedWindowMs: WINDOW_MS, degradedThreshold: 0.5 })

  it('fires once below the threshold on 20 attempts, not again after a restart, and recovers once back above it', async () => {
    srv = await start()
    const ops = await receiver(200)
    const opsEp = await srv.api('POST', '/v1/tenants/_operator/endpoints', { url: `${ops.url}/ops`, eventTypes: ['endpoint.degraded', 'endpoint.recovered'] })
    expect(opsEp.status).toBe(201)
    // An operator endpoint that fails every delivery.failed it is sent: it raises nothing itself.
    const opsDown = await receiver(500)
    const badOps = await srv.api('POST', '/v1/tenants/_operator/endpoints', { url: `${opsDown.url}/down`, eventTypes: ['delivery.failed'], retry: { maxRetries: 0 } })
    expect(badOps.status).toBe(201)

    expect((await srv.api('POST', '/v1/tenants', { id: 'deg', name: 'deg' })).status).toBe(201)
    const rcv = await startReceiver(() => ({ status: 500 }))
    receivers.push(rcv)
    const ep = await srv.api('POST', '/v1/tenants/deg/endpoints', { url: `${rcv.url}/hook`, retry: { maxRetries: 0 } })
    expect(ep.status).toBe(201)
    const id: string = ep.body.id

    const opEvents = (type: string, endpointId = id): any[] =>
      ops.hits.map((h) => JSON.parse(h.body)).filter((e) => e.type === type && e.data.endpointId === endpointId)
    const recoveredByRate = (): any[] => opEvents('endpoint.recovered').filter((e) => /success rate/.test(e.data.reason))
    const publishAndSettle = async (s: TestServer, n: number, status: 'failed' | 'succeeded', total: number): Promise<void> => {
      await Promise.all(Array.from({ length: n }, () => s.api('POST', '/v1/tenants/deg/events', { type: 'order.created', payload: {} })))
      await eventually(async () => {
        const list = await s.api('GET', `/v1/tenants/deg/deliveries?endpointId=${id}&status=${status}&limit=250`)
        return list.body.data.length >= total
      }, 20_000)
    }

    // 19 failures: a rate of 0, but too few attempts to judge.
    await publishAndSettle(srv, 19, 'failed', 19)
    await sleep(5000)
    expect(opEvents('endpoint.degraded')).toHaveLength(0)

    await publishAndSettle(srv, 1, 'failed', 20)
    const [degraded] = await eventually(async () => {
      const found = opEvents('endpoint.degraded')
      return found.length > 0 ? found : null
    }, 15_000)
    expect(degraded.data).toEqual({ tenantId: 'deg', endpointId: id, reason: 'success rate 0% (0 of 20 attempts) over the last minute is below 50%' })

    // Still failing, across a restart: the mark is stored, so nothing fires again.
    await srv.close()
    srv = await start()
    await publishAndSettle(srv, 5, 'failed', 25)
    await sleep(5000)
    expect(opEvents('endpoint.degraded')).toHaveLength(1)

    // Back up: 25 successes against 25 failures is 50%, at the threshold.
    rcv.setHandler(() => ({ status: 200 }))
    await publishAndSettle(srv, 24, 'succeeded', 24)
    await sleep(5000)
    expect(recoveredByRate()).toHaveLength(0)
    await publishAndSettle(srv, 1, 'succeeded', 25)
    const [recovered] = await eventually(async () => {
      const found = recoveredByRate()
      return found.length > 0 ? found : null
    }, 15_000)
    expect(recovered.data).toEqual({ tenantId: 'deg', endpointId: id, reason: 'success rate back to 50% (25 of 50 attempts) over the last minute, at or above 50%' })
    await publishAndSettle(srv, 3, 'succeeded', 28)
    await sleep(5000)
    expect(recoveredByRate()).toHaveLength(1)
    expect(opEvents('endpoint.degraded')).toHaveLength(1)

    // The failing operator endpoint took 25+ failed deliveries and raised nothing.
    expect(opsDown.hits.length).toBeGreaterThanOrEqual(20)
    expect(opEvents('endpoint.degraded', badOps.body.id)).toHaveLength(0)
  }, 180_000)
})
