/**
 * A fifo endpoint served by two `--role worker` processes on one PostgreSQL (API.md, Endpoints:
 * ordering "holds with several workers"): the claim never hands the next delivery to one worker
 * while the other holds the head, and when the worker holding it is SIGKILLed mid-attempt, the
 * survivor repeats that one (its outcome was never recorded) before any later one. The first
 * delivery fails twice first, so the order also holds across retries. PostgreSQL pass only.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, spawnServer } from '../helpers/child-server.js'
import { readMetrics, sampleOf } from '../helpers/metrics.js'
import { databaseFor } from '../helpers/postgres.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { useTempDirs } from '../helpers/temp-dirs.js'

const N = 30
const HELD = 12

describe('fifo with two workers on PostgreSQL', () => {
  const dir = useTempDirs('fifo-workers')
  let rcv: Receiver | undefined
  afterEach(async () => {
    await killAllChildren()
    await rcv?.close()
  })

  it('sees 1..N in order, one at a time, although the worker holding the head is killed', async () => {
    const apiDir = dir('api')
    const { url: databaseUrl } = await databaseFor(apiDir)
    const env = { HOOKRELAY_DATABASE_URL: databaseUrl, HOOKRELAY_LEASE_SECONDS: '5' }
    let inFlight = 0
    let peak = 0
    let failures = 0
    let release = (): void => {}
    const held = new Promise<void>((r) => (release = r))
    let heldOnce = false
    rcv = await startReceiver(async (_req, body) => {
      inFlight++
      peak = Math.max(peak, inFlight)
      try {
        const n = (JSON.parse(body) as { data: { n: number } }).data.n
        await new Promise((r) => setTimeout(r, 10))
        if (n === 1 && failures < 2) {
          failures++
          return { status: 500 }
        }
        if (n === HELD && !heldOnce) {
          heldOnce = true
          await held
        }
        return { status: 200 }
      } finally {
        inFlight--
      }
    })
    const apiNode = await spawnServer({ dataDir: apiDir, env, args: ['--role', 'api'] })
    const workers = await Promise.all(['w1', 'w2'].map((n) => spawnServer({ dataDir: dir(n), env, args: ['--role', 'worker'] })))
    const api = childApi(apiNode.url)
    expect((await api('POST', '/v1/tenants', { id: 'ord', name: 'Ordered' })).status).toBe(201)
    const ep = await api<{ id: string }>('POST', '/v1/tenants/ord/endpoints', { url: `${rcv.url}/o`, ordering: 'fifo', retry: { schedule: [1, 1] } })
    expect(ep.status).toBe(201)
    for (let n = 1; n <= N; n++) expect((await api('POST', '/v1/tenants/ord/events', { type: 'a.b', payload: { n } })).status).toBe(202)

    const arrivals = (): number[] => rcv!.hits.map((h) => (JSON.parse(h.body) as { data: { n: number } }).data.n)
    await eventually(async () => arrivals().includes(HELD), 30_000, 50)
    // The worker with the attempt in flight holds the head: kill it.
    const inFlightOf = async (url: string): Promise<number> => sampleOf(await readMetrics(url), 'hookrelay_in_flight') ?? 0
    const holding = await eventually(async () => {
      for (const w of workers) if ((await inFlightOf(w.url)) > 0) return w
      return undefined
    }, 5000)
    const survivor = workers.find((w) => w !== holding)!
    holding.kill('SIGKILL')
    await holding.exited
    release()

    await eventually(async () => arrivals().includes(N), 60_000, 100)
    const wanted = [1, 1, 1, ...Array.from({ length: N - 1 }, (_, i) => i + 2)]
    // HELD was answered to the dead worker and sent again by the survivor once its lease ended.
    wanted.splice(wanted.indexOf(HELD), 0, HELD)
    expect(arrivals()).toEqual(wanted)
    expect(peak).toBe(1)
    // Both workers delivered some of them: the order held across the two, not because one did all.
    const bySurvivor = sampleOf(await readMetrics(survivor.url), 'hookrelay_deliveries_total', { outcome: 'succeeded' }) ?? 0
    expect(bySurvivor).toBeGreaterThan(0)
    expect(bySurvivor).toBeLessThan(N)
  }, 120_000)
})
