/**
 * endpoint.degraded with two delivering nodes on one PostgreSQL (docs/operations.md, "How degraded
 * endpoints are judged"): each node sends half of the endpoint's deliveries, so neither sees 20
 * attempts of its own; the judgement runs on every node's attempts and exactly one node announces
 * it. Runs only in the PostgreSQL pass of `npm test`. Every request goes to 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sleep } from '../helpers/fixture.js'
import { databaseFor, forgetDatabase } from '../helpers/postgres.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'

describe('degraded endpoints across two nodes on PostgreSQL', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-degraded-nodes-'))
  const receivers: Receiver[] = []
  const servers: TestServer[] = []
  afterAll(async () => {
    for (const r of receivers) await r.close()
    for (const s of servers) await s.close()
    await forgetDatabase(dataDir)
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('fires once when the nodes together see 20 failing attempts, 10 each', { timeout: 120_000 }, async () => {
    const { url } = await databaseFor(dataDir)
    // A 60 s window is judged every 4 s on each node.
    const a = await startTestServer({ databaseUrl: url, degradedWindowMs: 60_000 })
    servers.push(a)
    const b = await startTestServer({ databaseUrl: url, degradedWindowMs: 60_000 })
    servers.push(b)
    const ops = await startReceiver()
    const down = await startReceiver(() => ({ status: 500 }))
    receivers.push(ops, down)
    expect((await a.api('POST', '/v1/tenants/_operator/endpoints', { url: `${ops.url}/ops`, eventTypes: ['endpoint.degraded'] })).status).toBe(201)
    expect((await a.api('POST', '/v1/tenants', { id: 'two', name: 'two' })).status).toBe(201)
    const ep = await a.api('POST', '/v1/tenants/two/endpoints', { url: `${down.url}/hook`, retry: { maxRetries: 0 } })
    expect(ep.status).toBe(201)

    // A publish on a node that delivers is sent by that node: 10 on each.
    for (const node of [a, b]) {
      await Promise.all(Array.from({ length: 10 }, () => node.api('POST', '/v1/tenants/two/events', { type: 'order.created', payload: {} })))
    }
    await eventually(async () => (await a.api('GET', `/v1/tenants/two/deliveries?status=failed&limit=250`)).body.data.length === 20, 20_000)
    expect(down.hits).toHaveLength(20)

    const degraded = (): any[] => ops.hits.map((h) => JSON.parse(h.body)).filter((e) => e.type === 'endpoint.degraded' && e.data.endpointId === ep.body.id)
    await eventually(async () => degraded().length > 0, 20_000)
    // Both nodes judge the same 20 attempts within a tick or two; only one changes the row.
    await sleep(10_000)
    expect(degraded()).toHaveLength(1)
    expect(degraded()[0].data).toEqual({ tenantId: 'two', endpointId: ep.body.id, reason: 'success rate 0% (0 of 20 attempts) over the last minute is below 50%' })
  })
})
