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
import { readMetrics, sampleOf } from '../helpers/metrics.js'
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

  const dir = (name: string) => {
    const d = mkdtempSync(join(tmpdir(), `hookrelay-scale-${name}-`))
    dirs.push(d)
    return d
  }

  it('delivers every accepted event to every endpoint although a worker is killed mid-run', async () => {
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

  it("keeps an endpoint's concurrency and rate limits across both workers together", async () => {
    const apiDir = dir('limits-api')
    const { url: databaseUrl } = await databaseFor(apiDir)
    const env = { HOOKRELAY_DATABASE_URL: databaseUrl, HOOKRELAY_ENDPOINT_CONCURRENCY: '4' }
    let current = 0
    let peak = 0
    const slow = await startReceiver(async () => {
      current++
      peak = Math.max(peak, current)
      await sleep(400)
      current--
      return { status: 200 }
    })
    const paced = await startReceiver()
    try {
      const apiNode = await spawnServer({ dataDir: apiDir, env, args: ['--role', 'api'] })
      const workers = await Promise.all(['limits-w1', 'limits-w2'].map((n) => spawnServer({ dataDir: dir(n), env, args: ['--role', 'worker'] })))
      const api = childApi(apiNode.url)
      expect((await api('POST', '/v1/tenants', { id: 'lim', name: 'Limits' })).status).toBe(201)
      expect((await api('POST', '/v1/tenants/lim/endpoints', { url: `${slow.url}/slow`, eventTypes: ['slow.*'] })).status).toBe(201)
      const rated = { url: `${paced.url}/paced`, eventTypes: ['paced.*'], rateLimitPerSecond: 5 }
      expect((await api('POST', '/v1/tenants/lim/endpoints', rated)).status).toBe(201)

      // One publish at a time, so each NOTIFY wakes both workers and both end up holding some.
      const events = 40
      for (let i = 0; i < events; i++) {
        expect((await api('POST', '/v1/tenants/lim/events', { type: 'slow.job', payload: { i } })).status).toBe(202)
        expect((await api('POST', '/v1/tenants/lim/events', { type: 'paced.job', payload: { i } })).status).toBe(202)
        await sleep(10)
      }
      await eventually(async () => slow.hits.length >= events && paced.hits.length >= events, 60_000, 100)

      // Both workers delivered: the limits held while both were sending, not because one did all.
      const delivered = await Promise.all(workers.map((w) => succeededOn(w.url)))
      expect(delivered.every((n) => n > 0), `deliveries per worker: ${delivered.join(', ')}`).toBe(true)
      expect(peak).toBeLessThanOrEqual(4)
      expect(peak).toBeGreaterThanOrEqual(2)
      // 40 at 5/s with one second's burst: the last no sooner than ~7 s after the first. Each
      // worker keeping its own 5/s would have been done in half that.
      const times = paced.hits.map((h) => h.receivedAt).sort((x, y) => x - y)
      expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(6000)
    } finally {
      await slow.close()
      await paced.close()
    }
  }, 120_000)
})

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/** The deliveries a worker process has settled as succeeded, from its /metrics. */
async function succeededOn(baseUrl: string): Promise<number> {
  return sampleOf(await readMetrics(baseUrl), 'hookrelay_deliveries_total', { outcome: 'succeeded' }) ?? 0
}
