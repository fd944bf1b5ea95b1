/**
 * Scale-out on PostgreSQL (issue 5, API.md "Running"): one `--role api` process and two
 * `--role worker` processes on one database. Publishes go to the api process while the workers,
 * woken by NOTIFY, deliver; one worker is killed with SIGKILL mid-run. Every accepted event must
 * reach every endpoint, and every duplicate must be a delivery the killed worker held a lease on
 * when it died (sent but not yet settled): nothing the surviving worker did is ever repeated. Runs
 * only in the PostgreSQL pass of `npm test` (the .postgres.test.ts suffix; see vitest.config.ts).
 */
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, spawnServer } from '../helpers/child-server.js'
import { readMetrics, sampleOf } from '../helpers/metrics.js'
import { countPending, databaseFor } from '../helpers/postgres.js'
import { countHits, startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { useTempDirs } from '../helpers/temp-dirs.js'

const ENDPOINTS = 3
const EVENTS = 400
/** A worker's attempts in flight at most: the bound on what a SIGKILL can leave sent but unsettled. */
const MAX_IN_FLIGHT = 24

describe('scale-out: an api process and two workers on one PostgreSQL', () => {
  const dir = useTempDirs('scale')
  let rcv: Receiver | undefined
  let db: pg.Client | undefined
  afterEach(() => killAllChildren())
  afterAll(async () => {
    await db?.end()
    await rcv?.close()
  })

  it('delivers every accepted event to every endpoint although a worker is killed mid-run', async () => {
    const apiDir = dir('api')
    const { url: databaseUrl } = await databaseFor(apiDir)
    // Short leases, so the killed worker's deliveries come back within the test.
    const env = { HOOKRELAY_DATABASE_URL: databaseUrl, HOOKRELAY_LEASE_SECONDS: '5', HOOKRELAY_MAX_IN_FLIGHT: String(MAX_IN_FLIGHT) }
    let answerProbe = (): void => {}
    const probeAnswered = new Promise<void>((r) => (answerProbe = r))
    rcv = await startReceiver(async (req) => {
      if (req.url === '/probe') await probeAnswered
      return { status: 200, delayMs: 40 }
    })
    db = new pg.Client({ connectionString: databaseUrl })
    await db.connect()
    const apiNode = await spawnServer({ dataDir: apiDir, env, args: ['--role', 'api'] })
    const w1 = await spawnServer({ dataDir: dir('w1'), env, args: ['--role', 'worker'] })
    const api = childApi(apiNode.url)
    expect((await api('POST', '/v1/tenants', { id: 'scale', name: 'Scale' })).status).toBe(201)

    // The killed worker's lease owner id: while it is the only worker, it takes a probe delivery,
    // whose row names it while the receiver holds the answer.
    expect((await api('POST', '/v1/tenants/scale/endpoints', { url: `${rcv.url}/probe`, eventTypes: ['probe.*'] })).status).toBe(201)
    expect((await api('POST', '/v1/tenants/scale/events', { type: 'probe.sent', payload: {} })).status).toBe(202)
    await rcv.waitForHits(1, 10_000)
    const leased = await db.query<{ lease_owner: string }>(`SELECT lease_owner FROM deliveries WHERE status = 'pending'`)
    expect(leased.rows).toHaveLength(1)
    const killedOwner = leased.rows[0]!.lease_owner
    answerProbe()

    await spawnServer({ dataDir: dir('w2'), env, args: ['--role', 'worker'] })
    for (let i = 0; i < ENDPOINTS; i++) {
      expect((await api('POST', '/v1/tenants/scale/endpoints', { url: `${rcv.url}/e${i}`, eventTypes: ['order.*'] })).status).toBe(201)
    }
    // What the killed worker held a lease on when it died, as (event, endpoint path) like the
    // receiver's hits: read once it is gone, long before those leases end (a third of one at least).
    const heldAtKill = async (): Promise<Set<string>> => {
      await w1.exited
      const { rows } = await db!.query<{ event_id: string; url: string }>(
        `SELECT d.event_id, e.url FROM deliveries d JOIN endpoints e ON e.id = d.endpoint_id
         WHERE d.status = 'pending' AND d.lease_owner = $1`,
        [killedOwner],
      )
      return new Set(rows.map((r) => `${r.event_id} ${new URL(r.url).pathname}`))
    }
    let held: Promise<Set<string>> | undefined

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
          held = heldAtKill()
        }
      }
    }
    await Promise.all(Array.from({ length: 8 }, publisher))
    expect(killed).toBe(true)

    const leasedAtKill = await held!

    // Counted once nothing is pending: the killed worker's leases have ended, the survivor has
    // claimed and settled what they covered (so its re-sends have landed), and nothing is left to
    // send again. Then a moment for any request still on its way.
    await eventually(async () => (await countPending(db!)) === 0, 60_000, 200)
    await sleep(500)
    const expected = new Set(accepted.flatMap((id) => Array.from({ length: ENDPOINTS }, (_, i) => `${id} /e${i}`)))
    const counts = countHits(rcv.hits, (h) => `${String(h.headers['webhook-id'])} ${h.url}`)
    const missing = [...expected].filter((k) => !counts.has(k))
    expect(missing, `${missing.length} accepted (event, endpoint) pairs never delivered`).toEqual([])
    const repeated = [...counts].filter(([, n]) => n > 1)
    const duplicates = repeated.reduce((n, [, c]) => n + c - 1, 0)
    console.info(`[scale-out] ${expected.size} deliveries, ${duplicates} duplicates after the SIGKILL of one worker, which held ${leasedAtKill.size} leases`)
    // Each repeat is one the killed worker had sent and not settled: sent once more, by the survivor.
    expect(repeated.filter(([k, n]) => n > 2 || !leasedAtKill.has(k)), 'repeated, but not held by the killed worker').toEqual([])
    // Those are its attempts in flight, plus those finished in the last settlement batch it had not
    // written yet (settled every 5 ms).
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
