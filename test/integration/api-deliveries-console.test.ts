/**
 * What the console reads deliveries with (API.md, "Events and deliveries"): the list's filters
 * (endpointId, eventId, eventType, status, since, until) newest first with cursor paging, each
 * delivery's eventType, the live stream of attempts (server-sent events), and recover's dryRun.
 * On both stores: on PostgreSQL the stream is fed through LISTEN/NOTIFY even in one process.
 * Network rule: the only traffic is to the server and the receiver on 127.0.0.1.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { openSse, type SseStream } from '../helpers/sse.js'
import { ADMIN_TOKEN, eventually } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, expectDeliveryShape, expectInvalid, expectList, expectProblem, ISO, useApiServer, walkPages } from './api-support.js'

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const T = '/v1/tenants/dc'

describe('deliveries for the console', () => {
  const ctx = useApiServer()
  let rcv: Receiver
  let ok: string
  let bad: string
  const streams: SseStream[] = []

  const publish = async (type: string, payload: Record<string, unknown> = {}) => {
    const res = await ctx.srv.api('POST', `${T}/events`, { type, payload })
    expect(res.status).toBe(202)
    return res.body.id as string
  }
  const settled = () =>
    eventually(async () => expectList(await ctx.srv.api('GET', `${T}/deliveries?status=pending`)).length === 0, DELIVERY_WAIT_MS)

  beforeAll(async () => {
    // /bad answers 400: failed at once, no retry.
    rcv = await startReceiver((req) => ({ status: req.url?.startsWith('/bad') ? 400 : 200 }))
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'dc', name: 'Console' })).status).toBe(201)
    expect((await ctx.srv.api('POST', '/v1/tenants', { id: 'dc-other', name: 'Other' })).status).toBe(201)
    ok = (await ctx.srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/ok`, eventTypes: ['order.*', 'user.*'] })).body.id
    bad = (await ctx.srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/bad`, eventTypes: ['order.*'] })).body.id
  })
  afterAll(async () => {
    for (const s of streams) s.close()
    await rcv?.close()
  })

  describe('the list', () => {
    let orderA: string
    let userB: string
    let orderC: string
    let between: string
    let afterB: string

    beforeAll(async () => {
      orderA = await publish('order.created', { n: 'a' })
      await sleep(5)
      between = new Date().toISOString()
      await sleep(5)
      userB = await publish('user.signed_up', { n: 'b' })
      await sleep(5)
      afterB = new Date().toISOString()
      await sleep(5)
      orderC = await publish('order.created', { n: 'c' })
      await settled()
    })

    it('is newest first and names each delivery event type', async () => {
      const all = expectList(await ctx.srv.api('GET', `${T}/deliveries`))
      expect(all).toHaveLength(5)
      for (const d of all) expectDeliveryShape(d)
      expect(all.map((d) => d.id)).toEqual([...all.map((d) => d.id)].sort().reverse())
      expect(all.map((d) => [d.eventId, d.eventType])).toEqual([
        [orderC, 'order.created'],
        [orderC, 'order.created'],
        [userB, 'user.signed_up'],
        [orderA, 'order.created'],
        [orderA, 'order.created'],
      ])
      // The event's own deliveries carry it too.
      const ev = await ctx.srv.api('GET', `${T}/events/${userB}`)
      expect(ev.body.deliveries.map((d: { eventType: string }) => d.eventType)).toEqual(['user.signed_up'])
    })

    it('filters by status, endpoint, event and event type, alone and together', async () => {
      const ids = async (q: string) => expectList(await ctx.srv.api('GET', `${T}/deliveries?${q}`)).map((d) => `${d.eventId}/${d.endpointId}/${d.status}`)
      expect(await ids('status=failed')).toEqual([`${orderC}/${bad}/failed`, `${orderA}/${bad}/failed`])
      expect(await ids('status=succeeded')).toEqual([`${orderC}/${ok}/succeeded`, `${userB}/${ok}/succeeded`, `${orderA}/${ok}/succeeded`])
      expect(await ids(`endpointId=${bad}`)).toEqual([`${orderC}/${bad}/failed`, `${orderA}/${bad}/failed`])
      expect(await ids('eventType=user.signed_up')).toEqual([`${userB}/${ok}/succeeded`])
      expect(await ids(`eventType=order.created&endpointId=${ok}`)).toEqual([`${orderC}/${ok}/succeeded`, `${orderA}/${ok}/succeeded`])
      expect(await ids(`eventType=order.created&status=failed&eventId=${orderA}`)).toEqual([`${orderA}/${bad}/failed`])
      // A type is matched exactly: no prefix, no pattern.
      expect(await ids('eventType=order')).toEqual([])
      expect(await ids('eventType=order.*')).toEqual([])
    })

    it('filters by creation time: since inclusive, until exclusive, both for a window', async () => {
      const events = async (q: string) => [...new Set(expectList(await ctx.srv.api('GET', `${T}/deliveries?${q}`)).map((d) => d.eventId))]
      expect(await events(`since=${between}`)).toEqual([orderC, userB])
      expect(await events(`until=${between}`)).toEqual([orderA])
      expect(await events(`since=${between}&until=${afterB}`)).toEqual([userB])
      expect(await events(`since=${afterB}&until=${between}`)).toEqual([])
      // A date without a time, far back, takes everything; the id bound does not cut it short.
      expect(await events('since=2000-01-01')).toEqual([orderC, userB, orderA])
      const one = expectList(await ctx.srv.api('GET', `${T}/deliveries?eventId=${userB}`))[0]
      expect(await events(`since=${encodeURIComponent(one.createdAt)}&until=${encodeURIComponent(new Date(Date.parse(one.createdAt) + 1).toISOString())}`)).toEqual([userB])
    })

    it('pages through a filtered list with the same filters, each item once', async () => {
      const { items, pages } = await walkPages(ctx.srv, `${T}/deliveries?eventType=order.created&since=2000-01-01T00:00:00Z`, 1)
      expect(pages).toBe(5) // 4 items, then an empty page after the last full one
      expect(items.map((d) => d.eventId)).toEqual([orderC, orderC, orderA, orderA])
    })

    it('refuses a time that is not ISO 8601 with 422 naming the query field', async () => {
      expectInvalid(await ctx.srv.api('GET', `${T}/deliveries?since=yesterday`), '/query/since')
      expectInvalid(await ctx.srv.api('GET', `${T}/deliveries?until=2026-02-30T00:00:00Z`), '/query/until')
      expectInvalid(await ctx.srv.api('GET', `${T}/deliveries?status=lost`), '/query/status')
    })
  })

  describe('the live stream', () => {
    it('sends each attempt of the tenant as it is recorded, with a comment first', async () => {
      const s = await openSse(`${ctx.srv.url}${T}/deliveries/stream`, ADMIN_TOKEN)
      streams.push(s)
      expect(s.status).toBe(200)
      expect(s.headers.get('content-type')).toMatch(/^text\/event-stream/)
      expect(s.headers.get('cache-control')).toBe('no-store')
      const other = await openSse(`${ctx.srv.url}/v1/tenants/dc-other/deliveries/stream`, ADMIN_TOKEN)
      streams.push(other)

      const evt = await publish('order.shipped', { live: true })
      const seen = await s.waitFor('attempt', (a) => a.eventId === evt, 2)
      expect(s.comments.length).toBeGreaterThanOrEqual(1)
      const byEndpoint = Object.fromEntries(seen.map((a) => [a.endpointId, a]))
      expect(byEndpoint[ok]).toEqual({
        deliveryId: expect.stringMatching(/^dlv_/),
        eventId: evt,
        endpointId: ok,
        attemptNumber: 1,
        success: true,
        status: 200,
        durationMs: expect.any(Number),
        startedAt: expect.stringMatching(ISO),
        attemptId: expect.stringMatching(/^att_/),
        eventType: 'order.shipped',
        trigger: 'scheduled',
        deliveryStatus: 'succeeded',
        errorKind: null,
      })
      expect(byEndpoint[bad]).toMatchObject({ success: false, status: 400, deliveryStatus: 'failed', errorKind: 'http' })
      // The attempt the stream named is the one the API shows.
      const d = await ctx.srv.api('GET', `${T}/deliveries/${byEndpoint[ok].deliveryId}`)
      expect(d.body.attempts.map((a: { id: string }) => a.id)).toEqual([byEndpoint[ok].attemptId])

      // Retries and test sends arrive too, with their trigger.
      expect((await ctx.srv.api('POST', `${T}/deliveries/${byEndpoint[bad].deliveryId}/retry`)).status).toBe(202)
      const [manual] = await s.waitFor('attempt', (a) => a.deliveryId === byEndpoint[bad].deliveryId && a.attemptNumber === 2)
      expect(manual).toMatchObject({ trigger: 'manual', success: false, status: 400 })
      const test = await ctx.srv.api('POST', `${T}/endpoints/${ok}/test`, {})
      expect(test.status).toBe(200)
      const [sent] = await s.waitFor('attempt', (a) => a.attemptId === test.body.id)
      expect(sent).toMatchObject({ trigger: 'test', success: true, status: 200, eventType: 'webhook.test', deliveryStatus: 'succeeded' })

      // Nothing of this tenant reached the other tenant's stream.
      await sleep(200)
      expect(other.events).toEqual([])
    })

    it('narrows to one endpoint with ?endpointId=', async () => {
      const s = await openSse(`${ctx.srv.url}${T}/deliveries/stream?endpointId=${bad}`, ADMIN_TOKEN)
      streams.push(s)
      const evt = await publish('order.narrowed')
      await s.waitFor('attempt', (a) => a.eventId === evt)
      await settled()
      await sleep(200)
      expect(s.events.map((e) => JSON.parse(e.data).endpointId)).toEqual([bad])
    })

    it("is refused like any read: 401 without a token, 403 for another tenant's key, 404 for an unknown tenant", async () => {
      expectProblem(await ctx.srv.api('GET', `${T}/deliveries/stream`, undefined, { token: null }), 401, 'unauthorized')
      const key = (await ctx.srv.api('POST', '/v1/tenants/dc-other/api-keys', { name: 'k' })).body.key
      expectProblem(await ctx.srv.api('GET', `${T}/deliveries/stream`, undefined, { token: key }), 403, 'forbidden')
      expectProblem(await ctx.srv.api('GET', '/v1/tenants/dc-nobody/deliveries/stream'), 404, 'not_found')
    })

    it("a portal token's stream ends once its session is revoked", async () => {
      const session = await ctx.srv.api('POST', `${T}/portal-sessions`, { capabilities: [] })
      const s = await openSse(`${ctx.srv.url}${T}/deliveries/stream`, session.body.token)
      streams.push(s)
      expect(s.status).toBe(200)
      const evt = await publish('user.live')
      await s.waitFor('attempt', (a) => a.eventId === evt)
      expect((await ctx.srv.api('DELETE', `${T}/portal-sessions/${session.body.id}`)).status).toBe(204)
      await Promise.race([s.ended, sleep(10_000).then(() => Promise.reject(new Error('the stream did not end after the revocation')))])
    })
  })

  describe('recover', () => {
    it('with dryRun counts the failed deliveries it would re-queue and re-queues nothing', async () => {
      await settled()
      const failed = expectList(await ctx.srv.api('GET', `${T}/deliveries?status=failed&endpointId=${bad}&limit=250`))
      expect(failed.length).toBeGreaterThan(0)
      const hits = rcv.hits.length
      const dry = await ctx.srv.api('POST', `${T}/endpoints/${bad}/recover`, { since: '2000-01-01T00:00:00Z', dryRun: true })
      expect(dry.status).toBe(200)
      expect(dry.body).toEqual({ count: failed.length })
      await sleep(300)
      expect(rcv.hits.length).toBe(hits)
      expect(expectList(await ctx.srv.api('GET', `${T}/deliveries?status=failed&endpointId=${bad}&limit=250`))).toHaveLength(failed.length)
      // A since after them all counts none.
      expect((await ctx.srv.api('POST', `${T}/endpoints/${bad}/recover`, { since: new Date(Date.now() + 60_000).toISOString(), dryRun: true })).body).toEqual({ count: 0 })
      // dryRun false is the real thing: 202, the same count, and the attempts happen.
      const real = await ctx.srv.api('POST', `${T}/endpoints/${bad}/recover`, { since: '2000-01-01T00:00:00Z', dryRun: false })
      expect(real.status).toBe(202)
      expect(real.body).toEqual({ count: failed.length })
      await rcv.waitForHits(hits + failed.length, DELIVERY_WAIT_MS)
      expectInvalid(await ctx.srv.api('POST', `${T}/endpoints/${bad}/recover`, { since: '2000-01-01T00:00:00Z', dryRun: 'yes' }), '/dryRun')
    })
  })
})
