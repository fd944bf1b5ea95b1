/**
 * API.md "Events and deliveries": while an attempt is in flight the delivery shows
 * `nextAttemptAt: null` and `inFlight: true` (not the lease's end, minutes out); `inFlight` is
 * always present. A real receiver on 127.0.0.1 holds the attempt until the test lets it answer.
 * Runs on SQLite, and on PostgreSQL with HOOKRELAY_TEST_STORE=postgres.
 */
import { describe, expect, it } from 'vitest'
import { useFixture } from '../helpers/fixture.js'
import { eventually } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, expectDeliveryShape, ISO } from './api-support.js'

const HOUR_MS = 3600 * 1000

describe('a delivery in flight', () => {
  const f = useFixture('infl')

  it('shows inFlight true and nextAttemptAt null while a slow receiver holds the attempt, in get, list and the event', async () => {
    const t = await f.tenant()
    // The receiver holds each request until `answer` is called with its status.
    let answer: (status: number) => void = () => {}
    const rcv = await f.receiver(() => new Promise((resolve) => (answer = (status) => resolve({ status }))))
    // A failure waits an hour for its retry: long past the lease (300 s), so the two cannot be confused.
    const ep = await f.endpoint(t, { url: `${rcv.url}/slow`, retry: { maxRetries: 1, schedule: [3600] } })
    const pub = await f.srv.api('POST', `/v1/tenants/${t}/events`, { type: 'order.created', payload: { n: 1 } })
    expect(pub.status).toBe(202)
    await rcv.waitForHits(1, DELIVERY_WAIT_MS)

    const list = await f.srv.api('GET', `/v1/tenants/${t}/deliveries?eventId=${pub.body.id}`)
    expect(list.status).toBe(200)
    const listed = list.body.data[0]
    expectDeliveryShape(listed)
    expect(listed).toMatchObject({ endpointId: ep.id, status: 'pending', attemptCount: 0, nextAttemptAt: null, inFlight: true })
    const id = listed.id as string
    const detail = await f.srv.api('GET', `/v1/tenants/${t}/deliveries/${id}`)
    expect(detail.body).toMatchObject({ id, status: 'pending', attemptCount: 0, nextAttemptAt: null, inFlight: true, attempts: [] })
    const event = await f.srv.api('GET', `/v1/tenants/${t}/events/${pub.body.id}`)
    expect(event.body.deliveries).toEqual([expect.objectContaining({ id, nextAttemptAt: null, inFlight: true })])

    // The receiver fails it: no longer in flight, and due at the retry an hour out, not at a lease's end.
    const failedAt = Date.now()
    answer(500)
    const waiting = await eventually(async () => {
      const d = (await f.srv.api('GET', `/v1/tenants/${t}/deliveries/${id}`)).body
      return d.attemptCount === 1 ? d : null
    }, DELIVERY_WAIT_MS)
    expect(waiting).toMatchObject({ status: 'pending', inFlight: false, nextAttemptAt: expect.stringMatching(ISO) })
    const due = Date.parse(waiting.nextAttemptAt)
    expect(due).toBeGreaterThan(failedAt + HOUR_MS - 60_000)
    expect(due).toBeLessThan(Date.now() + HOUR_MS + 0.1 * HOUR_MS + 60_000)
    const relisted = (await f.srv.api('GET', `/v1/tenants/${t}/deliveries?eventId=${pub.body.id}`)).body.data[0]
    expect(relisted).toMatchObject({ id, inFlight: false, nextAttemptAt: waiting.nextAttemptAt })

    // A manual retry is in flight again while held; once it succeeds, final: no next attempt, not in flight.
    expect((await f.srv.api('POST', `/v1/tenants/${t}/deliveries/${id}/retry`)).body).toMatchObject({ status: 'pending', inFlight: false })
    await rcv.waitForHits(2, DELIVERY_WAIT_MS)
    const held = await eventually(async () => {
      const d = (await f.srv.api('GET', `/v1/tenants/${t}/deliveries/${id}`)).body
      return d.inFlight === true ? d : null
    }, DELIVERY_WAIT_MS)
    expect(held).toMatchObject({ status: 'pending', attemptCount: 1, nextAttemptAt: null })
    answer(200)
    const done = await eventually(async () => {
      const d = (await f.srv.api('GET', `/v1/tenants/${t}/deliveries/${id}`)).body
      return d.status === 'succeeded' ? d : null
    }, DELIVERY_WAIT_MS)
    expect(done).toMatchObject({ attemptCount: 2, nextAttemptAt: null, inFlight: false })
  })
})
