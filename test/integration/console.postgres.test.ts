/**
 * The console's API across nodes on one PostgreSQL (API.md, "Dashboard and portal", "Events and
 * deliveries"): a portal session revoked on one node stops at once on another, and an attempt
 * made by a `--role worker` process reaches a live stream served by a `--role api` process (real
 * processes). Runs only in the PostgreSQL pass of `npm test` (the .postgres.test.ts suffix; see
 * vitest.config.ts).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { CHILD_ADMIN_TOKEN, childApi, killAllChildren, spawnServer } from '../helpers/child-server.js'
import { databaseFor } from '../helpers/postgres.js'
import { startReceiver } from '../helpers/receiver.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { openSse } from '../helpers/sse.js'
import { useTempDirs } from '../helpers/temp-dirs.js'
import { expectProblem } from './api-support.js'

describe('console API on two nodes of one PostgreSQL', () => {
  let a: TestServer
  let b: TestServer
  beforeAll(async () => {
    a = await startTestServer()
    // The same database: the second node's data directory is the first's (server.ts keys databases by it).
    b = await startTestServer({ databaseUrl: a.databaseUrl!, dataDir: a.dataDir })
    expect((await a.api('POST', '/v1/tenants', { id: 'two', name: 'Two nodes' })).status).toBe(201)
  })
  afterAll(async () => {
    await b?.close()
    await a?.close()
  })

  it('a portal session revoked on one node is refused at once on the other', async () => {
    const s = await a.api('POST', '/v1/tenants/two/portal-sessions', { capabilities: [] })
    expect(s.status).toBe(201)
    const token = s.body.token as string
    expect((await b.api('GET', '/v1/tenants/two/endpoints', undefined, { token })).status).toBe(200)
    expect((await b.api('GET', '/v1/whoami', undefined, { token })).body.kind).toBe('portal')
    expect((await a.api('DELETE', `/v1/tenants/two/portal-sessions/${s.body.id}`)).status).toBe(204)
    expectProblem(await b.api('GET', '/v1/tenants/two/endpoints', undefined, { token }), 401, 'unauthorized')
    expectProblem(await b.api('GET', '/v1/whoami', undefined, { token }), 401, 'unauthorized')
  })
})

describe('live attempts across processes on one PostgreSQL', () => {
  const dir = useTempDirs('console')
  afterEach(() => killAllChildren())

  it("an attempt made by a worker process reaches the stream of an api process, which delivers nothing itself", async () => {
    const rcv = await startReceiver()
    try {
      const apiDir = dir('api')
      const { url: databaseUrl } = await databaseFor(apiDir)
      const env = { HOOKRELAY_DATABASE_URL: databaseUrl }
      const apiNode = await spawnServer({ dataDir: apiDir, env, args: ['--role', 'api'] })
      const api = childApi(apiNode.url)
      expect((await api('POST', '/v1/tenants', { id: 'live', name: 'Live' })).status).toBe(201)
      const ep = await api('POST', '/v1/tenants/live/endpoints', { url: `${rcv.url}/hook` })
      expect(ep.status).toBe(201)
      const stream = await openSse(`${apiNode.url}/v1/tenants/live/deliveries/stream`, CHILD_ADMIN_TOKEN)
      try {
        expect(stream.status).toBe(200)
        // Published before any worker runs: the api process only stores it.
        const pub = await api('POST', '/v1/tenants/live/events', { type: 'order.created', payload: { n: 1 } })
        expect(pub.status).toBe(202)
        await new Promise((r) => setTimeout(r, 300))
        expect(rcv.hits).toHaveLength(0)
        expect(stream.events).toEqual([])

        await spawnServer({ dataDir: dir('worker'), env, args: ['--role', 'worker'] })
        const [seen] = await stream.waitFor('attempt', (a) => a.eventId === pub.body.id, 1, 30_000)
        expect(seen).toMatchObject({ endpointId: ep.body.id, attemptNumber: 1, success: true, status: 200, trigger: 'scheduled', deliveryStatus: 'succeeded', eventType: 'order.created' })
        expect(rcv.hits).toHaveLength(1)
        // The stream said what the API shows.
        const d = await api('GET', `/v1/tenants/live/deliveries/${seen.deliveryId}`)
        expect(d.body.attempts.map((a: { id: string }) => a.id)).toEqual([seen.attemptId])
      } finally {
        stream.close()
      }
    } finally {
      await rcv.close()
    }
  }, 90_000)
})
