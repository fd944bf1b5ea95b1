/**
 * Delivery under load: the per-endpoint concurrency limit, no head-of-line blocking across
 * endpoints, idempotent publishing under concurrency, and group commit. Every request goes to
 * 127.0.0.1.
 */
import { describe, expect, it } from 'vitest'
import { useFixture, sleep } from '../helpers/fixture.js'
import { sampleOf } from '../helpers/metrics.js'
import { eventually } from '../helpers/server.js'


function metric(text: string, name: string): number {
  const value = sampleOf(text, name)
  if (value === undefined) throw new Error(`metric ${name} not found`)
  return value
}

describe.concurrent('delivery concurrency', () => {
  const f = useFixture('con')
  const { receiver, tenant, endpoint } = f

  it('keeps to rateLimitPerSecond: one second of burst, then the rate', async () => {
    const t = await tenant()
    const rcv = await receiver()
    await endpoint(t, { url: `${rcv.url}/limited`, rateLimitPerSecond: 2 })
    for (let i = 0; i < 6; i++) expect((await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'rate.test', payload: { i } })).status).toBe(202)
    const hits = await rcv.waitForHits(6, 15_000)
    // 2 at once (the burst), then one every 500 ms: the 6th no sooner than ~2 s after the 1st.
    expect(hits[5]!.receivedAt - hits[0]!.receivedAt).toBeGreaterThanOrEqual(1500)
  })

  it('sends at most 16 requests at a time to one endpoint', async () => {
    const t = await tenant()
    let current = 0
    let peak = 0
    const rcv = await receiver(async () => {
      current++
      peak = Math.max(peak, current)
      await sleep(800)
      current--
      return { status: 200 }
    })
    await endpoint(t, { url: `${rcv.url}/held` })
    const pubs = await Promise.all(
      Array.from({ length: 40 }, (_, i) => f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'load.test', payload: { i } })),
    )
    expect(pubs.every((p) => p.status === 202)).toBe(true)
    await rcv.waitForHits(40, 15_000)
    await eventually(async () => current === 0)
    expect(peak).toBeLessThanOrEqual(16)
    // The limit is a ceiling, not a queue of one: the endpoint does get parallel requests.
    expect(peak).toBeGreaterThanOrEqual(8)
  })

  it('a hanging endpoint does not hold back another endpoint', async () => {
    const t = await tenant()
    const slow = await receiver(() => ({ hang: true }))
    const fast = await receiver()
    await endpoint(t, { url: `${slow.url}/hang`, eventTypes: ['slow.event'], timeoutSeconds: 10, retry: { maxRetries: 0 } })
    await endpoint(t, { url: `${fast.url}/fast`, eventTypes: ['fast.event'] })
    for (let i = 0; i < 50; i++) {
      const p = await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'slow.event', payload: { i } })
      expect(p.body.deliveryCount).toBe(1)
    }
    await slow.waitForHits(1)
    const started = Date.now()
    await Promise.all(
      Array.from({ length: 20 }, (_, i) => f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'fast.event', payload: { i } })),
    )
    await fast.waitForHits(20, 8000)
    // Well before the slow endpoint's first 10 s timeouts could free a slot.
    expect(Date.now() - started).toBeLessThan(8000)
    expect(slow.hits.length).toBeLessThanOrEqual(16)
  })

  it('20 concurrent publishes with one idempotency key create one event and one delivery', async () => {
    const t = await tenant()
    const rcv = await receiver()
    await endpoint(t, { url: `${rcv.url}/once` })
    const key = `order-42-${Date.now()}`
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.paid', payload: { order: 42 }, idempotencyKey: key })
          : f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.paid', payload: { order: 42 } }, { headers: { 'idempotency-key': key } }),
      ),
    )
    const statuses = results.map((r) => r.status)
    expect(statuses.filter((s) => s === 202)).toHaveLength(1)
    expect(statuses.filter((s) => s === 200)).toHaveLength(19)
    const ids = new Set(results.map((r) => r.body.id))
    expect(ids.size).toBe(1)
    const [eventId] = ids
    const deliveries = await f.srv.api('GET', `/v1/tenants/${t}/deliveries`)
    expect(deliveries.body.data).toHaveLength(1)
    expect(deliveries.body.data[0].eventId).toBe(eventId)
    const events = await f.srv.api('GET', `/v1/tenants/${t}/events`)
    expect(events.body.data).toHaveLength(1)
    await rcv.waitForHits(1)
    await sleep(300)
    expect(rcv.hits).toHaveLength(1)
  })
})

describe('group commit', () => {
  const f = useFixture('gc')

  it('200 concurrent publishes share commits', async () => {
    const rcv = await f.receiver()
    expect((await f.srv.api('POST', '/v1/tenants', { id: 'gc', name: 'Group commit' })).status).toBe(201)
    expect((await f.srv.api('POST', '/v1/tenants/gc/endpoints', { url: `${rcv.url}/gc` })).status).toBe(201)
    const before = (await f.srv.api('GET', '/metrics', undefined, { token: null })).body as string
    const commitsBefore = metric(before, 'hookrelay_publish_group_size_count')
    const sumBefore = metric(before, 'hookrelay_publish_group_size_sum')

    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => f.srv.api('POST', '/v1/tenants/gc/events', { type: 'bulk.item', payload: { i } })),
    )
    expect(results.map((r) => r.status)).toEqual(Array(200).fill(202))
    expect(new Set(results.map((r) => r.body.id)).size).toBe(200)

    const after = (await f.srv.api('GET', '/metrics', undefined, { token: null })).body as string
    const commits = metric(after, 'hookrelay_publish_group_size_count') - commitsBefore
    expect(metric(after, 'hookrelay_publish_group_size_sum') - sumBefore).toBe(200)
    expect(commits).toBeGreaterThanOrEqual(1)
    expect(commits).toBeLessThan(200)
    await rcv.waitForHits(200, 10_000)
  })
})
