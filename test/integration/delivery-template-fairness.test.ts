/**
 * The render threads are shared fairly between tenants (issue 12: nothing a tenant can type may hurt
 * anyone else). A tenant whose endpoint has a runaway template and many events pending must not
 * put another tenant's templated deliveries behind all of its runaways: with one FIFO of render
 * jobs, every runaway queued first was rendered, and stopped ~250 ms later, before the other
 * tenant's first job. The test counts the render jobs ended (in this process: the server runs
 * here) at each of the other tenant's deliveries, so it asserts an order, not a time.
 */
import { describe, expect, it } from 'vitest'
import { renderThreads } from '../../src/rendering/render-bounded.js'
import { useFixture } from '../helpers/fixture.js'
import { eventually } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, expectList } from './api-support.js'

/** More than two minutes of CPU inside one filter: stopped at its deadline (50 ms + 200 ms) every time. */
const RUNAWAY = `{% assign a = (1..20000) %}{% assign r = a | has_exp: "i", "a contains 0" %}{{ r }}`
/** The runaway tenant's events: with one FIFO, the other tenant waited for all of them. */
const RUNAWAYS = 10
/** The other tenant's templated endpoints: one event fans out to all, so their jobs reach the threads together. */
const OTHERS = 4

describe('render threads shared between tenants', () => {
  const f = useFixture('tf')

  it("delivers another tenant's templated events ahead of a tenant's queue of runaways", async () => {
    const hostile = await f.tenant()
    const hostileRcv = await f.receiver()
    await f.endpoint(hostile, { url: `${hostileRcv.url}/hook`, retry: { maxRetries: 0 }, payload: { format: 'text', template: RUNAWAY } })

    const other = await f.tenant()
    /** Render jobs ended (any tenant's, any outcome) when each of the other tenant's deliveries arrived. */
    const finishedAtHit: number[] = []
    const otherRcv = await f.receiver(() => {
      finishedAtHit.push(renderThreads.finished)
    })
    for (let i = 0; i < OTHERS; i++) {
      await f.endpoint(other, { url: `${otherRcv.url}/hook/${i}`, retry: { maxRetries: 0 }, payload: { format: 'text', template: 'n={{ event.data.n }}' } })
    }

    // Both render threads up, so what follows does not wait on a thread starting.
    await publish(other, { n: 0 })
    await otherRcv.waitForHits(OTHERS, DELIVERY_WAIT_MS)
    finishedAtHit.length = 0

    const finishedFirst = renderThreads.finished
    await Promise.all(Array.from({ length: RUNAWAYS }, (_, i) => publish(hostile, { i })))
    // Every runaway's job reached the render threads: waiting, running, or ended (stopped, as a rule).
    await eventually(async () => renderThreads.pending + renderThreads.finished - finishedFirst >= RUNAWAYS, DELIVERY_WAIT_MS)
    const finishedBefore = renderThreads.finished
    const ahead = RUNAWAYS - (finishedBefore - finishedFirst)
    // The test tells fair from FIFO only while most runaways still wait: with one FIFO all `ahead`
    // end before the other tenant's first job starts.
    expect(ahead).toBeGreaterThan(5)

    await publish(other, { n: 1 })
    // Long enough for every runaway (each stopped thread is started again, a second or more on a
    // busy machine), so that with one FIFO the count below fails rather than the wait.
    const hits = await otherRcv.waitForHits(2 * OTHERS, RUNAWAYS * 5_000)
    expect(hits.slice(OTHERS).map((h) => h.body)).toEqual(Array.from({ length: OTHERS }, () => 'n=1'))
    // The runaways that ended before the other tenant's last delivery (its own jobs had all ended
    // by then): at most the two holding the threads when its event came, and one more that may
    // take a thread while its requests are sent.
    const runawaysMeanwhile = Math.max(...finishedAtHit) - finishedBefore - OTHERS
    expect(runawaysMeanwhile).toBeLessThanOrEqual(3)

    // Every runaway was still stopped, and failed its delivery with kind template; none was sent.
    const failed = await eventually(async () => {
      const list = expectList(await f.srv.api('GET', `/v1/tenants/${hostile}/deliveries?status=failed&limit=100`))
      return list.length === RUNAWAYS ? list : null
    }, RUNAWAYS * 5_000)
    const attempt = (await f.srv.api('GET', `/v1/tenants/${hostile}/deliveries/${failed[0].id}`)).body.attempts[0]
    expect(attempt.error).toMatchObject({ kind: 'template', message: expect.stringContaining('took longer than 50 ms') })
    expect(hostileRcv.hits).toHaveLength(0)
  }, RUNAWAYS * 5_000 + 30_000)

  async function publish(tenantId: string, payload: unknown): Promise<void> {
    const pub = await f.srv.api('POST', `/v1/tenants/${tenantId}/events`, { type: 'x.y', payload })
    expect(pub.status).toBe(202)
  }
})
