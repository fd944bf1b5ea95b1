/**
 * API.md "Endpoints": defaults, validation and limits, the SSRF check at creation, secrets and
 * their rotation, test sends and stats.
 * Network rule: endpoint URLs are 127.0.0.1, [::1] or localhost only; port 1 ones are never
 * contacted (refused at creation, or never published to).
 */
import { randomBytes } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startReceiver, type Receiver, type ReceiverHit } from '../helpers/receiver.js'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, expectAttemptShape, expectInvalid, expectList, expectProblem, guardAgainst5xx, ISO, walkPages } from './api-support.js'

/** A loopback URL nothing listens on; used only where no request is ever sent. */
const NOWHERE = 'http://127.0.0.1:1/hook'

const DEFAULTS = {
  name: '',
  description: '',
  enabled: true,
  eventTypes: [],
  channels: [],
  retry: { enabled: true, maxRetries: 3, schedule: null },
  timeoutSeconds: 30,
  rateLimitPerSecond: null,
  metadata: {},
}

const headersOf = (hit: ReceiverHit): Record<string, string> =>
  Object.fromEntries(Object.entries(hit.headers).map(([k, v]) => [k, String(v)]))

/** Nothing secret in an endpoint as the API shows it: no secret field, no whsec_ value. */
function expectNoSecrets(body: unknown, secrets: string[] = []): void {
  const text = JSON.stringify(body)
  expect(text).not.toMatch(/whsec_/)
  expect(text).not.toMatch(/"[^"]*(secret|sealed)[^"]*":/i)
  for (const s of secrets) expect(text).not.toContain(s)
}

describe('API endpoints', () => {
  let srv: TestServer
  let rcv: Receiver
  let check5xx: () => void
  const T = '/v1/tenants/ept'
  beforeAll(async () => {
    srv = await startTestServer()
    rcv = await startReceiver((req) => (req.url?.startsWith('/fail') ? { status: 500, body: 'receiver says no' } : req.url?.startsWith('/bad') ? { status: 400 } : { status: 200, body: 'ok' }))
    check5xx = guardAgainst5xx(srv)
    expect((await srv.api('POST', '/v1/tenants', { id: 'ept', name: 'Endpoints' })).status).toBe(201)
  })
  afterEach(() => check5xx())
  afterAll(async () => {
    await rcv?.close()
    await srv?.close()
  })

  describe('create', () => {
    it('only url is required; every other field takes its default', async () => {
      const res = await srv.api('POST', `${T}/endpoints`, { url: NOWHERE })
      expect(res.status).toBe(201)
      expect(res.body).toMatchObject({ ...DEFAULTS, url: NOWHERE })
      expect(res.body.id).toMatch(/^ep_/)
      expect(res.body.createdAt).toMatch(ISO)
      expect(res.body.updatedAt).toMatch(ISO)
      expectNoSecrets(res.body)
      expect((await srv.api('GET', `${T}/endpoints/${res.body.id}`)).body).toEqual(res.body)
    })

    it('shows the request-shaping fields at their defaults and accepts them given as such', async () => {
      const shaping = {
        method: 'POST',
        auth: { type: 'none' },
        headers: {},
        queryParams: {},
        payload: { format: 'json', template: null, extraFields: {}, includeRequestBody: true, includeResponseBody: true, includeHeaders: false, includeStatusCode: true },
      }
      const plain = await srv.api('POST', `${T}/endpoints`, { url: NOWHERE })
      expect(plain.body).toMatchObject(shaping)
      const explicit = await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, ...shaping, payload: { format: 'json' } })
      expect(explicit.status).toBe(201)
      expect(explicit.body).toMatchObject(shaping)
    })

    it('keeps every field given', async () => {
      const input = {
        url: `${NOWHERE}?x=1`,
        name: 'Slack errors',
        description: 'Everything about invoices',
        enabled: false,
        eventTypes: ['invoice.*', 'request.server_error'],
        channels: ['checkout-route'],
        retry: { enabled: false, maxRetries: 5, schedule: null },
        timeoutSeconds: 60,
        rateLimitPerSecond: 10,
        metadata: { team: 'billing', nested: { a: [1, 2] } },
      }
      const res = await srv.api('POST', `${T}/endpoints`, input)
      expect(res.status).toBe(201)
      expect(res.body).toMatchObject(input)
    })

    it('a partial retry object keeps the defaults of the fields it leaves out', async () => {
      const one = await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { maxRetries: 1 } })
      expect(one.body.retry).toEqual({ enabled: true, maxRetries: 1, schedule: null })
      const off = await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { enabled: false } })
      expect(off.body.retry).toEqual({ enabled: false, maxRetries: 3, schedule: null })
      const empty = await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: {} })
      expect(empty.body.retry).toEqual(DEFAULTS.retry)
      const scheduled = await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { schedule: [5, 300] } })
      expect(scheduled.status).toBe(201)
      expect(scheduled.body.retry).toMatchObject({ enabled: true, schedule: [5, 300] })
    })

    it('maxRetries is 0-5 without a schedule, up to the schedule length with one', async () => {
      expect((await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { maxRetries: 0 } })).status).toBe(201)
      expect((await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { maxRetries: 5 } })).status).toBe(201)
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { maxRetries: 6 } }), '/retry/maxRetries')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { maxRetries: -1 } }), '/retry/maxRetries')
      const schedule = [5, 300, 1800, 7200, 18000, 36000, 36000]
      const long = await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { maxRetries: 7, schedule } })
      expect(long.status).toBe(201)
      expect(long.body.retry).toEqual({ enabled: true, maxRetries: 7, schedule })
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { maxRetries: 8, schedule } }), '/retry/maxRetries')
    })

    it('a schedule has 1-20 delays of 1-86400 seconds', async () => {
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { schedule: [] } }), '/retry/schedule')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { schedule: Array(21).fill(1) } }), '/retry/schedule')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { schedule: [0] } }), '/retry/schedule/0')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { schedule: [1, 86401] } }), '/retry/schedule/1')
      expect((await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { schedule: Array(20).fill(86400), maxRetries: 20 } })).status).toBe(201)
    })

    it('timeoutSeconds is 1-60', async () => {
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, timeoutSeconds: 0 }), '/timeoutSeconds')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, timeoutSeconds: 61 }), '/timeoutSeconds')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, timeoutSeconds: 1.5 }), '/timeoutSeconds')
      expect((await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, timeoutSeconds: 1 })).body.timeoutSeconds).toBe(1)
      expect((await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, timeoutSeconds: 60 })).body.timeoutSeconds).toBe(60)
    })

    it.each([
      ['ftp://127.0.0.1/x'],
      ['file:///etc/passwd'],
      ['javascript:alert(1)'],
      ['127.0.0.1:1/no-scheme'],
      ['not a url'],
      [''],
      ['http://user:pass@127.0.0.1:1/x'],
    ])('url %j is a 422 naming /url', async (url) => {
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url }), '/url')
    })

    it('a missing url is a 422 naming /url', async () => {
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { name: 'no url' }), '/url')
    })

    it('a URL of 2048 characters is accepted, 2049 is a 422', async () => {
      const base = 'http://127.0.0.1:1/'
      const exact = base + 'a'.repeat(2048 - base.length)
      expect(exact).toHaveLength(2048)
      expect((await srv.api('POST', `${T}/endpoints`, { url: exact })).status).toBe(201)
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: `${exact}a` }), '/url')
    })

    it('100 event types or channels are accepted, 101 are a 422', async () => {
      const types = (n: number) => Array.from({ length: n }, (_, i) => `type.t${i}`)
      const channels = (n: number) => Array.from({ length: n }, (_, i) => `ch-${i}`)
      expect((await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, eventTypes: types(100), channels: channels(100) })).status).toBe(201)
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, eventTypes: types(101) }), '/eventTypes')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, channels: channels(101) }), '/channels')
    })

    it('an invalid event type pattern is a 422 naming its index', async () => {
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, eventTypes: ['ok.type', 'Bad.Type'] }), '/eventTypes/1')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, eventTypes: ['a..b'] }), '/eventTypes/0')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, eventTypes: ['x'.repeat(129)] }), '/eventTypes/0')
    })

    it('names, descriptions and metadata over their limits are 422s', async () => {
      expect((await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, name: 'n'.repeat(256), description: 'd'.repeat(1024) })).status).toBe(201)
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, name: 'n'.repeat(257) }), '/name')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, description: 'd'.repeat(1025) }), '/description')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, metadata: { blob: 'x'.repeat(16 * 1024) } }), '/metadata')
    })

    it('an unknown field, or a wrong type, is a 422 naming it', async () => {
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, colour: 'red' }), '/colour')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { tries: 3 } }), '/retry/tries')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, enabled: 'maybe' }), '/enabled')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, rateLimitPerSecond: 0 }), '/rateLimitPerSecond')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, metadata: 'x' }), '/metadata')
    })

    it('takes JSON types as sent: no number for a string, no string for a list, no 0 for null', async () => {
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, name: 42 }), '/name')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, eventTypes: 'invoice.paid' }), '/eventTypes')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, timeoutSeconds: '30' }), '/timeoutSeconds')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, enabled: 'false' }), '/enabled')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { schedule: [] } }), '/retry/schedule')
      expectInvalid(await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, rateLimitPerSecond: 0 }), '/rateLimitPerSecond')
    })

    it('malformed JSON is a 400 and an unknown tenant a 404', async () => {
      expectProblem(await srv.api('POST', `${T}/endpoints`, '{"url": '), 400, 'malformed_json')
      expectProblem(await srv.api('POST', '/v1/tenants/ept-nobody/endpoints', { url: NOWHERE }), 404, 'not_found')
    })
  })

  describe('get, list, patch, delete', () => {
    it('lists the tenant endpoints with pagination and without secrets', async () => {
      await srv.api('POST', '/v1/tenants', { id: 'ept-list', name: 'List' })
      const ids: string[] = []
      for (let i = 0; i < 7; i++) ids.push((await srv.api('POST', '/v1/tenants/ept-list/endpoints', { url: NOWHERE, name: `ep ${i}` })).body.id)
      const { items, pages } = await walkPages(srv, '/v1/tenants/ept-list/endpoints', 3)
      expect(pages).toBe(3)
      expect(items.map((e) => e.id).sort()).toEqual([...ids].sort())
      for (const e of items) expect(e).toMatchObject({ ...DEFAULTS, name: expect.any(String), url: NOWHERE })
      expectNoSecrets(items)
      expectInvalid(await srv.api('GET', '/v1/tenants/ept-list/endpoints?limit=0'), '/query/limit')
      expectInvalid(await srv.api('GET', '/v1/tenants/ept-list/endpoints?limit=251'), '/query/limit')
      expectInvalid(await srv.api('GET', '/v1/tenants/ept-list/endpoints?cursor=bogus'), '/query/cursor', 'invalid_cursor')
      expectProblem(await srv.api('GET', '/v1/tenants/ept-nobody/endpoints'), 404, 'not_found')
    })

    it('PATCH changes the given fields and keeps the rest', async () => {
      const created = (await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, name: 'before', metadata: { a: 1 }, retry: { maxRetries: 2 } })).body
      const res = await srv.api('PATCH', `${T}/endpoints/${created.id}`, {
        name: 'after',
        url: `${NOWHERE}/v2`,
        eventTypes: ['invoice.*'],
        retry: { enabled: false },
      })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        ...created,
        name: 'after',
        url: `${NOWHERE}/v2`,
        eventTypes: ['invoice.*'],
        retry: { enabled: false, maxRetries: 2, schedule: null },
        updatedAt: expect.stringMatching(ISO),
      })
      expectNoSecrets(res.body)
      expect((await srv.api('GET', `${T}/endpoints/${created.id}`)).body).toEqual(res.body)
      const disabled = await srv.api('PATCH', `${T}/endpoints/${created.id}`, { enabled: false })
      expect(disabled.body).toMatchObject({ enabled: false, name: 'after' })
      const empty = await srv.api('PATCH', `${T}/endpoints/${created.id}`, {})
      expect(empty.status).toBe(200)
      expect(empty.body).toMatchObject({ enabled: false, name: 'after' })
    })

    it('PATCH of one retry field keeps the others as they are, not as the defaults', async () => {
      const { id } = (await srv.api('POST', `${T}/endpoints`, { url: NOWHERE, retry: { enabled: false, maxRetries: 4 } })).body
      const res = await srv.api('PATCH', `${T}/endpoints/${id}`, { retry: { maxRetries: 1 } })
      expect(res.body.retry).toEqual({ enabled: false, maxRetries: 1, schedule: null })
      const again = await srv.api('PATCH', `${T}/endpoints/${id}`, { retry: { schedule: [10, 20] } })
      expect(again.body.retry).toMatchObject({ enabled: false, schedule: [10, 20] })
    })

    it('PATCH validates like POST', async () => {
      const { id } = (await srv.api('POST', `${T}/endpoints`, { url: NOWHERE })).body
      expectInvalid(await srv.api('PATCH', `${T}/endpoints/${id}`, { url: 'ftp://127.0.0.1/x' }), '/url')
      expectInvalid(await srv.api('PATCH', `${T}/endpoints/${id}`, { timeoutSeconds: 61 }), '/timeoutSeconds')
      expectInvalid(await srv.api('PATCH', `${T}/endpoints/${id}`, { retry: { maxRetries: 6 } }), '/retry/maxRetries')
      expectInvalid(await srv.api('PATCH', `${T}/endpoints/${id}`, { id: 'ep_other' }), '/id')
      expectInvalid(await srv.api('PATCH', `${T}/endpoints/${id}`, { url: null }), '/url')
      // Nothing changed.
      expect((await srv.api('GET', `${T}/endpoints/${id}`)).body).toMatchObject({ ...DEFAULTS, url: NOWHERE })
    })

    it('DELETE answers 204, then the endpoint is gone', async () => {
      const { id } = (await srv.api('POST', `${T}/endpoints`, { url: NOWHERE })).body
      const del = await srv.api('DELETE', `${T}/endpoints/${id}`)
      expect(del.status).toBe(204)
      expect(del.body).toBe(null)
      expectProblem(await srv.api('GET', `${T}/endpoints/${id}`), 404, 'not_found')
      expectProblem(await srv.api('DELETE', `${T}/endpoints/${id}`), 404, 'not_found')
      expectProblem(await srv.api('GET', `${T}/endpoints/${id}/secret`), 404, 'not_found')
    })

    it.each([
      ['GET', ''],
      ['PATCH', ''],
      ['DELETE', ''],
      ['GET', '/secret'],
      ['POST', '/secret/rotate'],
      ['POST', '/test'],
      ['GET', '/stats'],
    ])('%s an unknown endpoint%s is a 404 problem', async (method, suffix) => {
      const body = method === 'PATCH' ? { name: 'x' } : undefined
      expectProblem(await srv.api(method, `${T}/endpoints/ep_doesnotexist${suffix}`, body), 404, 'not_found')
    })
  })

  describe('secrets', () => {
    it('GET secret returns a whsec_ secret of 24-64 random bytes, the same each time', async () => {
      const { id } = (await srv.api('POST', `${T}/endpoints`, { url: NOWHERE })).body
      const res = await srv.api('GET', `${T}/endpoints/${id}/secret`)
      expect(res.status).toBe(200)
      expect(Object.keys(res.body)).toEqual(['secret'])
      expect(res.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/)
      const bytes = Buffer.from(res.body.secret.slice(6), 'base64').length
      expect(bytes).toBeGreaterThanOrEqual(24)
      expect(bytes).toBeLessThanOrEqual(64)
      expect((await srv.api('GET', `${T}/endpoints/${id}/secret`)).body.secret).toBe(res.body.secret)
      const other = (await srv.api('POST', `${T}/endpoints`, { url: NOWHERE })).body.id
      expect((await srv.api('GET', `${T}/endpoints/${other}/secret`)).body.secret).not.toBe(res.body.secret)
      // Never part of the endpoint itself.
      expectNoSecrets((await srv.api('GET', `${T}/endpoints/${id}`)).body, [res.body.secret])
      expectNoSecrets((await srv.api('GET', `${T}/endpoints`)).body, [res.body.secret])
    })

    it('rotate returns a new secret; deliveries then carry two signatures that verify under both secrets', async () => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/rotated` })).body
      const before = (await srv.api('GET', `${T}/endpoints/${ep.id}/secret`)).body.secret as string
      const rotated = await srv.api('POST', `${T}/endpoints/${ep.id}/secret/rotate`)
      expect(rotated.status).toBe(200)
      expect(Object.keys(rotated.body)).toEqual(['secret'])
      const after = rotated.body.secret as string
      expect(after).toMatch(/^whsec_/)
      expect(after).not.toBe(before)
      expect((await srv.api('GET', `${T}/endpoints/${ep.id}/secret`)).body.secret).toBe(after)
      expectNoSecrets((await srv.api('GET', `${T}/endpoints/${ep.id}`)).body, [before, after])

      const pub = await srv.api('POST', `${T}/events`, { type: 'rotation.checked', payload: { n: 1 } })
      expect(pub.status).toBe(202)
      const hit = await eventually(async () => rcv.hits.find((h) => h.headers['webhook-id'] === pub.body.id), DELIVERY_WAIT_MS)
      const signatures = String(hit.headers['webhook-signature']).split(' ')
      expect(signatures).toHaveLength(2)
      for (const s of signatures) expect(s).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/)
      const headers = headersOf(hit)
      expect(new Webhook(before).verify(hit.body, headers)).toMatchObject({ id: pub.body.id, type: 'rotation.checked', data: { n: 1 } })
      expect(new Webhook(after).verify(hit.body, headers)).toMatchObject({ id: pub.body.id })
      const stranger = `whsec_${randomBytes(32).toString('base64')}`
      expect(() => new Webhook(stranger).verify(hit.body, headers)).toThrow()
    })

    it('rotating three times in a row keeps every rotated-out secret signing: a test send carries four signatures', async () => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/rotated-thrice` })).body
      const secrets = [(await srv.api('GET', `${T}/endpoints/${ep.id}/secret`)).body.secret as string]
      for (let i = 0; i < 3; i++) {
        const rotated = await srv.api('POST', `${T}/endpoints/${ep.id}/secret/rotate`)
        expect(rotated.status).toBe(200)
        secrets.push(rotated.body.secret as string)
      }
      expect(new Set(secrets).size).toBe(4)
      // Reveal shows the current secret only.
      expect((await srv.api('GET', `${T}/endpoints/${ep.id}/secret`)).body).toEqual({ secret: secrets[3] })

      const attempt = await srv.api('POST', `${T}/endpoints/${ep.id}/test`, {})
      expect(attempt.status).toBe(200)
      const id = attempt.body.request.headers['webhook-id'] as string
      const hit = await eventually(async () => rcv.hits.find((h) => h.headers['webhook-id'] === id), DELIVERY_WAIT_MS)
      const signatures = String(hit.headers['webhook-signature']).split(' ')
      expect(signatures).toHaveLength(4)
      const headers = headersOf(hit)
      for (const secret of secrets) expect(new Webhook(secret).verify(hit.body, headers)).toMatchObject({ type: 'webhook.test' })
      // The current secret's signature comes first: each one alone verifies under its own secret.
      for (const [i, secret] of [...secrets].reverse().entries()) {
        expect(() => new Webhook(secret).verify(hit.body, { ...headers, 'webhook-signature': signatures[i]! })).not.toThrow()
      }
    })

    it('rotations at the same moment each keep the others\' secrets: a test send carries them all', async () => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/rotated-at-once` })).body
      const first = (await srv.api('GET', `${T}/endpoints/${ep.id}/secret`)).body.secret as string
      const rotations = await Promise.all(Array.from({ length: 5 }, () => srv.api('POST', `${T}/endpoints/${ep.id}/secret/rotate`)))
      for (const r of rotations) expect(r.status).toBe(200)
      const secrets = [first, ...rotations.map((r) => r.body.secret as string)]
      const attempt = await srv.api('POST', `${T}/endpoints/${ep.id}/test`, {})
      const id = attempt.body.request.headers['webhook-id'] as string
      const hit = await eventually(async () => rcv.hits.find((h) => h.headers['webhook-id'] === id), DELIVERY_WAIT_MS)
      expect(String(hit.headers['webhook-signature']).split(' ')).toHaveLength(6)
      for (const secret of secrets) expect(() => new Webhook(secret).verify(hit.body, headersOf(hit))).not.toThrow()
    })

    it('rotate with an explicit valid secret uses it', async () => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/explicit` })).body
      const chosen = `whsec_${randomBytes(32).toString('base64')}`
      const res = await srv.api('POST', `${T}/endpoints/${ep.id}/secret/rotate`, { secret: chosen })
      expect(res.status).toBe(200)
      expect(res.body).toEqual({ secret: chosen })
      expect((await srv.api('GET', `${T}/endpoints/${ep.id}/secret`)).body.secret).toBe(chosen)
      // The test send signs with it.
      const attempt = await srv.api('POST', `${T}/endpoints/${ep.id}/test`, {})
      expect(attempt.status).toBe(200)
      const hit = await eventually(async () => rcv.hits.find((h) => h.headers['webhook-id'] === attempt.body.request.headers['webhook-id']), DELIVERY_WAIT_MS)
      expect(() => new Webhook(chosen).verify(hit.body, headersOf(hit))).not.toThrow()
    })

    it.each([
      ['no prefix', randomBytes(32).toString('base64')],
      ['too short a key', `whsec_${randomBytes(8).toString('base64')}`],
      ['too long a key', `whsec_${randomBytes(65).toString('base64')}`],
      ['not base64', 'whsec_!!!!not-base64!!!!not-base64!!!!'],
      ['an empty key', 'whsec_'],
    ])('rotate with %s is a 422 naming /secret and changes nothing', async (_what, secret) => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: NOWHERE })).body
      const before = (await srv.api('GET', `${T}/endpoints/${ep.id}/secret`)).body.secret
      expectInvalid(await srv.api('POST', `${T}/endpoints/${ep.id}/secret/rotate`, { secret }), '/secret')
      expect((await srv.api('GET', `${T}/endpoints/${ep.id}/secret`)).body.secret).toBe(before)
    })

    it('rotate with a non-string secret or an unknown field is a 422', async () => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: NOWHERE })).body
      expectInvalid(await srv.api('POST', `${T}/endpoints/${ep.id}/secret/rotate`, { secret: { a: 1 } }), '/secret')
      expectInvalid(await srv.api('POST', `${T}/endpoints/${ep.id}/secret/rotate`, { key: 'x' }), '/key')
    })
  })

  describe('test sends', () => {
    it('sends webhook.test at once, whatever the filters, and answers 200 with the attempt', async () => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/tested`, eventTypes: ['invoice.*'], channels: ['eu'] })).body
      const secret = (await srv.api('GET', `${T}/endpoints/${ep.id}/secret`)).body.secret as string
      const res = await srv.api('POST', `${T}/endpoints/${ep.id}/test`)
      expect(res.status).toBe(200)
      expectAttemptShape(res.body, 'test')
      expect(res.body).toMatchObject({
        attemptNumber: 1,
        trigger: 'test',
        request: { method: 'POST', url: `${rcv.url}/tested` },
        response: { status: 200, body: 'ok' },
        error: null,
        success: true,
      })
      expect(res.body.request.headers['webhook-signature']).toMatch(/^v1,/)
      const hit = await eventually(async () => rcv.hits.find((h) => h.url === '/tested'), DELIVERY_WAIT_MS)
      expect(hit.body).toBe(res.body.request.body)
      const verified = new Webhook(secret).verify(hit.body, headersOf(hit)) as Record<string, unknown>
      expect(verified).toMatchObject({ type: 'webhook.test' })
      expect(hit.headers['webhook-id']).toMatch(/^evt_/)
    })

    it('takes an eventType and a payload', async () => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/tested-custom` })).body
      const res = await srv.api('POST', `${T}/endpoints/${ep.id}/test`, { eventType: 'invoice.paid', payload: { amount: 7 } })
      expect(res.status).toBe(200)
      expect(res.body.success).toBe(true)
      const hit = await eventually(async () => rcv.hits.find((h) => h.url === '/tested-custom'), DELIVERY_WAIT_MS)
      expect(JSON.parse(hit.body)).toMatchObject({ type: 'invoice.paid', data: { amount: 7 } })
      expectInvalid(await srv.api('POST', `${T}/endpoints/${ep.id}/test`, { eventType: 'Bad.Type' }), '/eventType')
      expectInvalid(await srv.api('POST', `${T}/endpoints/${ep.id}/test`, { payload: [1] }), '/payload')
    })

    it('a receiver answering 500 makes an unsuccessful attempt with error kind http, still a 200', async () => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: `${rcv.url}/fail` })).body
      const res = await srv.api('POST', `${T}/endpoints/${ep.id}/test`)
      expect(res.status).toBe(200)
      expectAttemptShape(res.body, 'test')
      expect(res.body).toMatchObject({
        success: false,
        response: { status: 500, body: 'receiver says no' },
        error: { kind: 'http', message: expect.any(String) },
      })
    })

    it('a receiver that is not there makes an unsuccessful attempt with error kind network', async () => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: NOWHERE })).body
      const res = await srv.api('POST', `${T}/endpoints/${ep.id}/test`)
      expect(res.status).toBe(200)
      expectAttemptShape(res.body, 'test')
      expect(res.body).toMatchObject({ success: false, response: null, error: { kind: 'network' } })
    })
  })

  describe('stats', () => {
    it('has the documented shape, with nulls before any attempt', async () => {
      const ep = (await srv.api('POST', `${T}/endpoints`, { url: NOWHERE })).body
      const res = await srv.api('GET', `${T}/endpoints/${ep.id}/stats`)
      expect(res.status).toBe(200)
      expect(res.body).toEqual({
        total: 0,
        succeeded: 0,
        failed: 0,
        pending: 0,
        successRate: null,
        avgResponseMs: null,
        p95ResponseMs: null,
        lastAttemptAt: null,
        lastStatusCode: null,
      })
      expectInvalid(await srv.api('GET', `${T}/endpoints/${ep.id}/stats?since=yesterday`), '/query/since')
    })

    it('counts deliveries and their outcomes', async () => {
      await srv.api('POST', '/v1/tenants', { id: 'ept-stats', name: 'Stats' })
      const S = '/v1/tenants/ept-stats'
      const ep = (await srv.api('POST', `${S}/endpoints`, { url: `${rcv.url}/stats` })).body
      const started = new Date().toISOString()
      // Succeeds, fails at once (400 is not retried), succeeds: one after the other, so the last is known.
      for (const path of ['/stats', '/bad-stats', '/stats']) {
        await srv.api('PATCH', `${S}/endpoints/${ep.id}`, { url: `${rcv.url}${path}` })
        const pub = await srv.api('POST', `${S}/events`, { type: 'stats.checked', payload: { path } })
        expect(pub.body.deliveryCount).toBe(1)
        await eventually(async () => {
          const d = (await srv.api('GET', `${S}/deliveries?eventId=${pub.body.id}`)).body.data[0]
          return d !== undefined && d.status !== 'pending'
        }, DELIVERY_WAIT_MS)
      }
      const res = await srv.api('GET', `${S}/endpoints/${ep.id}/stats`)
      expect(res.status).toBe(200)
      expect(res.body).toMatchObject({ total: 3, succeeded: 2, failed: 1, pending: 0, lastStatusCode: 200 })
      expect(res.body.successRate).toBeCloseTo(2 / 3, 5)
      expect(res.body.avgResponseMs).toBeGreaterThanOrEqual(0)
      expect(res.body.p95ResponseMs).toBeGreaterThanOrEqual(0)
      expect(res.body.lastAttemptAt).toMatch(ISO)
      expect(Date.parse(res.body.lastAttemptAt)).toBeGreaterThanOrEqual(Date.parse(started) - 1000)
      // `since` after everything: nothing counted.
      const later = await srv.api('GET', `${S}/endpoints/${ep.id}/stats?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)
      expect(later.body).toMatchObject({ total: 0, succeeded: 0, failed: 0, pending: 0, successRate: null })

      // recover re-queues the failed one.
      const recovered = await srv.api('POST', `${S}/endpoints/${ep.id}/recover`, { since: started })
      expect(recovered.status).toBe(202)
      expect(recovered.body).toEqual({ count: 1 })
      expectInvalid(await srv.api('POST', `${S}/endpoints/${ep.id}/recover`, { since: 'last week' }), '/since')
      expectInvalid(await srv.api('POST', `${S}/endpoints/${ep.id}/recover`, {}), '/since')
    })
  })
})

describe('API endpoints: the SSRF check at creation', () => {
  let srv: TestServer
  let rcv: Receiver
  let check5xx: () => void
  beforeAll(async () => {
    // No network is allowed, loopback included, as in production by default.
    srv = await startTestServer({ allowedNetworks: [] })
    rcv = await startReceiver()
    check5xx = guardAgainst5xx(srv)
    await srv.api('POST', '/v1/tenants', { id: 'ssrf', name: 'SSRF' })
  })
  afterEach(() => check5xx())
  afterAll(async () => {
    await rcv?.close()
    await srv?.close()
  })

  it.each([['http://127.0.0.1:1/x'], ['http://[::1]:1/x'], ['http://[::ffff:127.0.0.1]:1/x'], ['http://localhost:1/x'], ['https://127.0.0.2:1/x'], ['http://LOCALHOST:1/x']])(
    '%s is refused with 422 url_not_allowed on /url',
    async (url) => {
      const res = await srv.api('POST', '/v1/tenants/ssrf/endpoints', { url })
      expectInvalid(res, '/url', 'url_not_allowed')
    },
  )

  it('a real receiver on loopback is refused too, and is never contacted', async () => {
    expectInvalid(await srv.api('POST', '/v1/tenants/ssrf/endpoints', { url: `${rcv.url}/x` }), '/url', 'url_not_allowed')
    expect(expectList(await srv.api('GET', '/v1/tenants/ssrf/endpoints'))).toEqual([])
    expect(rcv.connections).toBe(0)
  })
})
