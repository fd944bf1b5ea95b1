/**
 * A tenant's allowedNetworks changed on one node reach every node (API.md, "Tenants and keys";
 * docs/operations.md: within the caches' lifetime, at most 10 s): an api node takes the change,
 * another node, which delivers and proxies with what it cached before the change, stops reaching
 * the network once its caches expire. Runs in the PostgreSQL pass only. Loopback only.
 */
import { afterAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'
import { useTempDirs } from '../helpers/temp-dirs.js'

describe('tenant allowedNetworks across nodes on PostgreSQL', () => {
  const dir = useTempDirs('tn-nodes')
  const servers: TestServer[] = []
  const receivers: Receiver[] = []
  afterAll(async () => {
    for (const r of receivers) await r.close()
    // The api node made the database and drops it: it closes last.
    for (const s of servers.reverse()) await s.close()
  })

  it("another node's deliveries and gateway routes follow the change within its caches' lifetime", async () => {
    const rcv = await startReceiver()
    receivers.push(rcv)
    const api = await startTestServer({ dataDir: dir('api'), role: 'api' })
    servers.push(api)
    const other = await startTestServer({ dataDir: dir('other'), databaseUrl: api.databaseUrl })
    servers.push(other)

    expect((await api.api('POST', '/v1/tenants', { id: 'nodes', name: 'Nodes' })).status).toBe(201)
    expect((await api.api('POST', '/v1/tenants/nodes/endpoints', { url: `${rcv.url}/hook`, eventTypes: ['n.probe'], retry: { maxRetries: 0 } })).status).toBe(201)
    expect((await api.api('POST', '/v1/tenants/nodes/routes', { name: 'r', upstreamUrl: `${rcv.url}/gw` })).status).toBe(201)
    // The other node delivers (the api node never does) and proxies: both now cache the tenant as allowed.
    expect((await api.api('POST', '/v1/tenants/nodes/events', { type: 'n.probe', payload: {} })).status).toBe(202)
    await rcv.waitForHits(1, 10_000)
    expect((await fetch(`${other.url}/gw/nodes/r/x`)).status).toBe(200)
    expect(rcv.hits).toHaveLength(2)

    expect((await api.api('PATCH', '/v1/tenants/nodes', { allowedNetworks: [] })).status).toBe(200)
    // Publishes through the api node, delivered by the other node, until one is blocked there.
    const blocked = await eventually(
      async () => {
        const pub = await api.api('POST', '/v1/tenants/nodes/events', { type: 'n.probe', payload: {} })
        const list = await api.api('GET', `/v1/tenants/nodes/deliveries?eventId=${pub.body.id}`)
        const id: string = list.body.data[0].id
        const d = await eventually(async () => {
          const r = await api.api('GET', `/v1/tenants/nodes/deliveries/${id}`)
          return r.body.status !== 'pending' ? r.body : null
        }, 10_000)
        return d.attempts[0].error?.kind === 'blocked' ? d : null
      },
      15_000,
      200,
    )
    expect(blocked.status).toBe('failed')
    const gw = await eventually(async () => {
      const res = await fetch(`${other.url}/gw/nodes/r/y`)
      return res.status === 502 ? res : null
    }, 15_000, 200)
    expect(((await gw.json()) as { code: string }).code).toBe('upstream_unreachable')

    // From then on nothing reaches the receiver from either path.
    const hits = rcv.hits.length
    expect((await fetch(`${other.url}/gw/nodes/r/z`)).status).toBe(502)
    expect((await api.api('POST', '/v1/tenants/nodes/events', { type: 'n.probe', payload: {} })).status).toBe(202)
    await new Promise((r) => setTimeout(r, 1000))
    expect(rcv.hits).toHaveLength(hits)
  })
})
