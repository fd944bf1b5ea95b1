/**
 * Pending retries survive a restart (API.md, Running: "loses no accepted event and no delivery"):
 * a delivery that could not reach its receiver is retried by the next server on the same data.
 * Every request goes to 127.0.0.1.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { unusedPort } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'

describe('restart', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-restart-'))
  let srv: TestServer | undefined
  let late: http.Server | undefined

  afterAll(async () => {
    late?.closeAllConnections()
    await new Promise<void>((resolve) => (late ? late.close(() => resolve()) : resolve()))
    await srv?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })

  it('delivers pending retries after a restart on the same data directory', async () => {
    // The receiver is down: its port refuses connections until it comes up after the restart.
    const port = await unusedPort()
    const first = await startTestServer({ dataDir })
    expect((await first.api('POST', '/v1/tenants', { id: 'rst', name: 'Restart' })).status).toBe(201)
    const ep = await first.api('POST', '/v1/tenants/rst/endpoints', {
      url: `http://127.0.0.1:${port}/later`,
      retry: { schedule: [1, 1, 1, 1, 1, 1, 1, 1, 1, 1] },
    })
    expect(ep.status).toBe(201)
    const ids: string[] = []
    for (let i = 0; i < 3; i++) {
      const pub = await first.api('POST', '/v1/tenants/rst/events', { type: 'order.created', payload: { i } })
      expect(pub.status).toBe(202)
      ids.push(pub.body.id)
    }
    // Every delivery has failed at least once and waits for its retry.
    await eventually(async () => {
      const list = await first.api('GET', '/v1/tenants/rst/deliveries')
      return list.body.data.length === 3 && list.body.data.every((d: any) => d.status === 'pending' && d.attemptCount >= 1)
    })
    await first.close()

    srv = await startTestServer({ dataDir })
    const received: Array<{ id: string; body: string }> = []
    late = http.createServer((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        received.push({ id: String(req.headers['webhook-id']), body: Buffer.concat(chunks).toString('utf8') })
        res.writeHead(200).end()
      })
    })
    await new Promise<void>((resolve) => late!.listen(port, '127.0.0.1', resolve))

    const list = await eventually(async () => {
      const r = await srv!.api('GET', '/v1/tenants/rst/deliveries')
      return r.body.data.every((d: any) => d.status === 'succeeded') ? r.body.data : null
    }, 10_000)
    expect(list).toHaveLength(3)
    expect(new Set(received.map((r) => r.id))).toEqual(new Set(ids))
    for (const d of list) {
      const detail = await srv.api('GET', `/v1/tenants/rst/deliveries/${d.id}`)
      const attempts = detail.body.attempts
      expect(attempts.length).toBeGreaterThanOrEqual(2)
      expect(attempts[0].error.kind).toBe('network')
      expect(attempts.at(-1)).toMatchObject({ success: true, trigger: 'scheduled' })
    }
  })
})
