/**
 * The console's API across nodes on one PostgreSQL (API.md, "Dashboard and portal"): a portal
 * session revoked on one node stops at once on another. Runs only in the PostgreSQL pass of
 * `npm test` (the .postgres.test.ts suffix; see vitest.config.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
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
