/**
 * What particular senders need from `/in/{sourceId}`, signed as they sign: Stripe's timestamp
 * tolerance as set on the source, Slack's URL verification. Over real HTTP, on SQLite, and on PostgreSQL in the second pass
 * of `npm test`.
 */
import { createHmac } from 'node:crypto'
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
  const { tenant, createSource, post, logsOnce, events } = inboundClient(() => srv)

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

  describe('Slack', () => {
    const secret = 'slack_signing_secret_0123456789abcdef'
    /** Slack's signature (api.slack.com/authentication/verifying-requests-from-slack): v0 HMAC of v0:{timestamp}:{body}. */
    const slackHeaders = (body: string, contentType = 'application/json'): Record<string, string> => {
      const ts = String(Math.floor(Date.now() / 1000))
      const sig = createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')
      return { 'content-type': contentType, 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${sig}` }
    }

    it('answers a signed URL verification with its challenge, logs it as accepted, and runs no mapping', async () => {
      const t = await tenant()
      const s = await createSource(t, { verification: { type: 'slack', secret }, eventTypePath: 'event.type', mappings: [{ eventType: '*', action: 'publish', publishAs: 'slack.event' }] })
      // As Slack sends it (api.slack.com/events/url_verification).
      const raw = JSON.stringify({ token: 'Jhj5dZrVaK7ZwHHjRyZWjbDl', challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P', type: 'url_verification' })
      const res = await post(`/in/${s.id}`, raw, slackHeaders(raw))
      expect({ status: res.status, body: res.body }).toEqual({ status: 200, body: { challenge: '3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P' } })
      expect(res.headers.get('content-type')).toMatch(/^application\/json/)
      const [log] = await logsOnce(t, s.id, 1)
      expect(log).toMatchObject({ status: 'accepted', eventType: 'url_verification', actions: [] })
      expect(await events(t)).toEqual([])

      // Only a verified one: unsigned, it is refused like any other request.
      expectProblem(await post(`/in/${s.id}`, raw), 401, 'verification_failed')
      // Events after it are taken and mapped as usual.
      const event = JSON.stringify({ type: 'event_callback', event_id: 'Ev1', event: { type: 'app_mention', text: 'hi' } })
      expect(await post(`/in/${s.id}`, event, slackHeaders(event))).toMatchObject({ status: 202, body: { eventType: 'app_mention' } })
      expect((await events(t)).map((e) => e.type)).toEqual(['slack.event'])
    })
  })
})
