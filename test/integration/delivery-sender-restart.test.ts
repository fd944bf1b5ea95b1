/**
 * A sender thread that dies is replaced at once (issue 12): the attempts it had in flight end as
 * network failures and are retried on the new thread, later deliveries go out as usual, and
 * `/healthz` answers 503 while the thread is being replaced, 200 again once it is up (API.md,
 * Running). The thread is killed by what a tenant can do with the default settings: many 1 MB
 * bodies in flight at once to receivers that take their time, more than the thread's heap holds.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'
import { DELIVERY_WAIT_MS } from './api-support.js'

/** Just under the default payload limit (1 MiB). */
const BIG = 1_000_000
/** 12 endpoints x 6 events x 1 MB in flight at once: over the sender thread's 48 MB old generation. */
const BIG_ENDPOINTS = 12
const BIG_EVENTS = 6

describe('sender thread restart', () => {
  let srv: TestServer
  const receivers: Receiver[] = []
  beforeAll(async () => {
    srv = await startTestServer()
  })
  afterAll(async () => {
    for (const r of receivers) await r.close()
    await srv?.close()
  })

  async function endpoint(tenantId: string, rcv: Receiver, retry: Record<string, unknown>): Promise<string> {
    if ((await srv.api('GET', `/v1/tenants/${tenantId}`)).status === 404) {
      expect((await srv.api('POST', '/v1/tenants', { id: tenantId, name: tenantId })).status).toBe(201)
    }
    const ep = await srv.api('POST', `/v1/tenants/${tenantId}/endpoints`, { url: `${rcv.url}/hook`, retry })
    expect(ep.status, JSON.stringify(ep.body)).toBe(201)
    return ep.body.id
  }

  /** The event's deliveries with their attempts, once none is pending. */
  async function finalDeliveries(tenantId: string, eventId: string): Promise<any[]> {
    const ds = await eventually(async () => {
      const r = await srv.api('GET', `/v1/tenants/${tenantId}/events/${eventId}`)
      const list = r.body.deliveries as any[] | undefined
      return list && list.length > 0 && list.every((d) => d.status !== 'pending') ? list : null
    }, DELIVERY_WAIT_MS)
    return Promise.all(ds.map(async (d) => (await srv.api('GET', `/v1/tenants/${tenantId}/deliveries/${d.id}`)).body))
  }
  const finalDelivery = async (tenantId: string, eventId: string): Promise<any> => (await finalDeliveries(tenantId, eventId))[0]

  it('replaces a dead sender thread, retries what it had in flight, and answers 503 on /healthz meanwhile', async () => {
    // The other tenant's attempt is in flight (its receiver never answers the first request) when the thread dies.
    let first = true
    const slow = await startReceiver(() => {
      if (!first) return { status: 200 }
      first = false
      return { hang: true }
    })
    // Holds every big request until the thread has died.
    const big = await startReceiver(() => ({ hang: true }))
    receivers.push(slow, big)
    await endpoint('restart-other', slow, { maxRetries: 3 })
    for (let i = 0; i < BIG_ENDPOINTS; i++) await endpoint('restart-big', big, { maxRetries: 0 })
    expect((await srv.api('GET', '/healthz', undefined, { token: null })).status).toBe(200)

    const other = await srv.api('POST', '/v1/tenants/restart-other/events', { type: 'x.y', payload: { n: 1 } })
    expect(other.status).toBe(202)
    await slow.waitForHits(1, DELIVERY_WAIT_MS)

    // Watch /healthz from now until the thread is back.
    const seen: Array<{ status: number; body: any }> = []
    let watching = true
    const watch = (async () => {
      while (watching) {
        const r = await srv.api('GET', '/healthz', undefined, { token: null }).catch(() => null)
        if (r) seen.push({ status: r.status, body: r.body })
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    })()
    const bigIds: string[] = []
    const blob = 'x'.repeat(BIG)
    for (let i = 0; i < BIG_EVENTS; i++) {
      const res = await srv.api('POST', '/v1/tenants/restart-big/events', { type: 'x.y', payload: { blob, i } })
      expect(res.status).toBe(202)
      bigIds.push(res.body.id)
    }
    await eventually(async () => seen.some((x) => x.status === 503), DELIVERY_WAIT_MS)
    big.setHandler(() => ({ status: 200 }))
    const bigAttempts: any[] = []
    for (const id of bigIds) for (const d of await finalDeliveries('restart-big', id)) bigAttempts.push(d.attempts[0])
    expect(bigAttempts).toHaveLength(BIG_ENDPOINTS * BIG_EVENTS)
    const stopped = bigAttempts.filter((a) => a.error?.kind === 'network' && /^sender thread stopped: /.test(a.error.message))
    expect(stopped.length).toBeGreaterThan(0)

    // The attempt in flight on the dead thread failed as a network error and was retried on the new one.
    const retried = await finalDelivery('restart-other', other.body.id)
    expect(retried.status).toBe('succeeded')
    expect(retried.attempts.map((a: any) => a.error?.kind ?? null)).toEqual(['network', null])
    expect(retried.attempts[0].error.message).toMatch(/^sender thread stopped: /)
    expect(slow.hits.length).toBeGreaterThanOrEqual(2)

    await eventually(async () => seen.length > 0 && seen[seen.length - 1]!.status === 200, DELIVERY_WAIT_MS)
    watching = false
    await watch
    const broken = seen.filter((s) => s.status === 503)
    expect(broken.length).toBeGreaterThan(0)
    expect(broken[0]!.body).toEqual({ status: 'unavailable', detail: expect.stringMatching(/^sender thread stopped: /) })
    // 503 only after a 200, and 200 again after the last 503.
    expect(seen.findIndex((s) => s.status === 503)).toBeGreaterThanOrEqual(0)
    expect(seen.at(-1)).toEqual({ status: 200, body: { status: 'ok' } })

    // Deliveries go on as usual on the new thread.
    const after = await srv.api('POST', '/v1/tenants/restart-other/events', { type: 'x.y', payload: { n: 2 } })
    expect((await finalDelivery('restart-other', after.body.id)).status).toBe('succeeded')
  }, 60_000)
})
