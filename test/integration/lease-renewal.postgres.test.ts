/**
 * Leases outlive a slow queue (issue 5): one `--role api` and two `--role worker` processes on one
 * PostgreSQL, short leases, one endpoint whose rate limit makes the backlog take about twice a lease
 * to drain, and nothing killed. A worker's deliveries wait in its memory for rate tokens longer than
 * their lease; unless it renews them, the other worker claims them when they end and both send.
 * Every event must arrive exactly once. Runs only in the PostgreSQL pass of `npm test`.
 */
import pg from 'pg'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { childApi, killAllChildren, spawnServer } from '../helpers/child-server.js'
import { countPending, databaseFor } from '../helpers/postgres.js'
import { countHits, startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { useTempDirs } from '../helpers/temp-dirs.js'

/** The shortest lease the configuration allows, in seconds. */
const LEASE_SECONDS = 5
const RATE_PER_SECOND = 2
/** At 2/s after a second's burst: about 11 s to send, over two leases. */
const EVENTS = 24

describe('leases on PostgreSQL: a rate-limited backlog held longer than a lease', () => {
  const dir = useTempDirs('lease')
  let rcv: Receiver | undefined
  let db: pg.Client | undefined
  afterEach(() => killAllChildren())
  afterAll(async () => {
    await db?.end()
    await rcv?.close()
  })

  it('delivers every event exactly once, with no worker killed', async () => {
    const apiDir = dir('api')
    const { url: databaseUrl } = await databaseFor(apiDir)
    const env = { HOOKRELAY_DATABASE_URL: databaseUrl, HOOKRELAY_LEASE_SECONDS: String(LEASE_SECONDS) }
    rcv = await startReceiver()
    const apiNode = await spawnServer({ dataDir: apiDir, env, args: ['--role', 'api'] })
    await Promise.all(['w1', 'w2'].map((n) => spawnServer({ dataDir: dir(n), env, args: ['--role', 'worker'] })))
    const api = childApi(apiNode.url)
    expect((await api('POST', '/v1/tenants', { id: 'lease', name: 'Lease' })).status).toBe(201)
    expect((await api('POST', '/v1/tenants/lease/endpoints', { url: `${rcv.url}/paced`, rateLimitPerSecond: RATE_PER_SECOND })).status).toBe(201)

    // One at a time, a little apart: each NOTIFY wakes both workers, both end up holding some, and
    // their leases end at many moments, each a chance for the other worker to claim.
    const accepted: string[] = []
    for (let n = 0; n < EVENTS; n++) {
      const res = await api<{ id: string }>('POST', '/v1/tenants/lease/events', { type: 'order.created', payload: { n } })
      expect(res.status).toBe(202)
      accepted.push(res.body.id)
      await new Promise((r) => setTimeout(r, 100))
    }

    // Done when nothing is pending any more: every delivery settled, so no lease is left to end
    // and nothing can be sent again. Then a moment for a send already under way to land.
    db = new pg.Client({ connectionString: databaseUrl })
    await db.connect()
    // A lease ending more than a lease after its delivery was made was renewed (a claim gives now + lease).
    const renewedNow = async () =>
      Number(
        (
          await db!.query<{ n: string }>(
            `SELECT count(*) AS n FROM deliveries WHERE status = 'pending' AND lease_owner IS NOT NULL AND next_attempt_at > created_at + $1::bigint`,
            [LEASE_SECONDS * 1000 + 1000],
          )
        ).rows[0]!.n,
      )
    let sawRenewed = 0
    await eventually(async () => {
      sawRenewed = Math.max(sawRenewed, await renewedNow())
      return (await countPending(db!)) === 0
    }, 60_000, 200)
    await new Promise((r) => setTimeout(r, 500))

    const counts = countHits(rcv.hits, (h) => String(h.headers['webhook-id']))
    const missing = accepted.filter((id) => !counts.has(id))
    const repeated = [...counts].filter(([, n]) => n > 1)
    expect(missing, 'events never delivered').toEqual([])
    expect(repeated, `${rcv.hits.length} requests for ${EVENTS} events`).toEqual([])
    expect(rcv.hits).toHaveLength(EVENTS)
    // The limit held: the backlog did take longer than a lease, and leases were seen renewed meanwhile.
    const times = rcv.hits.map((h) => h.receivedAt).sort((x, y) => x - y)
    expect(times.at(-1)! - times[0]!).toBeGreaterThan(LEASE_SECONDS * 1000)
    expect(sawRenewed, 'deliveries seen with a renewed lease').toBeGreaterThan(0)
  }, 90_000)
})
