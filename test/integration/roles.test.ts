/**
 * Process roles (API.md, Running): an `api` node accepts but never delivers; a `worker` node
 * serves only /healthz and /metrics and delivers what is pending. Both on one SQLite data dir,
 * one after the other (SQLite serves one node at a time). Traffic only to 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { sleep } from '../helpers/fixture.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

describe('roles', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-roles-'))
  let rcv: Receiver | undefined
  let srv: TestServer | undefined
  afterAll(async () => {
    await srv?.close()
    await rcv?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('api accepts and never delivers; worker serves only health and metrics, and delivers', async () => {
    rcv = await startReceiver()
    srv = await startTestServer({ dataDir, role: 'api' })
    expect((await srv.api('POST', '/v1/tenants', { id: 'r', name: 'Roles' })).status).toBe(201)
    expect((await srv.api('POST', '/v1/tenants/r/endpoints', { url: `${rcv.url}/hook` })).status).toBe(201)
    const ids: string[] = []
    for (let i = 0; i < 5; i++) {
      const pub = await srv.api('POST', '/v1/tenants/r/events', { type: 'role.test', payload: { i } })
      expect(pub.status).toBe(202)
      ids.push(pub.body.id)
    }
    await sleep(500)
    expect(rcv.hits).toHaveLength(0)
    const pending = await srv.api('GET', '/v1/tenants/r/deliveries?status=pending')
    expect(pending.body.data).toHaveLength(5)
    await srv.close()

    srv = await startTestServer({ dataDir, role: 'worker' })
    expect((await srv.api('GET', '/healthz', undefined, { token: null })).body).toEqual({ status: 'ok' })
    expect((await srv.api('GET', '/metrics', undefined, { token: null })).status).toBe(200)
    // A query string (a probe's cache-buster, say) does not change the path.
    expect((await srv.api('GET', '/healthz?x=1', undefined, { token: null })).body).toEqual({ status: 'ok' })
    const metrics = await srv.api('GET', '/metrics?x=1', undefined, { token: null })
    expect(metrics.status).toBe(200)
    expect(String(metrics.body)).toMatch(/^# HELP /m)
    for (const path of ['/v1/tenants', '/openapi.json', '/v1/tenants?next=/healthz', '/docs?/metrics']) {
      const res = await srv.api('GET', path)
      expect(res.status, path).toBe(503)
      expect(res.body.code).toBe('service_unavailable')
    }
    const hits = await rcv.waitForHits(5, 10_000)
    expect(new Set(hits.map((h) => h.headers['webhook-id']))).toEqual(new Set(ids))
  })
})
