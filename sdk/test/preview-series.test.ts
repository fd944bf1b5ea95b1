/**
 * `endpoints.preview`, `endpoints.statsSeries` and `tenants.statsSeries` against a real server on
 * loopback (API.md, "Endpoints"): the preview is exactly the request a delivery then sends (compared
 * with what a real receiver got) and a failing template throws HookrelayError `template_failed`;
 * the series count real attempts over hours and days. Runs on both stores (HOOKRELAY_TEST_STORE).
 */
import { Webhook } from 'standardwebhooks'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { PREVIEW_SECRET } from '../../src/services/endpoints.js'
import { startReceiver, type Receiver } from '../../test/helpers/receiver.js'
import { eventually } from '../../test/helpers/server.js'
import { HookrelayError, type StatsSeries } from '../src/index.js'
import { endpointAt, startSdkServer, type SdkServer } from './helpers.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
/** Headers node:http's client adds to any request: not part of what the preview describes. */
const TRANSPORT_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding'])
/** Different in each request: a new message id, the time, and the signature over them. */
const PER_MESSAGE = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature'])

const total = (s: StatsSeries, k: 'attempts' | 'succeeded' | 'failed'): number => s.data.reduce((n, d) => n + d[k], 0)

describe('endpoint previews and stats series on a real server', () => {
  let s: SdkServer
  let receiver: Receiver
  beforeAll(async () => {
    s = await startSdkServer()
    receiver = await startReceiver((req) => ({ status: req.url?.startsWith('/fail') ? 500 : 200 }))
  })
  afterAll(async () => {
    await receiver.close()
    await s.close()
  })

  it('previews exactly the request a delivery of that endpoint sends', async () => {
    const { tenantId } = await endpointAt(s.hr, `${receiver.url}/unused`)
    const fields = {
      url: `${receiver.url}/preview`,
      method: 'PUT' as const,
      headers: { 'X-Env': 'prod' },
      queryParams: { source: 'sdk' },
      auth: { type: 'bearer' as const, token: 'tok_sdk_preview' },
      payload: { template: '{"order": {{ event.data.orderId | json }}}', extraFields: { team: 'shop' } },
      eventTypes: ['order.shipped'],
    }
    const preview = await s.hr.endpoints.preview(tenantId, { endpoint: fields, eventType: 'order.shipped', payload: { orderId: 'or_1' } })
    expect(preview.method).toBe('PUT')
    expect(preview.url).toBe(`${receiver.url}/preview?source=sdk`)
    expect(JSON.parse(preview.body)).toEqual({ order: 'or_1', team: 'shop' })
    expect(preview.headers).toMatchObject({ 'content-type': 'application/json', 'x-env': 'prod', authorization: 'Bearer tok_sdk_preview' })
    // Signed, with the placeholder secret.
    expect(new Webhook(PREVIEW_SECRET).verify(preview.body, preview.headers)).toEqual({ order: 'or_1', team: 'shop' })

    // Saved, the same endpoint delivers that event: the same request, header for header, but for
    // the message's id, time and signature.
    await s.hr.endpoints.create(tenantId, fields)
    await s.hr.events.publish(tenantId, { type: 'order.shipped', payload: { orderId: 'or_1' } })
    const hit = await eventually(async () => receiver.hits.find((h) => h.url.startsWith('/preview')), 15_000)
    expect(hit.method).toBe(preview.method)
    expect(`${receiver.url}${hit.url}`).toBe(preview.url)
    expect(hit.body).toBe(preview.body)
    const sent = Object.fromEntries(Object.entries(hit.headers).filter(([k]) => !TRANSPORT_HEADERS.has(k) && !PER_MESSAGE.has(k)))
    const shown = Object.fromEntries(Object.entries(preview.headers).filter(([k]) => !PER_MESSAGE.has(k)))
    expect(sent).toEqual(shown)
    for (const k of PER_MESSAGE) {
      expect(preview.headers[k]).toEqual(expect.any(String))
      expect(hit.headers[k]).toEqual(expect.any(String))
    }
  })

  it('throws HookrelayError template_failed for a template that fails, naming it', async () => {
    const { tenantId } = await endpointAt(s.hr, `${receiver.url}/unused`)
    const err = await s.hr.endpoints
      .preview(tenantId, { endpoint: { url: `${receiver.url}/x`, payload: { template: '{"x": {{ event.data.missing.deeper | json }}}' } }, payload: {} })
      .catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HookrelayError)
    expect(err).toMatchObject({ status: 422, code: 'template_failed', errors: [{ path: '/endpoint/payload/template', message: expect.stringMatching(/missing/) }] })
    expect((err as HookrelayError).detail).toMatch(/missing/)
  })

  it("counts an endpoint's and its tenant's real attempts per hour and per day", async () => {
    const { tenantId, endpointId } = await endpointAt(s.hr, `${receiver.url}/ok`)
    const failing = await s.hr.endpoints.create(tenantId, { url: `${receiver.url}/fail`, retry: { enabled: false } })
    const since = new Date(Date.now() - 2 * HOUR)
    for (let n = 0; n < 3; n++) await s.hr.events.publish(tenantId, { type: 'order.created', payload: { n } })
    await eventually(async () => {
      for await (const _ of s.hr.deliveries.list(tenantId, { status: 'pending' })) return false
      return true
    }, 15_000)
    const until = new Date(Date.now() + 1000)

    const hourly = await s.hr.endpoints.statsSeries(tenantId, endpointId, { since: since.toISOString(), until: until.toISOString(), bucket: '1h' })
    expect(hourly.bucket).toBe('1h')
    const firstHour = Math.floor(since.getTime() / HOUR) * HOUR
    const lastHour = Math.floor((until.getTime() - 1) / HOUR) * HOUR
    expect(hourly.data.map((d) => Date.parse(d.start))).toEqual(Array.from({ length: (lastHour - firstHour) / HOUR + 1 }, (_, i) => firstHour + i * HOUR))
    expect([total(hourly, 'attempts'), total(hourly, 'succeeded'), total(hourly, 'failed')]).toEqual([3, 3, 0])
    for (const d of hourly.data) {
      if (d.attempts === 0) expect(d).toMatchObject({ avgResponseMs: null, p95ResponseMs: null })
      else expect(d.avgResponseMs).toEqual(expect.any(Number))
    }

    // A week of days: the whole tenant, both endpoints.
    const weekStart = Math.floor(until.getTime() / DAY) * DAY - 6 * DAY
    const daily = await s.hr.tenants.statsSeries(tenantId, { since: new Date(weekStart).toISOString(), until: until.toISOString(), bucket: '1d' })
    expect(daily.bucket).toBe('1d')
    expect(daily.data.map((d) => Date.parse(d.start))).toEqual(Array.from({ length: 7 }, (_, i) => weekStart + i * DAY))
    expect([total(daily, 'attempts'), total(daily, 'succeeded'), total(daily, 'failed')]).toEqual([6, 3, 3])
    expect(daily.data.slice(0, 5).every((d) => d.attempts === 0)).toBe(true)

    const failures = await s.hr.endpoints.statsSeries(tenantId, failing.id, { since: since.toISOString(), until: until.toISOString() })
    expect(failures.bucket).toBe('1h')
    expect([total(failures, 'attempts'), total(failures, 'failed')]).toEqual([3, 3])
  })

  it('throws the series problems as HookrelayError', async () => {
    const { tenantId } = await endpointAt(s.hr, `${receiver.url}/unused`)
    const tooLong = await s.hr.tenants.statsSeries(tenantId, { since: '2020-01-01T00:00:00Z', bucket: '1m' }).catch((e: unknown) => e)
    expect(tooLong).toMatchObject({ status: 422, code: 'series_too_long' })
    const unknown = await s.hr.endpoints.statsSeries(tenantId, 'ep_nothing').catch((e: unknown) => e)
    expect(unknown).toMatchObject({ status: 404, code: 'not_found' })
  })
})
