/**
 * What particular senders need from `/in/{sourceId}`, signed as they sign: Stripe's timestamp
 * tolerance as set on the source, Slack's URL verification, form-encoded bodies (GitHub's default,
 * Slack's slash commands and interactivity), Segment's messageId. Over real HTTP, on SQLite, and on PostgreSQL in the second pass
 * of `npm test`.
 */
import { createHmac } from 'node:crypto'
import { sign as githubSign } from '@octokit/webhooks-methods'
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { expectProblem, useApiServer } from './api-support.js'
import { inboundClient } from './inbound-support.js'

describe('inbound providers', () => {
  const ctx = useApiServer()
  const { tenant, createSource, post, logsOnce, events } = inboundClient(() => ctx.srv)

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

  describe('form-encoded bodies', () => {
    const FORM = 'application/x-www-form-urlencoded'

    it("takes GitHub's default content type: the JSON in the payload field, signed as GitHub signs the form", async () => {
      const t = await tenant()
      const secret = 'gh_form_secret_0123456789'
      const s = await createSource(t, { verification: { type: 'github', secret }, eventTypePath: '$headers.X-GitHub-Event', mappings: [{ eventType: '*', action: 'publish', publishAs: 'gh.event', fields: { number: 'issue.number', title: 'issue.title' } }] })
      const json = { action: 'opened', issue: { number: 7, title: 'Crash on "save" & exit +1' } }
      const raw = new URLSearchParams({ payload: JSON.stringify(json) }).toString()
      const headers = { 'content-type': FORM, 'x-github-event': 'issues', 'x-hub-signature-256': await githubSign(secret, raw) }
      expect(await post(`/in/${s.id}`, raw, headers)).toMatchObject({ status: 202, body: { eventType: 'issues' } })
      expect((await events(t)).map((e) => e.payload)).toEqual([{ number: 7, title: 'Crash on "save" & exit +1' }])
      // The signature is over the bytes received, form or not.
      expectProblem(await post(`/in/${s.id}`, `${raw}&x=1`, headers), 401, 'verification_failed')
    })

    it('takes a Slack slash command as its fields, and Slack interactivity as the JSON in its payload field', async () => {
      const t = await tenant()
      const secret = 'slack_signing_secret_0123456789abcdef'
      const slackHeaders = (body: string): Record<string, string> => {
        const ts = String(Math.floor(Date.now() / 1000))
        return { 'content-type': FORM, 'x-slack-request-timestamp': ts, 'x-slack-signature': `v0=${createHmac('sha256', secret).update(`v0:${ts}:${body}`).digest('hex')}` }
      }
      const commands = await createSource(t, { verification: { type: 'slack', secret }, eventTypePath: 'command', mappings: [{ eventType: '*', action: 'publish', publishAs: 'slack.command', fields: { text: 'text', user: 'user_name' } }] })
      const command = 'token=gIkuvaNzQIHg97ATvDxqgjtO&team_id=T0001&channel_id=C2147483705&user_id=U2147483697&user_name=Steve&command=%2Fweather&text=94070+today&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1234%2F5678'
      expect(await post(`/in/${commands.id}`, command, slackHeaders(command))).toMatchObject({ status: 202, body: { eventType: '/weather' } })

      const clicks = await createSource(t, { verification: { type: 'slack', secret }, eventTypePath: 'type', mappings: [{ eventType: 'block_actions', action: 'publish', publishAs: 'slack.click', fields: { action: 'actions.0.action_id' } }] })
      const click = `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U1' }, actions: [{ action_id: 'approve' }] }))}`
      expect(await post(`/in/${clicks.id}`, click, slackHeaders(click))).toMatchObject({ status: 202, body: { eventType: 'block_actions' } })
      expect((await events(t)).map((e) => [e.type, e.payload])).toEqual([
        ['slack.click', { action: 'approve' }],
        ['slack.command', { text: '94070 today', user: 'Steve' }],
      ])
    })

    it('refuses a malformed form, or a payload field that is not JSON, with 400 as malformed JSON, and logs it', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [{ eventType: '*', action: 'publish' }] })
      expectProblem(await post(`/in/${s.id}`, 'text=100%', { 'content-type': FORM }), 400, 'malformed_json')
      expectProblem(await post(`/in/${s.id}`, 'payload=%7B%22half', { 'content-type': FORM }), 400, 'malformed_json')
      const rows = await logsOnce(t, s.id, 2)
      expect(rows.map((r) => [r.status, r.error])).toEqual([
        ['invalid', 'the payload field of the form is not valid JSON'],
        ['invalid', 'a percent-escape is malformed or not UTF-8'],
      ])
      expect(await events(t)).toEqual([])
    })
  })

  describe('Segment', () => {
    const track = (messageId: string | undefined, orderId: string) => JSON.stringify({ type: 'track', event: 'Order Completed', userId: 'u-1', properties: { orderId }, ...(messageId ? { messageId } : {}) })

    it('de-duplicates track calls by messageId when the source has no idempotency setting', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [{ eventType: '*', action: 'publish', publishAs: 'order.completed' }] })
      // Segment retries a call with the same messageId.
      for (let i = 0; i < 2; i++) expect((await post(`/in/${s.id}/track`, track('ajs-msg-1', 'o-1'))).status).toBe(204)
      expect((await post(`/in/${s.id}/track`, track('ajs-msg-2', 'o-1'))).status).toBe(204)
      // Calls without one are each processed.
      for (let i = 0; i < 2; i++) expect((await post(`/in/${s.id}/track`, track(undefined, 'o-1'))).status).toBe(204)
      expect(await events(t)).toHaveLength(4)
      const rows = await logsOnce(t, s.id, 5)
      expect(rows.map((r) => [r.status, r.idempotencyKey, r.actions.length]).reverse()).toEqual([
        ['accepted', 'ajs-msg-1', 1],
        ['duplicate', 'ajs-msg-1', 0],
        ['accepted', 'ajs-msg-2', 1],
        ['accepted', null, 1],
        ['accepted', null, 1],
      ])
    })

    it("keeps the source's own idempotency setting over messageId", async () => {
      const t = await tenant()
      const s = await createSource(t, { idempotency: { keyPath: 'properties.orderId' }, mappings: [{ eventType: '*', action: 'publish', publishAs: 'order.completed' }] })
      expect((await post(`/in/${s.id}/track`, track('ajs-msg-1', 'o-1'))).status).toBe(204)
      expect((await post(`/in/${s.id}/track`, track('ajs-msg-1', 'o-2'))).status).toBe(204)
      expect((await post(`/in/${s.id}/track`, track('ajs-msg-3', 'o-2'))).status).toBe(204)
      expect((await events(t)).map((e) => e.payload.properties.orderId)).toEqual(['o-2', 'o-1'])
      expect((await logsOnce(t, s.id, 3)).map((r) => [r.status, r.idempotencyKey])).toEqual([
        ['duplicate', 'o-2'],
        ['accepted', 'o-2'],
        ['accepted', 'o-1'],
      ])
    })
  })
})
