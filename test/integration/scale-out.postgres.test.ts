/**
 * Scale-out on PostgreSQL (issue 5, API.md "Running"): one `--role api` process and two
 * `--role worker` processes on one database. Publishes go to the api process while the workers,
 * woken by NOTIFY, deliver; one worker is killed with SIGKILL mid-run. Every accepted event must
 * reach every endpoint, and duplicates must stay within what the killed worker can have had in
 * flight (its attempts sent but not yet settled). Runs only in the PostgreSQL pass of `npm test`
 * (the .postgres.test.ts suffix; see vitest.config.ts).
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, spawnServer } from '../helpers/child-server.js'
import { databaseFor } from '../helpers/postgres.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'

const ENDPOINTS = 3
const EVENTS = 400
/** A worker's attempts in flight at most: the bound on what a SIGKILL can leave sent but unsettled. */
const MAX_IN_FLIGHT = 24

describe('scale-out: an api process and two workers on one PostgreSQL', () => {
  const dirs: string[] = []
  let rcv: Receiver | undefined
  afterEach(() => killAllChildren())
  afterAll(async () => {
    await rcv?.close()
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
  })

  it('delivers every accepted event to every endpoint although a worker is killed mid-run', async () => {
    const dir = (name: string) => {
      const d = mkdtempSync(join(tmpdir(), `hookrelay-scale-${name}-`))
      dirs.push(d)
      return d
    }
    const apiDir = dir('api')
    const { url: databaseUrl } = await databaseFor(apiDir)
    // Short leases, so the killed worker's deliveries come back within the test.
    const env = { HOOKRELAY_DATABASE_URL: databaseUrl, HOOKRELAY_LEASE_SECONDS: '5', HOOKRELAY_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT) }
    rcv = await startReceiver(() => ({ status: 200, delayMs: 40 }))
    const apiNode = await spawnServer({ dataDir: apiDir, env, args: ['--role', 'api'] })
    const w1 = await spawnServer({ dataDir: dir('w1'), env, args: ['--role', 'worker'] })
    await spawnServer({ dataDir: dir('w2'), env, args: ['--role', 'worker'] })
    const api = childApi(apiNode.url)
    expect((await api('POST', '/v1/tenants', { id: 'scale', name: 'Scale' })).status).toBe(201)
    for (let i = 0; i < ENDPOINTS; i++) {
      expect((await api('POST', '/v1/tenants/scale/endpoints', { url: `${rcv.url}/e${i}` })).status).toBe(201)
    }

    const accepted: string[] = []
    let next = 0
    let killed = false
    const publisher = async () => {
      while (next < EVENTS) {
        next++
        const res = await api<{ id: string }>('POST', '/v1/tenants/scale/events', { type: 'order.created', payload: { n: next } })
        expect(res.status).toBe(202)
        accepted.push(res.body.id)
        if (!killed && accepted.length >= EVENTS / 2) {
          killed = true
          w1.kill('SIGKILL')
        }
      }
    }
    await Promise.all(Array.from({ length: 8 }, publisher))
    expect(killed).toBe(true)

    const expected = new Set(accepted.flatMap((id) => Array.from({ length: ENDPOINTS }, (_, i) => `${id} /e${i}`)))
    const received = () => rcv!.hits.map((h) => `${String(h.headers['webhook-id'])} ${h.url}`)
    await eventually(async () => new Set(received().filter((k) => expected.has(k))).size >= expected.size, 60_000, 100)
    const counts = new Map<string, number>()
    for (const k of received()) counts.set(k, (counts.get(k) ?? 0) + 1)
    const missing = [...expected].filter((k) => !counts.has(k))
    expect(missing, `${missing.length} accepted (event, endpoint) pairs never delivered`).toEqual([])
    const duplicates = [...counts.values()].reduce((n, c) => n + c - 1, 0)
    console.info(`[scale-out] ${expected.size} deliveries, ${duplicates} duplicates after the SIGKILL of one worker`)
    // Sent by the killed worker but never settled: its attempts in flight, plus those finished in
    // the last settlement batch it had not written yet (settled every 5 ms).
    expect(duplicates).toBeLessThanOrEqual(2 * MAX_IN_FLIGHT)
  }, 120_000)
})
