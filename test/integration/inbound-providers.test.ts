/**
 * What particular senders need from `/in/{sourceId}`, signed as they sign: Stripe's timestamp
 * tolerance as set on the source. Over real HTTP, on SQLite, and on PostgreSQL in the second pass
 * of `npm test`.
 */
import Stripe from 'stripe'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { expectProblem, guardAgainst5xx } from './api-support.js'
import { inboundClient } from './inbound-support.js'

describe('inbound providers', () => {
  let srv: TestServer
  let check5xx: () => void
  beforeAll(async () => {
    srv = await startTestServer()
    check5xx = guardAgainst5xx(srv)
  })
  afterEach(() => check5xx())
  afterAll(async () => {
    await srv?.close()
  })
  const { tenant, createSource, post } = inboundClient(() => srv)

  describe('Stripe', () => {
    const secret = 'whsec_stripe_tolerance_0123456789'
    const raw = JSON.stringify({ id: 'evt_1Tolerance', type: 'invoice.paid' })
    /** Signed by Stripe's library 900 s ago, as a delivery Stripe retried late (or a skewed clock) would be. */
    const signedAgo = (seconds: number) => Stripe.webhooks.generateTestHeaderString({ payload: raw, secret, timestamp: Math.floor(Date.now() / 1000) - seconds })

    it("refuses a signature 900 s old with the default tolerance (300 s), and takes it with the source's toleranceSeconds 1000", async () => {
      const t = await tenant()
      const strict = await createSource(t, { verification: { type: 'stripe', secret }, eventTypePath: 'type' })
      const lenient = await createSource(t, { verification: { type: 'stripe', secret, toleranceSeconds: 1000 }, eventTypePath: 'type' })
      expect(strict.verification.toleranceSeconds).toBe(300)
      expect(lenient.verification.toleranceSeconds).toBe(1000)
      expectProblem(await post(`/in/${strict.id}`, raw, { 'stripe-signature': signedAgo(900) }), 401, 'verification_failed')
      expect(await post(`/in/${lenient.id}`, raw, { 'stripe-signature': signedAgo(900) })).toMatchObject({ status: 202, body: { eventType: 'invoice.paid' } })
      // Past the source's own tolerance it is stale again.
      expectProblem(await post(`/in/${lenient.id}`, raw, { 'stripe-signature': signedAgo(1100) }), 401, 'verification_failed')
    })
  })
})
