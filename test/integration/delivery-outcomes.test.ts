/**
 * How a receiver's answer decides the delivery (API.md, "What each delivery looks like", Outcome):
 * 2xx succeeds; 3xx and 4xx fail at once (except 408 and 429); 5xx, 408, 429, timeouts and network
 * errors retry on the schedule; Retry-After lengthens the wait; 410 disables the endpoint.
 * Every request goes to 127.0.0.1. Tests run concurrently, each in its own tenant.
 */
import { describe, expect, it } from 'vitest'
import { unusedPort, type Receiver, type ReceiverHit } from '../helpers/receiver.js'
import { useFixture, sleep } from '../helpers/fixture.js'
import { eventually } from '../helpers/server.js'

/** Timers, the settle batch and a claim on a busy 2-core machine: what a wait may exceed its delay by. */
const SLACK_MS = 1000
/** The schedule adds at most 10% jitter. */
const jittered = (ms: number): number => ms * 1.1

const gaps = (hits: ReceiverHit[]): number[] => hits.slice(1).map((h, i) => h.receivedAt - hits[i]!.receivedAt)

describe.concurrent('delivery outcomes and retries', () => {
  const f = useFixture('out')
  const { receiver, tenant, endpoint } = f
  /** Publishes one event to the tenant's single endpoint and returns its delivery id. */
  async function publish(tenantId: string, type = 'order.created'): Promise<{ eventId: string; deliveryId: string }> {
    const pub = await f.srv.api('POST', `/v1/tenants/${tenantId}/events`, { type, payload: { n: 1 } })
    expect(pub.status).toBe(202)
    expect(pub.body.deliveryCount).toBe(1)
    const list = await f.srv.api('GET', `/v1/tenants/${tenantId}/deliveries?eventId=${pub.body.id}`)
    return { eventId: pub.body.id, deliveryId: list.body.data[0].id }
  }
  async function finished(tenantId: string, deliveryId: string, timeoutMs = 10_000): Promise<any> {
    return eventually(async () => {
      const d = await f.srv.api('GET', `/v1/tenants/${tenantId}/deliveries/${deliveryId}`)
      return d.body.status !== 'pending' ? d.body : null
    }, timeoutMs)
  }
  /** A delivery that failed for good: no retry is scheduled, and none arrives. */
  async function expectFailedAtOnce(tenantId: string, deliveryId: string, rcv: Receiver, path?: string): Promise<any> {
    const d = await finished(tenantId, deliveryId)
    expect(d).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null })
    expect(d.attempts).toHaveLength(1)
    // Longer than the first retry delay (1 s + 10%): a retry would have arrived by now.
    await sleep(1500)
    expect(rcv.hits.filter((h) => path === undefined || h.url === path)).toHaveLength(1)
    return d
  }

  it('2xx succeeds with one attempt', async () => {
    const t = await tenant()
    const rcv = await receiver((req) => ({ status: req.url === '/204' ? 204 : 200 }))
    await endpoint(t, { url: `${rcv.url}/200` })
    await endpoint(t, { url: `${rcv.url}/204` })
    const pub = await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'a.b', payload: {} })
    expect(pub.body.deliveryCount).toBe(2)
    const list = await f.srv.api('GET', `/v1/tenants/${t}/deliveries?eventId=${pub.body.id}`)
    for (const dl of list.body.data) {
      const d = await finished(t, dl.id)
      expect(d).toMatchObject({ status: 'succeeded', attemptCount: 1, nextAttemptAt: null })
      expect(d.attempts).toHaveLength(1)
      expect(d.attempts[0]).toMatchObject({ success: true, error: null, trigger: 'scheduled' })
    }
    expect(rcv.hits.map((h) => h.url).sort()).toEqual(['/200', '/204'])
  })

  it('3xx fails at once, is not retried, and the redirect is not followed', async () => {
    const t = await tenant()
    const target = await receiver()
    const rcv = await receiver(() => ({ status: 302, headers: { location: `${target.url}/elsewhere` } }))
    await endpoint(t, { url: `${rcv.url}/moved` })
    const { deliveryId } = await publish(t)
    const d = await expectFailedAtOnce(t, deliveryId, rcv)
    expect(d.attempts[0].response.status).toBe(302)
    expect(d.attempts[0].error.kind).toBe('http')
    expect(target.hits).toHaveLength(0)
    expect(target.connections).toBe(0)
  })

  it('400 and 404 fail at once without retry', async () => {
    const t = await tenant()
    const rcv = await receiver((req) => ({ status: Number(req.url?.slice(1)) }))
    for (const status of [400, 404]) {
      await endpoint(t, { url: `${rcv.url}/${status}`, eventTypes: [`code.s${status}`] })
    }
    await Promise.all(
      [400, 404].map(async (status) => {
        const { deliveryId } = await publish(t, `code.s${status}`)
        const d = await expectFailedAtOnce(t, deliveryId, rcv, `/${status}`)
        expect(d.attempts[0]).toMatchObject({ success: false, response: { status }, error: { kind: 'http' } })
      }),
    )
  })

  it('408, 429 and 500 are retried', async () => {
    const t = await tenant()
    const rcv = await receiver((req) => ({ status: Number(req.url?.slice(1)) }))
    for (const status of [408, 429, 500]) {
      await endpoint(t, { url: `${rcv.url}/${status}`, eventTypes: [`code.s${status}`], retry: { maxRetries: 1 } })
    }
    await Promise.all(
      [408, 429, 500].map(async (status) => {
        const { deliveryId } = await publish(t, `code.s${status}`)
        const d = await finished(t, deliveryId)
        expect(d).toMatchObject({ status: 'failed', attemptCount: 2, nextAttemptAt: null })
        expect(d.attempts.map((a: any) => a.response.status)).toEqual([status, status])
        expect(d.attempts.map((a: any) => a.error.kind)).toEqual(['http', 'http'])
        const hits = rcv.hits.filter((h) => h.url === `/${status}`)
        expect(hits).toHaveLength(2)
        expect(gaps(hits)[0]).toBeGreaterThanOrEqual(1000)
      }),
    )
  })

  it('a timeout is retried and recorded as kind timeout', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ hang: true }))
    await endpoint(t, { url: `${rcv.url}/slow`, timeoutSeconds: 1, retry: { maxRetries: 1 } })
    const started = Date.now()
    const { deliveryId } = await publish(t)
    const d = await finished(t, deliveryId)
    expect(Date.now() - started).toBeGreaterThanOrEqual(2 * 1000 + 1000)
    expect(d).toMatchObject({ status: 'failed', attemptCount: 2 })
    for (const a of d.attempts) {
      expect(a).toMatchObject({ response: null, success: false, error: { kind: 'timeout' } })
      expect(a.durationMs).toBeGreaterThanOrEqual(950)
    }
    expect(rcv.hits).toHaveLength(2)
  })

  it('a network error (connection refused) is retried and recorded as kind network', async () => {
    const t = await tenant()
    const port = await unusedPort()
    await endpoint(t, { url: `http://127.0.0.1:${port}/nobody-home`, retry: { maxRetries: 1 } })
    const { deliveryId } = await publish(t)
    const d = await finished(t, deliveryId)
    expect(d).toMatchObject({ status: 'failed', attemptCount: 2, nextAttemptAt: null })
    for (const a of d.attempts) expect(a).toMatchObject({ response: null, success: false, error: { kind: 'network' } })
    expect(Date.parse(d.attempts[1].startedAt) - Date.parse(d.attempts[0].startedAt)).toBeGreaterThanOrEqual(1000)
  })

  it('the default schedule waits ~1 s then ~2 s, then the delivery fails after maxRetries + 1 attempts', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 500 }))
    await endpoint(t, { url: `${rcv.url}/down`, retry: { maxRetries: 2 } })
    const { deliveryId } = await publish(t)
    const hits = await rcv.waitForHits(3, 10_000)
    const [g1, g2] = gaps(hits)
    expect(g1).toBeGreaterThanOrEqual(1000)
    expect(g1).toBeLessThanOrEqual(jittered(1000) + SLACK_MS)
    expect(g2).toBeGreaterThanOrEqual(2000)
    expect(g2).toBeLessThanOrEqual(jittered(2000) + SLACK_MS)
    const d = await finished(t, deliveryId)
    expect(d).toMatchObject({ status: 'failed', attemptCount: 3, nextAttemptAt: null })
    expect(d.attempts.map((a: any) => a.attemptNumber)).toEqual([1, 2, 3])
    await sleep(500)
    expect(rcv.hits).toHaveLength(3)
  })

  it('a custom retry.schedule replaces the doubling delays', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 503 }))
    const ep = await endpoint(t, { url: `${rcv.url}/down`, retry: { schedule: [1, 1], maxRetries: 2 } })
    expect(ep.retry).toMatchObject({ enabled: true, schedule: [1, 1], maxRetries: 2 })
    const { deliveryId } = await publish(t)
    const hits = await rcv.waitForHits(3, 10_000)
    for (const g of gaps(hits)) {
      expect(g).toBeGreaterThanOrEqual(1000)
      // Well below the default schedule's 2 s second wait.
      expect(g).toBeLessThan(1900)
    }
    const d = await finished(t, deliveryId)
    expect(d).toMatchObject({ status: 'failed', attemptCount: 3 })
  })

  it('retry.enabled false makes one attempt only', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 500 }))
    await endpoint(t, { url: `${rcv.url}/down`, retry: { enabled: false } })
    const { deliveryId } = await publish(t)
    const d = await expectFailedAtOnce(t, deliveryId, rcv)
    expect(d.attempts[0].response.status).toBe(500)
  })

  it('Retry-After on a 503 and on a 429 lengthens the wait', async () => {
    const t = await tenant()
    const seen = new Map<string, number>()
    const rcv = await receiver((req) => {
      const n = (seen.get(req.url!) ?? 0) + 1
      seen.set(req.url!, n)
      if (n > 1) return { status: 200 }
      return { status: Number(req.url?.slice(1)), headers: { 'retry-after': '3' } }
    })
    for (const status of [503, 429]) {
      await endpoint(t, { url: `${rcv.url}/${status}`, eventTypes: [`code.s${status}`], retry: { maxRetries: 1 } })
    }
    await Promise.all(
      [503, 429].map(async (status) => {
        const { deliveryId } = await publish(t, `code.s${status}`)
        const d = await finished(t, deliveryId)
        expect(d).toMatchObject({ status: 'succeeded', attemptCount: 2 })
        const hits = rcv.hits.filter((h) => h.url === `/${status}`)
        expect(hits).toHaveLength(2)
        const [g] = gaps(hits)
        expect(g).toBeGreaterThanOrEqual(3000)
        expect(g).toBeLessThanOrEqual(3000 + SLACK_MS)
      }),
    )
  })

  it('disabling an endpoint fails its deliveries waiting for a retry at once, with no attempt', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 500 }))
    const ep = await endpoint(t, { url: `${rcv.url}/hook`, retry: { schedule: [120, 120] } })
    const { deliveryId } = await publish(t)
    await rcv.waitForHits(1)
    await eventually(async () => {
      const d = await f.srv.api('GET', `/v1/tenants/${t}/deliveries/${deliveryId}`)
      return d.body.status === 'pending' && d.body.attemptCount === 1
    })
    expect((await f.srv.api('PATCH', `/v1/tenants/${t}/endpoints/${ep.id}`, { enabled: false })).status).toBe(200)
    const d = await finished(t, deliveryId, 5000)
    expect(d).toMatchObject({ status: 'failed', attemptCount: 1, nextAttemptAt: null })
    expect(rcv.hits).toHaveLength(1)
  })

  it('410 Gone fails at once, disables the endpoint, and later events create no delivery for it', async () => {
    const t = await tenant()
    const rcv = await receiver(() => ({ status: 410 }))
    const ep = await endpoint(t, { url: `${rcv.url}/gone`, retry: { maxRetries: 3 } })
    const { deliveryId } = await publish(t)
    const d = await expectFailedAtOnce(t, deliveryId, rcv)
    expect(d.attempts[0].response.status).toBe(410)
    const after = await eventually(async () => {
      const r = await f.srv.api('GET', `/v1/tenants/${t}/endpoints/${ep.id}`)
      return r.body.enabled === false ? r.body : null
    })
    expect(typeof after.disabledReason).toBe('string')
    expect(after.disabledReason.length).toBeGreaterThan(0)

    const later = await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.created', payload: { n: 2 } })
    expect(later.status).toBe(202)
    expect(later.body.deliveryCount).toBe(0)
    const list = await f.srv.api('GET', `/v1/tenants/${t}/deliveries?endpointId=${ep.id}`)
    expect(list.body.data).toHaveLength(1)
    await sleep(300)
    expect(rcv.hits).toHaveLength(1)
  })
})
