/**
 * `deliveries.stream` against a real server on loopback (API.md, "Events and deliveries": the
 * attempts stream): it yields attempts made after it subscribed, `break` and the abort signal close
 * the connection (the server's own count of open streams, hookrelay_attempt_streams, goes back to
 * zero), a dropped connection is opened again and goes on yielding, and a refused stream throws.
 * Runs on both stores (the PostgreSQL pass sets HOOKRELAY_TEST_STORE: attempts then reach the
 * stream through LISTEN/NOTIFY).
 */
import { describe, expect, it } from 'vitest'
import { readMetrics, sampleOf } from '../../test/helpers/metrics.js'
import { eventually } from '../../test/helpers/server.js'
import { startTcpRelay } from '../../test/helpers/tcp-relay.js'
import { HookrelayError, type AttemptNotice } from '../src/index.js'
import { endpointAt, useSdkServerAndReceiver } from './helpers.js'

describe('deliveries.stream on a real server', () => {
  const env = useSdkServerAndReceiver()

  /** Streams the server holds open now, as it counts them. */
  const openStreams = async (): Promise<number> => sampleOf(await readMetrics(env.s.srv.url), 'hookrelay_attempt_streams') ?? NaN
  const streamsAre = (n: number): Promise<boolean> => eventually(async () => (await openStreams()) === n, 10_000)

  it('yields an attempt made after it subscribed, and break closes the connection', async () => {
    const { tenantId, endpointId } = await endpointAt(env.s.hr, `${env.receiver.url}/stream`)
    const seen: AttemptNotice[] = []
    const loop = (async () => {
      for await (const attempt of env.s.hr.deliveries.stream(tenantId)) {
        seen.push(attempt)
        break
      }
    })()
    await streamsAre(1)
    const event = await env.s.hr.events.publish(tenantId, { type: 'order.created', payload: { n: 1 } })
    await loop
    expect(seen).toHaveLength(1)
    expect(seen[0]).toMatchObject({ eventId: event.id, endpointId, eventType: 'order.created', attemptNumber: 1, success: true, status: 200, trigger: 'scheduled', deliveryStatus: 'succeeded', errorKind: null })
    expect(seen[0]!.deliveryId).toMatch(/^dlv_/)
    expect(Date.parse(seen[0]!.startedAt)).not.toBeNaN()
    await streamsAre(0)
  })

  it('narrows to one endpoint, and the abort signal ends the loop without an error and closes the connection', async () => {
    const { tenantId, endpointId } = await endpointAt(env.s.hr, `${env.receiver.url}/one`)
    const other = await env.s.hr.endpoints.create(tenantId, { url: `${env.receiver.url}/other`, retry: { enabled: false } })
    const controller = new AbortController()
    const seen: AttemptNotice[] = []
    const loop = (async () => {
      for await (const attempt of env.s.hr.deliveries.stream(tenantId, { endpointId: other.id, signal: controller.signal })) seen.push(attempt)
    })()
    await streamsAre(1)
    const event = await env.s.hr.events.publish(tenantId, { type: 'order.created', payload: { n: 2 } })
    await eventually(async () => seen.length > 0, 10_000)
    // Both endpoints got the event; the stream told only of the one it was asked for.
    await eventually(async () => {
      const deliveries = (await env.s.hr.events.get(tenantId, event.id)).deliveries
      return deliveries.length === 2 && deliveries.every((d) => d.status === 'succeeded')
    }, 10_000)
    controller.abort()
    await loop
    expect(seen.map((a) => [a.eventId, a.endpointId])).toEqual([[event.id, other.id]])
    expect(seen.some((a) => a.endpointId === endpointId)).toBe(false)
    await streamsAre(0)
  })

  it('opens a dropped connection again and goes on yielding', async () => {
    const { tenantId } = await endpointAt(env.s.hr, `${env.receiver.url}/dropped`)
    const relay = await startTcpRelay(env.s.srv.url)
    try {
      const controller = new AbortController()
      const seen: AttemptNotice[] = []
      const loop = (async () => {
        for await (const attempt of env.s.client({ baseUrl: relay.url }).deliveries.stream(tenantId, { signal: controller.signal })) seen.push(attempt)
      })()
      await streamsAre(1)
      const before = await env.s.hr.events.publish(tenantId, { type: 'order.created', payload: { n: 3 } })
      await eventually(async () => seen.length === 1, 10_000)

      // The connection drops; the client's next one is held at the relay until the server has
      // seen the first close, then passed on: the server then serves the new stream.
      relay.hold()
      relay.drop()
      await streamsAre(0)
      await eventually(async () => relay.connections === 2, 10_000)
      relay.resume()
      await streamsAre(1)
      const after = await env.s.hr.events.publish(tenantId, { type: 'order.created', payload: { n: 4 } })
      await eventually(async () => seen.length === 2, 10_000)
      controller.abort()
      await loop
      expect(seen.map((a) => a.eventId)).toEqual([before.id, after.id])
      await streamsAre(0)
    } finally {
      await relay.close()
    }
  })

  it("throws the server's problem at once when the stream is refused", async () => {
    const firstOf = async <T>(items: AsyncIterable<T>): Promise<T | undefined> => {
      for await (const item of items) return item
      return undefined
    }
    const err = await firstOf(env.s.hr.deliveries.stream('no-such-tenant')).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HookrelayError)
    expect(err).toMatchObject({ status: 404, code: 'not_found' })
    const denied = await firstOf(env.s.client({ token: 'wrong' }).deliveries.stream('no-such-tenant')).catch((e: unknown) => e)
    expect(denied).toMatchObject({ status: 401, code: 'unauthorized' })
  })
})
