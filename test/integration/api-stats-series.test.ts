/**
 * API.md "Endpoints": `GET .../endpoints/{id}/stats/series` and `GET /v1/tenants/{t}/stats/series`.
 * Real deliveries and test sends to a receiver on 127.0.0.1, then the series: one item per bucket
 * (empty ones included), aligned to the UTC clock, counting attempts by when they started; the
 * window's bounds and refusals; who may read it. Runs on both stores (HOOKRELAY_TEST_STORE).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, expectInvalid, expectList, expectProblem, ISO, useApiServer } from './api-support.js'

const T = '/v1/tenants/ss'
const MIN = 60_000
const HOUR = 3_600_000

describe('stats series', () => {
  const ctx = useApiServer()
  let rcv: Receiver
  let ok: string
  let bad: string
  let quiet: string
  let started: number

  beforeAll(async () => {
    rcv = await startReceiver((req) => ({ status: req.url?.startsWith('/bad') ? 400 : 200 }))
    const { srv } = ctx
    expect((await srv.api('POST', '/v1/tenants', { id: 'ss', name: 'Series' })).status).toBe(201)
    expect((await srv.api('POST', '/v1/tenants', { id: 'ss-other', name: 'Other' })).status).toBe(201)
    ok = (await srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/ok`, eventTypes: ['order.*'] })).body.id
    bad = (await srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/bad`, eventTypes: ['order.*'] })).body.id
    quiet = (await srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/ok`, eventTypes: ['never'] })).body.id
    started = Date.now()
    for (let i = 0; i < 3; i++) expect((await srv.api('POST', `${T}/events`, { type: 'order.paid', payload: { i } })).status).toBe(202)
    expect((await srv.api('POST', `${T}/endpoints/${ok}/test`, {})).status).toBe(200)
    await eventually(async () => expectList(await srv.api('GET', `${T}/deliveries?status=pending`)).length === 0, DELIVERY_WAIT_MS)
  })
  afterAll(async () => {
    await rcv?.close()
  })

  const sum = (data: Array<Record<string, number>>, k: string) => data.reduce((n, d) => n + d[k]!, 0)

  it("answers every minute bucket of an endpoint's window, aligned to the clock, empty ones with zeros and null times", async () => {
    const since = new Date(started - 10 * MIN).toISOString()
    const until = new Date(Date.now() + 2 * MIN).toISOString()
    const res = await ctx.srv.api('GET', `${T}/endpoints/${ok}/stats/series?since=${since}&until=${until}&bucket=1m`)
    expect(res.status, JSON.stringify(res.body)).toBe(200)
    expect(res.body.bucket).toBe('1m')
    const data = res.body.data as Array<Record<string, any>>
    const first = Math.floor((started - 10 * MIN) / MIN) * MIN
    expect(data.length).toBeGreaterThanOrEqual(12)
    data.forEach((d, i) => {
      expect(d.start).toMatch(ISO)
      expect(Date.parse(d.start)).toBe(first + i * MIN)
      expect(Object.keys(d).sort()).toEqual(['attempts', 'avgResponseMs', 'failed', 'p95ResponseMs', 'start', 'succeeded'])
      if (d.attempts === 0) expect(d).toMatchObject({ succeeded: 0, failed: 0, avgResponseMs: null, p95ResponseMs: null })
      else expect(d.avgResponseMs).toEqual(expect.any(Number))
    })
    // Three deliveries and a test send, all answered 200.
    expect(sum(data, 'attempts')).toBe(4)
    expect(sum(data, 'succeeded')).toBe(4)
    expect(sum(data, 'failed')).toBe(0)
    expect(data[0]!.attempts).toBe(0)
  })

  it('counts failures, and an endpoint with no attempts has a row of zeros per bucket', async () => {
    const res = await ctx.srv.api('GET', `${T}/endpoints/${bad}/stats/series?bucket=1h`)
    expect(res.status).toBe(200)
    expect(res.body.bucket).toBe('1h')
    // The default window: the 24 hours before now, whole hours: 25 buckets, or 24 exactly on the hour.
    expect([24, 25]).toContain(res.body.data.length)
    expect(sum(res.body.data, 'failed')).toBe(3)
    expect(sum(res.body.data, 'succeeded')).toBe(0)
    const empty = await ctx.srv.api('GET', `${T}/endpoints/${quiet}/stats/series?bucket=1d&since=2026-01-01T00:00:00Z&until=2026-01-08T00:00:00Z`)
    expect(empty.body.data.map((d: { start: string }) => d.start)).toEqual([1, 2, 3, 4, 5, 6, 7].map((day) => `2026-01-0${day}T00:00:00.000Z`))
    expect(sum(empty.body.data, 'attempts')).toBe(0)
  })

  it("adds up the tenant's endpoints", async () => {
    const res = await ctx.srv.api('GET', `${T}/stats/series?bucket=5m&since=${new Date(started - HOUR).toISOString()}`)
    expect(res.status).toBe(200)
    expect(res.body.bucket).toBe('5m')
    for (const d of res.body.data) expect(Date.parse(d.start) % (5 * MIN)).toBe(0)
    expect(sum(res.body.data, 'attempts')).toBe(7)
    expect(sum(res.body.data, 'failed')).toBe(3)
    const other = await ctx.srv.api('GET', '/v1/tenants/ss-other/stats/series')
    expect(sum(other.body.data, 'attempts')).toBe(0)
  })

  it('refuses a window of more than 1,500 buckets, an empty window, a bad bucket or time, and unknown ids', async () => {
    const { srv } = ctx
    const long = await srv.api('GET', `${T}/endpoints/${ok}/stats/series?bucket=1m&since=2026-01-01T00:00:00Z&until=2026-01-03T00:00:00Z`)
    expectInvalid(long, '/query/bucket', 'series_too_long')
    expectInvalid(await srv.api('GET', `${T}/stats/series?bucket=1h&since=2025-01-01T00:00:00Z&until=2026-01-01T00:00:00Z`), '/query/bucket', 'series_too_long')
    // 1,500 minutes exactly is fine.
    const max = await srv.api('GET', `${T}/stats/series?bucket=1m&since=2026-01-01T00:00:00Z&until=2026-01-02T01:00:00Z`)
    expect(max.status).toBe(200)
    expect(max.body.data).toHaveLength(1500)
    expectInvalid(await srv.api('GET', `${T}/stats/series?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z`), '/query/until')
    expectInvalid(await srv.api('GET', `${T}/stats/series?bucket=2m`), '/query/bucket')
    expectInvalid(await srv.api('GET', `${T}/stats/series?since=yesterday`), '/query/since')
    expectProblem(await srv.api('GET', `${T}/endpoints/ep_nope/stats/series`), 404, 'not_found')
    expectProblem(await srv.api('GET', '/v1/tenants/nope/stats/series'), 404, 'not_found')
    // Another tenant's endpoint is unknown here.
    expectProblem(await srv.api('GET', `/v1/tenants/ss-other/endpoints/${ok}/stats/series`), 404, 'not_found')
  })

  it("is read by the tenant's keys and by its portal tokens without capabilities, not by other tenants'", async () => {
    const { srv } = ctx
    const key = (await srv.api('POST', `${T}/api-keys`, { name: 'k' })).body.key as string
    const portal = (await srv.api('POST', `${T}/portal-sessions`, { capabilities: [] })).body.token as string
    const foreign = (await srv.api('POST', '/v1/tenants/ss-other/portal-sessions', {})).body.token as string
    for (const token of [key, portal]) {
      expect((await srv.api('GET', `${T}/endpoints/${ok}/stats/series`, undefined, { token })).status).toBe(200)
      expect((await srv.api('GET', `${T}/stats/series`, undefined, { token })).status).toBe(200)
    }
    expectProblem(await srv.api('GET', `${T}/stats/series`, undefined, { token: foreign }), 403, 'forbidden')
    expectProblem(await srv.api('GET', `${T}/endpoints/${ok}/stats/series`, undefined, { token: foreign }), 403, 'forbidden')
  })
})
