/**
 * API.md "Inbound sources", end to end over real HTTP: the sources API (defaults, masked secret,
 * ingestUrl, 422s, secret reveal and rotation, PATCH keeping the secret, disable/delete), and
 * `POST /in/{id}` and `/in/{id}/track`: signatures (hmac, github, stripe, standard-webhooks),
 * refusals (401, 400, 413, 422, 404) and their log entries, mappings (fields, required, patterns, `*`,
 * several at once, failures), idempotency, the request log (order, pagination, redaction), and an
 * inbound event delivered to a subscribed outbound endpoint.
 * Network rule: loopback only (the test server and a local receiver).
 */
import { createHmac } from 'node:crypto'
import { sign as githubSign } from '@octokit/webhooks-methods'
import { Webhook } from 'standardwebhooks'
import Stripe from 'stripe'
import { describe, expect, it } from 'vitest'
import { startReceiver } from '../helpers/receiver.js'
import { eventually } from '../helpers/server.js'
import { DELIVERY_WAIT_MS, ISO, expectInvalid, expectList, expectProblem, useApiServer, walkPages, type ApiResponse } from './api-support.js'
import { inboundClient } from './inbound-support.js'
import { storedBytes } from '../helpers/stored-bytes.js'

const SECRET = 'hr_inbound_secret_0123456789abcd'
const SIG = 'x-hookrelay-signature'

const hmacHex = (secret: string, body: string | Buffer): string => createHmac('sha256', secret).update(body).digest('hex')

describe('inbound sources', () => {
  const ctx = useApiServer()
  const client = inboundClient(() => ctx.srv)
  const { tenant, post, events, logs } = client

  /** A source with `body`, verified by hmac with SECRET unless `body` gives its own verification. */
  const createSource = (t: string, body: Record<string, unknown>): Promise<any> => client.createSource(t, { verification: { type: 'hmac', secret: SECRET }, ...body })

  /** POSTs `body` to /in/{id}[suffix] with a valid X-Hookrelay-Signature. */
  const signed = (id: string, body: unknown, opts: { secret?: string; headers?: Record<string, string>; suffix?: string } = {}): Promise<ApiResponse> => {
    const raw = typeof body === 'string' ? body : JSON.stringify(body)
    return post(`/in/${id}${opts.suffix ?? ''}`, raw, { [SIG]: hmacHex(opts.secret ?? SECRET, raw), ...opts.headers })
  }

  const accepted = (eventType: string | null) => ({ status: 202, body: { accepted: true, eventType, duplicate: false } })
  const expectAccepted = (res: ApiResponse, eventType: string | null): void => {
    expect({ status: res.status, body: res.body }).toEqual(accepted(eventType))
  }

  /** The newest log entry, once it is there. */
  const lastLog = (t: string, id: string, count = 1): Promise<any> => eventually(async () => {
    const rows = await logs(t, id)
    return rows.length >= count ? rows[0] : undefined
  })

  describe('the sources API', () => {
    it('creates an hmac source with its defaults, a masked secret and its ingest URL', async () => {
      const t = await tenant()
      const res = await ctx.srv.api('POST', `${t}/sources`, { name: 'Knock', verification: { type: 'hmac', secret: SECRET } })
      expect(res.status).toBe(201)
      const id = res.body.id as string
      expect(id).toMatch(/^src_[0-9A-Z]{26}$/)
      expect(res.body).toEqual({
        id,
        tenantId: t.split('/').pop(),
        name: 'Knock',
        enabled: true,
        ingestUrl: `${ctx.srv.url}/in/${id}`,
        verification: { type: 'hmac', secret: '****abcd', header: 'X-Hookrelay-Signature', encoding: 'hex', prefix: '', toleranceSeconds: 300 },
        eventTypePath: 'event_type',
        timestampPath: null,
        idempotency: null,
        mappings: [],
        createdAt: expect.stringMatching(ISO),
        updatedAt: res.body.createdAt,
      })
      expect(JSON.stringify(res.body)).not.toContain(SECRET)
      const read = await ctx.srv.api('GET', `${t}/sources/${id}`)
      expect(read.status).toBe(200)
      expect(read.body).toEqual(res.body)
      const listed = expectList(await ctx.srv.api('GET', `${t}/sources`))
      expect(listed).toEqual([res.body])
    })

    it('fills the defaults of idempotency and mappings, and shows non-hmac and short secrets as hints', async () => {
      const t = await tenant()
      const gh = await createSource(t, {
        verification: { type: 'github', secret: 'short' },
        eventTypePath: '$headers.X-GitHub-Event',
        timestampPath: 'created_at',
        idempotency: { keyPath: 'delivery.id' },
        mappings: [{ eventType: 'push', action: 'publish' }, { eventType: 'issues.*', action: 'publish', publishAs: 'gh.issue', fields: { n: 'issue.number' }, required: ['n'] }],
      })
      expect(gh).toMatchObject({
        verification: { type: 'github', secret: '****', header: null, encoding: null, prefix: null, toleranceSeconds: 300 },
        eventTypePath: '$headers.X-GitHub-Event',
        timestampPath: 'created_at',
        idempotency: { keyPath: 'delivery.id', windowSeconds: 86400 },
        mappings: [
          { eventType: 'push', action: 'publish', publishAs: null, fields: null, required: [] },
          { eventType: 'issues.*', action: 'publish', publishAs: 'gh.issue', fields: { n: 'issue.number' }, required: ['n'] },
        ],
      })
      const none = await createSource(t, { verification: { type: 'none' }, enabled: false, idempotency: { keyPath: 'id', windowSeconds: 60 } })
      expect(none).toMatchObject({ enabled: false, verification: { type: 'none', secret: null, header: null, encoding: null, prefix: null }, idempotency: { keyPath: 'id', windowSeconds: 60 } })
      const custom = await createSource(t, { verification: { type: 'hmac', secret: SECRET, header: 'X-Knock-Signature', encoding: 'base64', prefix: 'sha256=', toleranceSeconds: 60 } })
      expect(custom.verification).toEqual({ type: 'hmac', secret: '****abcd', header: 'X-Knock-Signature', encoding: 'base64', prefix: 'sha256=', toleranceSeconds: 60 })
    })

    it('keeps secrets encrypted in the database', async () => {
      const t = await tenant()
      const secret = `plaintext_${'secretsecret'.repeat(3)}`
      await createSource(t, { name: 'at rest source', verification: { type: 'hmac', secret } })
      const bytes = await storedBytes(ctx.srv)
      expect(bytes.includes('at rest source')).toBe(true)
      expect(bytes.includes(secret)).toBe(false)
      expect(bytes.includes(Buffer.from(secret).toString('base64'))).toBe(false)
    })

    it('PATCHes fields, lists newest first, and deletes (its ingest URL and logs then 404)', async () => {
      const t = await tenant()
      const a = await createSource(t, { name: 'a' })
      const b = await createSource(t, { name: 'b' })
      expect(expectList(await ctx.srv.api('GET', `${t}/sources`)).map((s) => s.id)).toEqual([b.id, a.id])
      const page1 = await ctx.srv.api('GET', `${t}/sources?limit=1`)
      expect(expectList(page1).map((s) => s.id)).toEqual([b.id])
      expect(expectList(await ctx.srv.api('GET', `${t}/sources?limit=1&cursor=${encodeURIComponent(page1.body.nextCursor)}`)).map((s) => s.id)).toEqual([a.id])

      const patched = await ctx.srv.api('PATCH', `${t}/sources/${a.id}`, {
        name: 'renamed',
        eventTypePath: 'type',
        timestampPath: 'at',
        idempotency: { keyPath: 'id' },
        mappings: [{ eventType: '*', action: 'publish' }],
      })
      expect(patched.status).toBe(200)
      expect(patched.body).toEqual({
        ...a,
        name: 'renamed',
        eventTypePath: 'type',
        timestampPath: 'at',
        idempotency: { keyPath: 'id', windowSeconds: 86400 },
        mappings: [{ eventType: '*', action: 'publish', publishAs: null, fields: null, required: [] }],
        updatedAt: expect.stringMatching(ISO),
      })
      const cleared = await ctx.srv.api('PATCH', `${t}/sources/${a.id}`, { timestampPath: null, idempotency: null, mappings: [] })
      expect(cleared.body).toMatchObject({ timestampPath: null, idempotency: null, mappings: [] })
      expect((await ctx.srv.api('GET', `${t}/sources/${a.id}`)).body).toEqual(cleared.body)

      expectAccepted(await signed(a.id, { type: 'x.y' }), 'x.y')
      expect((await ctx.srv.api('DELETE', `${t}/sources/${a.id}`)).status).toBe(204)
      expectProblem(await ctx.srv.api('GET', `${t}/sources/${a.id}`), 404, 'not_found')
      expectProblem(await ctx.srv.api('DELETE', `${t}/sources/${a.id}`), 404, 'not_found')
      expectProblem(await ctx.srv.api('PATCH', `${t}/sources/${a.id}`, { name: 'x' }), 404, 'not_found')
      expectProblem(await ctx.srv.api('GET', `${t}/sources/${a.id}/logs`), 404, 'not_found')
      expectProblem(await ctx.srv.api('GET', `${t}/sources/${a.id}/secret`), 404, 'not_found')
      expectProblem(await signed(a.id, { type: 'x' }), 404, 'not_found')
      expect(expectList(await ctx.srv.api('GET', `${t}/sources`)).map((s) => s.id)).toEqual([b.id])
    })

    it('answers 404 for a source of another tenant and for an unknown tenant', async () => {
      const t1 = await tenant()
      const t2 = await tenant()
      const s = await createSource(t1, {})
      expectProblem(await ctx.srv.api('GET', `${t2}/sources/${s.id}`), 404, 'not_found')
      expectProblem(await ctx.srv.api('PATCH', `${t2}/sources/${s.id}`, { name: 'stolen' }), 404, 'not_found')
      expectProblem(await ctx.srv.api('GET', `${t2}/sources/${s.id}/secret`), 404, 'not_found')
      expectProblem(await ctx.srv.api('DELETE', `${t2}/sources/${s.id}`), 404, 'not_found')
      expectProblem(await ctx.srv.api('POST', '/v1/tenants/no-such-tenant/sources', { name: 'x', verification: { type: 'none' } }), 404, 'not_found')
      expect((await ctx.srv.api('GET', `${t1}/sources/${s.id}`)).body.name).toBe('src')
    })

    it("lets a tenant API key manage its own tenant's sources only", async () => {
      const t1 = await tenant()
      const t2 = await tenant()
      const key = (await ctx.srv.api('POST', `${t1}/api-keys`, { name: 'k' })).body.key as string
      const own = await ctx.srv.api('POST', `${t1}/sources`, { name: 'mine', verification: { type: 'none' } }, { token: key })
      expect(own.status).toBe(201)
      expect((await ctx.srv.api('GET', `${t1}/sources/${own.body.id}/logs`, undefined, { token: key })).status).toBe(200)
      expectProblem(await ctx.srv.api('GET', `${t2}/sources`, undefined, { token: key }), 403, 'forbidden')
      expectProblem(await ctx.srv.api('POST', `${t2}/sources`, { name: 'theirs', verification: { type: 'none' } }, { token: key }), 403, 'forbidden')
      expectProblem(await ctx.srv.api('GET', `${t1}/sources`, undefined, { token: null }), 401, 'unauthorized')
    })

    it.each([
      ['a path with an empty segment', { eventTypePath: 'a..b' }, '/eventTypePath'],
      ['a timestamp path with a trailing dot', { timestampPath: 'created.' }, '/timestampPath'],
      ['an idempotency key path that is empty', { idempotency: { keyPath: '' } }, '/idempotency/keyPath'],
      ['a $headers path with a bad header name', { eventTypePath: '$headers.X Event' }, '/eventTypePath'],
      ['a mapping field path that is malformed', { mappings: [{ eventType: '*', action: 'publish', fields: { id: 'data..id' } }] }, '/mappings/0/fields/id'],
      ['an invalid publishAs', { mappings: [{ eventType: '*', action: 'publish', publishAs: 'Order Completed' }] }, '/mappings/0/publishAs'],
      ['required naming a field not in fields', { mappings: [{ eventType: '*', action: 'publish', fields: { id: 'id' }, required: ['email'] }] }, '/mappings/0/required/0'],
      ['an unknown mapping action', { mappings: [{ eventType: '*', action: 'forward' }] }, '/mappings/0/action'],
      ['a malformed mapping pattern', { mappings: [{ eventType: 'task.*x', action: 'publish' }] }, '/mappings/0/eventType'],
      ['stripe without a secret', { verification: { type: 'stripe' } }, '/verification/secret'],
      ['standard-webhooks with an empty secret', { verification: { type: 'standard-webhooks', secret: '' } }, '/verification/secret'],
      ['an empty secret', { verification: { type: 'hmac', secret: '' } }, '/verification/secret'],
      ['a secret with verification none', { verification: { type: 'none', secret: 'abc' } }, '/verification/secret'],
      ['an unknown verification type', { verification: { type: 'pgp', secret: SECRET } }, '/verification/type'],
      ['an unknown hmac encoding', { verification: { type: 'hmac', secret: SECRET, encoding: 'base32' } }, '/verification/encoding'],
      ['a bad hmac header name', { verification: { type: 'hmac', secret: SECRET, header: 'X Sig' } }, '/verification/header'],
      ['a tolerance of 0', { verification: { type: 'stripe', secret: 'whsec_abc', toleranceSeconds: 0 } }, '/verification/toleranceSeconds'],
      ['an unknown field', { color: 'blue' }, '/color'],
      ['an unknown verification field', { verification: { type: 'hmac', secret: SECRET, algorithm: 'sha1' } }, '/verification/algorithm'],
    ])('refuses %s with 422', async (_what, body, path) => {
      const t = await tenant()
      expectInvalid(await ctx.srv.api('POST', `${t}/sources`, { name: 'bad', verification: { type: 'hmac', secret: SECRET }, ...body }), path)
      const s = await createSource(t, {})
      expectInvalid(await ctx.srv.api('PATCH', `${t}/sources/${s.id}`, body), path)
      // Nothing was changed by the refused PATCH.
      expect((await ctx.srv.api('GET', `${t}/sources/${s.id}`)).body).toEqual(s)
    })

    it('refuses a source without name or verification with 422', async () => {
      const t = await tenant()
      expectInvalid(await ctx.srv.api('POST', `${t}/sources`, { verification: { type: 'none' } }), '/name')
      expectInvalid(await ctx.srv.api('POST', `${t}/sources`, { name: 'x' }), '/verification')
    })

    it('reveals the secret, and rotations keep every secret rotated out within 24 hours verifying', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [] })
      expect(await ctx.srv.api('GET', `${t}/sources/${s.id}/secret`)).toMatchObject({ status: 200, body: { secret: SECRET } })

      const next = 'hr_rotated_secret_abcdefghij_wxyz'
      const rotated = await ctx.srv.api('POST', `${t}/sources/${s.id}/secret/rotate`, { secret: next })
      expect(rotated).toMatchObject({ status: 200, body: { secret: next } })
      expect((await ctx.srv.api('GET', `${t}/sources/${s.id}/secret`)).body).toEqual({ secret: next })
      expect((await ctx.srv.api('GET', `${t}/sources/${s.id}`)).body.verification.secret).toBe('****wxyz')

      expectAccepted(await signed(s.id, { event_type: 'a.old' }, { secret: SECRET }), 'a.old')
      expectAccepted(await signed(s.id, { event_type: 'a.new' }, { secret: next }), 'a.new')
      expectProblem(await signed(s.id, { event_type: 'a.wrong' }, { secret: 'hr_some_other_secret_0000' }), 401, 'verification_failed')

      // Rotating without a secret makes one (hmac: 32 random bytes, hex). Each of the three secrets
      // verifies: the first one was rotated out seconds ago, not 24 hours ago.
      const generated = await ctx.srv.api('POST', `${t}/sources/${s.id}/secret/rotate`)
      expect(generated.status).toBe(200)
      expect(generated.body.secret).toMatch(/^[0-9a-f]{64}$/)
      expect((await ctx.srv.api('GET', `${t}/sources/${s.id}/secret`)).body).toEqual({ secret: generated.body.secret })
      expectAccepted(await signed(s.id, { event_type: 'b.generated' }, { secret: generated.body.secret }), 'b.generated')
      expectAccepted(await signed(s.id, { event_type: 'b.previous' }, { secret: next }), 'b.previous')
      expectAccepted(await signed(s.id, { event_type: 'b.first' }, { secret: SECRET }), 'b.first')
      expectProblem(await signed(s.id, { event_type: 'b.wrong' }, { secret: 'hr_some_other_secret_0000' }), 401, 'verification_failed')
      expectProblem(await ctx.srv.api('POST', `${t}/sources/${s.id}/secret/rotate`, { secret: '' }), 422, 'validation_failed')
    })

    it('refuses to reveal or rotate what a source does not have, and a provider secret it cannot make', async () => {
      const t = await tenant()
      const none = await createSource(t, { verification: { type: 'none' } })
      expectProblem(await ctx.srv.api('GET', `${t}/sources/${none.id}/secret`), 422, 'validation_failed')
      expectProblem(await ctx.srv.api('POST', `${t}/sources/${none.id}/secret/rotate`, {}), 422, 'validation_failed')
      const stripe = await createSource(t, { verification: { type: 'stripe', secret: 'whsec_stripe_0123456789' } })
      expectInvalid(await ctx.srv.api('POST', `${t}/sources/${stripe.id}/secret/rotate`, {}), '/secret')
      const sw = await createSource(t, { verification: { type: 'standard-webhooks', secret: `whsec_${Buffer.alloc(24, 7).toString('base64')}` } })
      expectInvalid(await ctx.srv.api('POST', `${t}/sources/${sw.id}/secret/rotate`, { secret: 'whsec_' }), '/secret')
      const made = await ctx.srv.api('POST', `${t}/sources/${sw.id}/secret/rotate`, {})
      expect(made.status).toBe(200)
      expect(made.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/)
      expectProblem(await ctx.srv.api('POST', `/v1/tenants/in-nobody/sources/${sw.id}/secret/rotate`, {}), 404, 'not_found')
    })

    it('PATCH of verification keeps the secret when it is left out or sent back as the hint', async () => {
      const t = await tenant()
      const s = await createSource(t, {})
      const moved = await ctx.srv.api('PATCH', `${t}/sources/${s.id}`, { verification: { type: 'hmac', header: 'X-Custom-Sig', prefix: 'sha256=' } })
      expect(moved.status).toBe(200)
      expect(moved.body.verification).toEqual({ type: 'hmac', secret: '****abcd', header: 'X-Custom-Sig', encoding: 'hex', prefix: 'sha256=', toleranceSeconds: 300 })
      expect((await ctx.srv.api('GET', `${t}/sources/${s.id}/secret`)).body).toEqual({ secret: SECRET })
      const raw = JSON.stringify({ event_type: 'moved.header' })
      expectAccepted(await post(`/in/${s.id}`, raw, { 'x-custom-sig': `sha256=${hmacHex(SECRET, raw)}` }), 'moved.header')
      // The old header alone no longer verifies.
      expectProblem(await post(`/in/${s.id}`, raw, { [SIG]: hmacHex(SECRET, raw) }), 401, 'verification_failed')

      const roundTrip = await ctx.srv.api('PATCH', `${t}/sources/${s.id}`, { verification: moved.body.verification })
      expect(roundTrip.status).toBe(200)
      expect(roundTrip.body.verification).toEqual(moved.body.verification)
      expect((await ctx.srv.api('GET', `${t}/sources/${s.id}/secret`)).body).toEqual({ secret: SECRET })

      // Another type needs its own secret; the hint of the old one is no secret.
      expectInvalid(await ctx.srv.api('PATCH', `${t}/sources/${s.id}`, { verification: { type: 'github' } }), '/verification/secret')
      const replaced = await ctx.srv.api('PATCH', `${t}/sources/${s.id}`, { verification: { type: 'github', secret: 'gh_secret_replaced_9876' } })
      expect(replaced.body.verification).toEqual({ type: 'github', secret: '****9876', header: null, encoding: null, prefix: null, toleranceSeconds: 300 })
      expect((await ctx.srv.api('GET', `${t}/sources/${s.id}/secret`)).body).toEqual({ secret: 'gh_secret_replaced_9876' })
      const toNone = await ctx.srv.api('PATCH', `${t}/sources/${s.id}`, { verification: { type: 'none' } })
      expect(toNone.body.verification).toMatchObject({ type: 'none', secret: null })
      expectAccepted(await post(`/in/${s.id}`, '{"event_type":"no.signature"}'), 'no.signature')
    })

    it('a disabled source answers 404 at its ingest URL until it is enabled again', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [{ eventType: '*', action: 'publish' }] })
      expect((await ctx.srv.api('PATCH', `${t}/sources/${s.id}`, { enabled: false })).body.enabled).toBe(false)
      expectProblem(await signed(s.id, { event_type: 'while.disabled' }), 404, 'not_found')
      expect((await signed(s.id, { event: 'x' }, { suffix: '/track' })).status).toBe(404)
      expect(await logs(t, s.id)).toEqual([])
      expect(await events(t)).toEqual([])
      expect((await ctx.srv.api('PATCH', `${t}/sources/${s.id}`, { enabled: true })).body.enabled).toBe(true)
      expectAccepted(await signed(s.id, { event_type: 'enabled.again' }), 'enabled.again')
      expect((await events(t)).map((e) => e.type)).toEqual(['enabled.again'])
    })
  })

  describe('POST /in/{sourceId}', () => {
    it('refuses a missing or wrong hmac signature with 401, logs it redacted, and publishes nothing', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [{ eventType: '*', action: 'publish' }] })
      const raw = '{"event_type":"order.created","id":1}'

      const missing = await post(`/in/${s.id}`, raw)
      expectProblem(missing, 401, 'verification_failed')
      expect(missing.body.detail).toBe('The signature did not verify: missing X-Hookrelay-Signature header.')
      const first = await lastLog(t, s.id)
      expect(first).toEqual({
        id: expect.stringMatching(/^req_/),
        receivedAt: expect.stringMatching(ISO),
        status: 'verification_failed',
        eventType: null,
        idempotencyKey: null,
        error: 'missing X-Hookrelay-Signature header',
        actions: [],
        request: { method: 'POST', path: `/in/${s.id}`, headers: expect.any(Object), body: raw },
      })

      const wrong = await post(`/in/${s.id}`, raw, { [SIG]: hmacHex('not-the-secret', raw) })
      expectProblem(wrong, 401, 'verification_failed')
      expect(wrong.body.detail).toBe('The signature did not verify: X-Hookrelay-Signature does not match the body.')
      // Signed over other bytes: the signature covers the raw body, not its JSON meaning.
      expectProblem(await post(`/in/${s.id}`, `${raw} `, { [SIG]: hmacHex(SECRET, raw) }), 401, 'verification_failed')
      const garbled = await post(`/in/${s.id}`, raw, { [SIG]: 'sha256=zzz' })
      expectProblem(garbled, 401, 'verification_failed')

      const rows = await eventually(async () => {
        const r = await logs(t, s.id)
        return r.length === 4 ? r : undefined
      })
      expect(rows.map((r) => [r.status, r.error])).toEqual([
        ['verification_failed', 'X-Hookrelay-Signature header is not a hex SHA-256 signature'],
        ['verification_failed', 'X-Hookrelay-Signature does not match the body'],
        ['verification_failed', 'X-Hookrelay-Signature does not match the body'],
        ['verification_failed', 'missing X-Hookrelay-Signature header'],
      ])
      expect(rows[1].request.headers[SIG]).toBe('[redacted]')
      expect(rows[2].request.headers[SIG]).toBe('[redacted]')
      expect(JSON.stringify(rows)).not.toContain(hmacHex('not-the-secret', raw))
      expect(await events(t)).toEqual([])
    })

    it('keeps at most 64 KiB of a refused body in the log, and all of an accepted one', async () => {
      const t = await tenant()
      const s = await createSource(t, {})
      const raw = JSON.stringify({ event_type: 'big.body', pad: 'y'.repeat(100 * 1024) })
      expectProblem(await post(`/in/${s.id}`, raw, { [SIG]: hmacHex('wrong', raw) }), 401, 'verification_failed')
      expect((await lastLog(t, s.id)).request.body).toBe(raw.slice(0, 64 * 1024))
      expectAccepted(await signed(s.id, raw), 'big.body')
      expect((await lastLog(t, s.id, 2)).request.body).toBe(raw)
    })

    it('verifies an hmac source with base64 signatures and a prefix', async () => {
      const t = await tenant()
      const s = await createSource(t, { verification: { type: 'hmac', secret: SECRET, header: 'X-Knock-Signature', encoding: 'base64', prefix: 'sha256=' } })
      const raw = '{"event_type":"knock.sent"}'
      const b64 = createHmac('sha256', SECRET).update(raw).digest('base64')
      expectAccepted(await post(`/in/${s.id}`, raw, { 'x-knock-signature': `sha256=${b64}` }), 'knock.sent')
      const noPrefix = await post(`/in/${s.id}`, raw, { 'x-knock-signature': b64 })
      expectProblem(noPrefix, 401, 'verification_failed')
      expect(noPrefix.body.detail).toBe('The signature did not verify: X-Knock-Signature header lacks the expected prefix.')
      expectProblem(await post(`/in/${s.id}`, raw, { 'x-knock-signature': `sha256=${hmacHex(SECRET, raw)}` }), 401, 'verification_failed')
      expect((await lastLog(t, s.id, 3)).request.headers['x-knock-signature']).toBe('[redacted]')
    })

    it('publishes the mapped fields, with occurredAt read at timestampPath', async () => {
      const t = await tenant()
      const s = await createSource(t, {
        eventTypePath: 'type',
        timestampPath: 'meta.sentAt',
        mappings: [
          {
            eventType: 'task.assigned',
            action: 'publish',
            publishAs: 'work.task_assigned',
            fields: { taskId: 'data.task.id', assignee: 'data.Assignee', tags: 'data.task.tags', owner: 'data.task.owner', firstTag: 'data.task.tags.0', lower: 'data.assignee' },
            required: ['taskId'],
          },
        ],
      })
      const body = {
        type: 'task.assigned',
        meta: { sentAt: '2024-05-01T12:34:56.789Z' },
        data: { Assignee: 'ada', task: { id: 'T-1', tags: ['urgent', { k: 'v' }], owner: { id: 7, name: null } } },
      }
      expectAccepted(await signed(s.id, body), 'task.assigned')
      const [event, ...rest] = await events(t)
      expect(rest).toEqual([])
      expect(event).toEqual({
        id: expect.stringMatching(/^evt_/),
        type: 'work.task_assigned',
        // Case-sensitive paths: data.assignee finds nothing and is left out; arrays and objects as they are.
        payload: { taskId: 'T-1', assignee: 'ada', tags: ['urgent', { k: 'v' }], owner: { id: 7, name: null }, firstTag: 'urgent' },
        channels: [],
        idempotencyKey: null,
        occurredAt: '2024-05-01T12:34:56.789Z',
        createdAt: expect.stringMatching(ISO),
        deliveryCount: 0,
      })
      const log = await lastLog(t, s.id)
      expect(log).toMatchObject({
        status: 'accepted',
        eventType: 'task.assigned',
        idempotencyKey: null,
        error: null,
        actions: [{ action: 'publish', status: 'succeeded', error: null, eventId: event.id }],
        request: { method: 'POST', path: `/in/${s.id}`, body: JSON.stringify(body) },
      })

      // Unix seconds and milliseconds too; without a readable time, occurredAt is the receipt time.
      for (const [sentAt, expected] of [
        [1714566896, '2024-05-01T12:34:56.000Z'],
        [1714566896789, '2024-05-01T12:34:56.789Z'],
        ['1714566896', '2024-05-01T12:34:56.000Z'],
      ] as const) {
        expectAccepted(await signed(s.id, { ...body, meta: { sentAt } }), 'task.assigned')
        expect((await events(t))[0].occurredAt).toBe(expected)
      }
      const before = Date.now()
      expectAccepted(await signed(s.id, { ...body, meta: {} }), 'task.assigned')
      const untimed = (await events(t))[0]
      expect(Date.parse(untimed.occurredAt)).toBeGreaterThanOrEqual(before - 1000)
      expect(Date.parse(untimed.occurredAt)).toBeLessThanOrEqual(Date.now() + 1000)
      // A type no mapping names is accepted and publishes nothing.
      expectAccepted(await signed(s.id, { type: 'task.deleted' }), 'task.deleted')
      expect(await events(t)).toHaveLength(5)
      expect((await lastLog(t, s.id, 6)).actions).toEqual([])
    })

    it('reads the type from a header for a GitHub source signed as GitHub signs', async () => {
      const t = await tenant()
      const secret = 'gh_webhook_secret_2024'
      const s = await createSource(t, {
        verification: { type: 'github', secret },
        eventTypePath: '$headers.X-GitHub-Event',
        idempotency: { keyPath: '$headers.X-GitHub-Delivery' },
        mappings: [{ eventType: 'push', action: 'publish', publishAs: 'github.push', fields: { repo: 'repository.full_name', ref: 'ref' } }],
      })
      const raw = JSON.stringify({ ref: 'refs/heads/main', repository: { full_name: 'octo/hello' } })
      const headers = { 'x-github-event': 'push', 'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958', 'x-hub-signature-256': await githubSign(secret, raw) }
      expectAccepted(await post(`/in/${s.id}`, raw, headers), 'push')
      expect((await events(t)).map((e) => [e.type, e.payload])).toEqual([['github.push', { repo: 'octo/hello', ref: 'refs/heads/main' }]])
      const log = await lastLog(t, s.id)
      expect(log).toMatchObject({ status: 'accepted', eventType: 'push', idempotencyKey: '72d3162e-cc78-11e3-81ab-4c9367dc0958' })
      expect(log.request.headers['x-hub-signature-256']).toBe('[redacted]')
      expect(log.request.headers['x-github-event']).toBe('push')
      // A redelivery of the same delivery id is a duplicate.
      expect(await post(`/in/${s.id}`, raw, headers)).toMatchObject({ status: 200, body: { accepted: true, eventType: 'push', duplicate: true } })
      expectProblem(await post(`/in/${s.id}`, raw, { ...headers, 'x-hub-signature-256': await githubSign('another', raw) }), 401, 'verification_failed')
      expect(await events(t)).toHaveLength(1)
    })

    it('verifies a Stripe source signed with the Stripe library', async () => {
      const t = await tenant()
      const secret = 'whsec_stripe_integration_0123456789'
      const s = await createSource(t, {
        verification: { type: 'stripe', secret },
        eventTypePath: 'type',
        timestampPath: 'created',
        idempotency: { keyPath: 'id' },
        mappings: [{ eventType: 'invoice.*', action: 'publish', publishAs: 'billing.invoice', fields: { invoiceId: 'data.object.id', amount: 'data.object.amount_paid' }, required: ['invoiceId'] }],
      })
      const raw = JSON.stringify({ id: 'evt_1Stripe', type: 'invoice.paid', created: 1700000000, data: { object: { id: 'in_123', amount_paid: 4200 } } })
      const header = Stripe.webhooks.generateTestHeaderString({ payload: raw, secret })
      expectAccepted(await post(`/in/${s.id}`, raw, { 'stripe-signature': header }), 'invoice.paid')
      expect((await events(t)).map((e) => [e.type, e.payload, e.occurredAt])).toEqual([['billing.invoice', { invoiceId: 'in_123', amount: 4200 }, '2023-11-14T22:13:20.000Z']])
      const stale = Stripe.webhooks.generateTestHeaderString({ payload: raw, secret, timestamp: Math.floor(Date.now() / 1000) - 3600 })
      const refused = await post(`/in/${s.id}`, raw, { 'stripe-signature': stale })
      expectProblem(refused, 401, 'verification_failed')
      expect(refused.body.detail).toMatch(/^The signature did not verify: Stripe-Signature timestamp is \d+ s old, more than the 300 s allowed\.$/)
      const log = await lastLog(t, s.id, 2)
      expect(log.status).toBe('verification_failed')
      expect(log.request.headers['stripe-signature']).toBe('[redacted]')
    })

    it('verifies a standard-webhooks source signed with the standardwebhooks library', async () => {
      const t = await tenant()
      const secret = `whsec_${Buffer.alloc(32, 42).toString('base64')}`
      const s = await createSource(t, { verification: { type: 'standard-webhooks', secret }, eventTypePath: 'type', mappings: [{ eventType: '*', action: 'publish' }] })
      const raw = JSON.stringify({ type: 'user.created', data: { id: 'u1' } })
      const sig = new Webhook(secret).sign('msg_1', new Date(), raw)
      const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': sig }
      expectAccepted(await post(`/in/${s.id}`, raw, headers), 'user.created')
      expectProblem(await post(`/in/${s.id}`, raw, { ...headers, 'webhook-id': 'msg_2' }), 401, 'verification_failed')
      expect((await events(t)).map((e) => [e.type, e.payload])).toEqual([['user.created', { type: 'user.created', data: { id: 'u1' } }]])
    })

    it('answers a repeated idempotency key with 200 duplicate, runs no action and logs it', async () => {
      const t = await tenant()
      const s = await createSource(t, { idempotency: { keyPath: 'delivery.id' }, mappings: [{ eventType: '*', action: 'publish' }] })
      const body = { event_type: 'order.paid', delivery: { id: 'd-1' } }
      expectAccepted(await signed(s.id, body), 'order.paid')
      const again = await signed(s.id, { ...body, changed: true })
      expect({ status: again.status, body: again.body }).toEqual({ status: 200, body: { accepted: true, eventType: 'order.paid', duplicate: true } })
      const evs = await events(t)
      expect(evs).toHaveLength(1)
      expect(evs[0].payload).toEqual(body)
      const rows = await eventually(async () => {
        const r = await logs(t, s.id)
        return r.length === 2 ? r : undefined
      })
      expect(rows.map((r) => [r.status, r.eventType, r.idempotencyKey, r.actions.length])).toEqual([
        ['duplicate', 'order.paid', 'd-1', 0],
        ['accepted', 'order.paid', 'd-1', 1],
      ])
      // Another key, and a numeric key (read as its text), are new events.
      expectAccepted(await signed(s.id, { ...body, delivery: { id: 'd-2' } }), 'order.paid')
      expectAccepted(await signed(s.id, { ...body, delivery: { id: 17 } }), 'order.paid')
      expect((await signed(s.id, { ...body, delivery: { id: '17' } })).status).toBe(200)
      expect(await events(t)).toHaveLength(3)
      // The key is per source: another source of the tenant with the same key publishes.
      const other = await createSource(t, { idempotency: { keyPath: 'delivery.id' }, mappings: [{ eventType: '*', action: 'publish' }] })
      expectAccepted(await signed(other.id, body), 'order.paid')
      expect(await events(t)).toHaveLength(4)
    })

    it('processes a repeated key again once the idempotency window has passed', async () => {
      const t = await tenant()
      const s = await createSource(t, { idempotency: { keyPath: 'id', windowSeconds: 1 }, mappings: [{ eventType: '*', action: 'publish' }] })
      expectAccepted(await signed(s.id, { id: 'k-1', event_type: 'window.test', n: 1 }), 'window.test')
      expect((await signed(s.id, { id: 'k-1', event_type: 'window.test', n: 2 })).status).toBe(200)
      // Resent until the 1 s window is over: then it is a new event again.
      const again = await eventually(async () => {
        const r = await signed(s.id, { id: 'k-1', event_type: 'window.test', n: 3 })
        return r.status === 202 ? r : undefined
      }, 5000, 100)
      expectAccepted(again, 'window.test')
      const log = await lastLog(t, s.id)
      expect(log).toMatchObject({ status: 'accepted', idempotencyKey: 'k-1', actions: [{ action: 'publish', status: 'succeeded', error: null }] })
      const evs = await events(t)
      expect(evs.map((e) => e.payload.n)).toEqual([3, 1])
      expect(log.actions[0].eventId).toBe(evs[0].id)
    })

    it('stops taking requests for the sources of a deleted tenant', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [{ eventType: '*', action: 'publish' }] })
      expectAccepted(await signed(s.id, { event_type: 'before.delete' }), 'before.delete')
      expect((await ctx.srv.api('DELETE', t)).status).toBe(204)
      expectProblem(await ctx.srv.api('GET', `${t}/sources/${s.id}`), 404, 'not_found')
      expectProblem(await signed(s.id, { event_type: 'after.delete' }), 404, 'not_found')
    })

    it('reads the raw body whatever the content type, or without one', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [{ eventType: '*', action: 'publish' }] })
      const raw = Buffer.from('{"event_type":"no.content_type","note":"Zoë 🚀"}')
      const res = await fetch(`${ctx.srv.url}/in/${s.id}`, { method: 'POST', headers: { [SIG]: hmacHex(SECRET, raw) }, body: raw })
      expect({ status: res.status, body: await res.json() }).toEqual(accepted('no.content_type'))
      expectAccepted(await post(`/in/${s.id}`, raw, { 'content-type': 'application/x-www-form-urlencoded', [SIG]: hmacHex(SECRET, raw) }), 'no.content_type')
      expect((await events(t)).map((e) => e.payload.note)).toEqual(['Zoë 🚀', 'Zoë 🚀'])
    })

    it('processes every request that has no value at the idempotency key path', async () => {
      const t = await tenant()
      const s = await createSource(t, { idempotency: { keyPath: 'delivery.id' }, mappings: [{ eventType: '*', action: 'publish' }] })
      for (const body of [{ event_type: 'x.y' }, { event_type: 'x.y' }, { event_type: 'x.y', delivery: {} }, { event_type: 'x.y', delivery: { id: null } }, { event_type: 'x.y', delivery: { id: '' } }]) {
        expectAccepted(await signed(s.id, body), 'x.y')
      }
      expect(await events(t)).toHaveLength(5)
      const rows = await eventually(async () => {
        const r = await logs(t, s.id)
        return r.length === 5 ? r : undefined
      })
      expect(rows.map((r) => [r.status, r.idempotencyKey])).toEqual(Array.from({ length: 5 }, () => ['accepted', null]))
    })

    it('answers concurrent repeats of one idempotency key with one 202 and the rest 200', async () => {
      const t = await tenant()
      const s = await createSource(t, { idempotency: { keyPath: 'id' }, mappings: [{ eventType: '*', action: 'publish' }] })
      const answers = await Promise.all(Array.from({ length: 20 }, () => signed(s.id, { id: 'same', event_type: 'race.key' })))
      expect(answers.map((a) => a.status).sort()).toEqual([...Array.from({ length: 19 }, () => 200), 202])
      expect(await events(t)).toHaveLength(1)
    })

    it('skips a mapping whose required field is missing or null, naming the field, and still answers 202', async () => {
      const t = await tenant()
      const s = await createSource(t, {
        mappings: [
          { eventType: 'user.signup', action: 'publish', publishAs: 'crm.lead', fields: { email: 'user.email', name: 'user.name' }, required: ['email', 'name'] },
          { eventType: 'user.signup', action: 'publish', publishAs: 'audit.signup', required: ['event_type'] },
        ],
      })
      expectAccepted(await signed(s.id, { event_type: 'user.signup', user: { name: 'Ada' } }), 'user.signup')
      const log = await lastLog(t, s.id)
      expect(log.status).toBe('accepted')
      expect(log.actions).toEqual([
        { action: 'publish', status: 'skipped', error: 'required field email (user.email) is missing', eventId: null },
        { action: 'publish', status: 'succeeded', error: null, eventId: expect.stringMatching(/^evt_/) },
      ])
      expectAccepted(await signed(s.id, { event_type: 'user.signup', user: { email: 'ada@example.com', name: null } }), 'user.signup')
      expect((await lastLog(t, s.id, 2)).actions[0]).toEqual({ action: 'publish', status: 'skipped', error: 'required field name (user.name) is missing', eventId: null })
      expectAccepted(await signed(s.id, { event_type: 'user.signup', user: { email: 'ada@example.com', name: 'Ada' } }), 'user.signup')
      expect((await lastLog(t, s.id, 3)).actions.map((a: any) => a.status)).toEqual(['succeeded', 'succeeded'])
      expect((await events(t)).map((e) => e.type).sort()).toEqual(['audit.signup', 'audit.signup', 'audit.signup', 'crm.lead'])
      expect((await events(t, 'crm.lead')).map((e) => e.payload)).toEqual([{ email: 'ada@example.com', name: 'Ada' }])
      expect(await events(t, 'audit.signup')).toHaveLength(3)
    })

    it('runs every matching mapping: exact, pattern and *, and none of the others', async () => {
      const t = await tenant()
      const s = await createSource(t, {
        mappings: [
          { eventType: 'task.assigned', action: 'publish', publishAs: 'exact.match', fields: { id: 'id' } },
          { eventType: 'task.*', action: 'publish', publishAs: 'pattern.match', fields: { id: 'id' } },
          { eventType: '*', action: 'publish' },
          { eventType: 'task.created', action: 'publish', publishAs: 'never.one' },
          { eventType: 'invoice.*', action: 'publish', publishAs: 'never.two' },
          { eventType: 'task', action: 'publish', publishAs: 'never.three' },
        ],
      })
      const body = { event_type: 'task.assigned', id: 'T-9' }
      expectAccepted(await signed(s.id, body), 'task.assigned')
      const log = await lastLog(t, s.id)
      expect(log.actions).toHaveLength(3)
      expect(log.actions.map((a: any) => a.status)).toEqual(['succeeded', 'succeeded', 'succeeded'])
      const evs = await events(t)
      const byType = Object.fromEntries(evs.map((e) => [e.type, e]))
      expect(Object.keys(byType).sort()).toEqual(['exact.match', 'pattern.match', 'task.assigned'])
      expect(byType['exact.match'].payload).toEqual({ id: 'T-9' })
      expect(byType['pattern.match'].payload).toEqual({ id: 'T-9' })
      expect(byType['task.assigned'].payload).toEqual(body)
      expect(log.actions.map((a: any) => a.eventId)).toEqual([byType['exact.match'].id, byType['pattern.match'].id, byType['task.assigned'].id])

      // A trailing `*` takes one or more segments; patterns match whole segments; with no type at all only `*` applies.
      expectAccepted(await signed(s.id, { event_type: 'task.assigned.late', id: 1 }), 'task.assigned.late')
      expect((await lastLog(t, s.id, 2)).actions.map((a: any) => a.status)).toEqual(['succeeded', 'succeeded'])
      expectAccepted(await signed(s.id, { event_type: 'tasks.assigned', id: 2 }), 'tasks.assigned')
      expect((await lastLog(t, s.id, 3)).actions.map((a: any) => a.status)).toEqual(['succeeded'])
      expectAccepted(await signed(s.id, { id: 3 }), null)
      expect((await lastLog(t, s.id, 4)).actions).toEqual([{ action: 'publish', status: 'failed', error: 'the event has no type to publish as; set publishAs', eventId: null }])
      expect((await events(t)).map((e) => e.type).sort()).toEqual(['exact.match', 'pattern.match', 'pattern.match', 'task.assigned', 'task.assigned.late', 'tasks.assigned'])
    })

    it('fails an action whose received type is no event type name, unless publishAs names one', async () => {
      const t = await tenant()
      const s = await createSource(t, {
        mappings: [
          { eventType: '*', action: 'publish' },
          { eventType: 'Order Completed', action: 'publish', publishAs: 'order.completed' },
        ],
      })
      expectAccepted(await signed(s.id, { event_type: 'Order Completed', total: 3 }), 'Order Completed')
      const log = await lastLog(t, s.id)
      expect(log.actions).toEqual([
        { action: 'publish', status: 'failed', error: '"Order Completed" is not a valid event type name (dot-separated a-z, 0-9, _ and -); set publishAs', eventId: null },
        { action: 'publish', status: 'succeeded', error: null, eventId: expect.stringMatching(/^evt_/) },
      ])
      expect((await events(t)).map((e) => [e.type, e.payload])).toEqual([['order.completed', { event_type: 'Order Completed', total: 3 }]])
    })

    it('fails a whole-body mapping on a body that is not a JSON object, while fields still map it', async () => {
      const t = await tenant()
      const s = await createSource(t, {
        eventTypePath: '$headers.X-Event-Type',
        mappings: [
          { eventType: 'list.sent', action: 'publish' },
          { eventType: 'list.sent', action: 'publish', publishAs: 'list.first', fields: { first: '0', name: '1.name' } },
        ],
      })
      expectAccepted(await signed(s.id, '[10,{"name":"b"}]', { headers: { 'x-event-type': 'list.sent' } }), 'list.sent')
      expect((await lastLog(t, s.id)).actions).toEqual([
        { action: 'publish', status: 'failed', error: 'the body is not a JSON object; map its parts with fields', eventId: null },
        { action: 'publish', status: 'succeeded', error: null, eventId: expect.stringMatching(/^evt_/) },
      ])
      expectAccepted(await signed(s.id, '"just text"', { headers: { 'x-event-type': 'list.sent' } }), 'list.sent')
      expect((await lastLog(t, s.id, 2)).actions.map((a: any) => a.status)).toEqual(['failed', 'succeeded'])
      expect((await events(t)).map((e) => [e.type, e.payload])).toEqual([
        ['list.first', {}],
        ['list.first', { first: 10, name: 'b' }],
      ])
    })

    it('refuses malformed JSON with 400 and logs it as invalid', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [{ eventType: '*', action: 'publish' }] })
      const raw = '{"event_type": "half'
      const res = await signed(s.id, raw)
      expectProblem(res, 400, 'malformed_json')
      const log = await lastLog(t, s.id)
      expect(log).toMatchObject({ status: 'invalid', eventType: null, error: 'the body is not valid JSON', actions: [], request: { body: raw } })
      // An empty body is no JSON either; any content type is read as bytes.
      expectProblem(await signed(s.id, ''), 400, 'malformed_json')
      expectAccepted(await signed(s.id, '{"event_type":"as.text"}', { headers: { 'content-type': 'text/plain' } }), 'as.text')
      expect((await events(t)).map((e) => e.type)).toEqual(['as.text'])
    })

    it('refuses a body nested more than 100 levels deep with 422, as JSON or as a form payload, and logs it as invalid', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [{ eventType: '*', action: 'publish' }] })
      // 202 before: the publish then overflowed the stack, so the event was lost and never sent again.
      const deep = `{"event_type":"deep.one","data":${'['.repeat(20_000)}${']'.repeat(20_000)}}`
      expectProblem(await signed(s.id, deep), 422, 'too_deeply_nested')
      expect(await lastLog(t, s.id)).toMatchObject({ status: 'invalid', eventType: null, error: 'the body nests more than 100 levels deep', actions: [] })
      const form = new URLSearchParams({ payload: deep }).toString()
      expectProblem(await signed(s.id, form, { headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 422, 'too_deeply_nested')
      expect(await lastLog(t, s.id, 2)).toMatchObject({ status: 'invalid', error: 'the body nests more than 100 levels deep' })
      expectProblem(await signed(s.id, deep, { suffix: '/track' }), 422, 'too_deeply_nested')
      expect(await events(t)).toEqual([])
      // 100 levels, the API's own limit, are taken.
      expectAccepted(await signed(s.id, `{"event_type":"deep.enough","data":${'['.repeat(99)}${']'.repeat(99)}}`), 'deep.enough')
    })

    it('refuses a body over 1 MiB with 413', async () => {
      const t = await tenant()
      const s = await createSource(t, { verification: { type: 'none' }, mappings: [{ eventType: '*', action: 'publish' }] })
      const big = JSON.stringify({ event_type: 'big.one', pad: 'x'.repeat(1024 * 1024) })
      const res = await signed(s.id, big)
      expectProblem(res, 413, 'payload_too_large')
      expect(await events(t)).toEqual([])
      // Just under the limit is taken.
      const fits = JSON.stringify({ event_type: 'big.fits', pad: 'x'.repeat(1024 * 1024 - 64) })
      expect(Buffer.byteLength(fits)).toBeLessThanOrEqual(1024 * 1024)
      expectAccepted(await signed(s.id, fits), 'big.fits')
    })

    it('answers 404 for an unknown source, with or without a signature', async () => {
      expectProblem(await post('/in/src_01JD000000000000000000000', '{}'), 404, 'not_found')
      expectProblem(await signed('nope', { event_type: 'a' }), 404, 'not_found')
      expectProblem(await signed('src_unknown', { event: 'a' }, { suffix: '/track' }), 404, 'not_found')
    })

    it('needs no bearer token and ignores one', async () => {
      const t = await tenant()
      const s = await createSource(t, {})
      expectAccepted(await signed(s.id, { event_type: 'a.b' }, { headers: { authorization: 'Bearer wrong-token' } }), 'a.b')
    })
  })

  describe('POST /in/{sourceId}/track', () => {
    it('takes a Segment track call: 204, its event as the type, the whole call as the payload', async () => {
      const t = await tenant()
      const s = await createSource(t, {
        mappings: [
          { eventType: '*', action: 'publish' },
          { eventType: 'Order Completed', action: 'publish', publishAs: 'order.completed', fields: { user: 'userId', total: 'properties.total' } },
        ],
      })
      const call = { type: 'track', event: 'signup.completed', userId: 'u-1', properties: { plan: 'pro' }, timestamp: '2024-02-03T04:05:06.000Z', messageId: 'm-1' }
      const res = await signed(s.id, call, { suffix: '/track' })
      expect(res.status).toBe(204)
      expect(res.body).toBeNull()
      const [event] = await events(t)
      expect(event).toMatchObject({ type: 'signup.completed', payload: call, occurredAt: '2024-02-03T04:05:06.000Z' })
      expect(await lastLog(t, s.id)).toMatchObject({ status: 'accepted', eventType: 'signup.completed', request: { path: `/in/${s.id}/track` } })

      const named = { type: 'track', event: 'Order Completed', anonymousId: 'anon-1', properties: { total: 12.5 } }
      expect((await signed(s.id, named, { suffix: '/track' })).status).toBe(204)
      expect((await events(t, 'order.completed')).map((e) => e.payload)).toEqual([{ total: 12.5 }])
      expect((await lastLog(t, s.id, 2)).actions.map((a: any) => a.status)).toEqual(['failed', 'succeeded'])
    })

    it('refuses a track call without event with 400 and logs it, and checks its signature', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [{ eventType: '*', action: 'publish' }] })
      const res = await signed(s.id, { type: 'track', userId: 'u-1', properties: {} }, { suffix: '/track' })
      expectProblem(res, 400, 'invalid_event')
      expect(await lastLog(t, s.id)).toMatchObject({ status: 'invalid', error: 'a track call needs an event', actions: [] })
      expectProblem(await signed(s.id, { event: '  ' }, { suffix: '/track' }), 400, 'invalid_event')
      expectProblem(await signed(s.id, ['not', 'a', 'call'], { suffix: '/track' }), 400, 'invalid_event')
      expectProblem(await post(`/in/${s.id}/track`, '{"event":"a.b"}', { [SIG]: hmacHex('wrong', '{"event":"a.b"}') }), 401, 'verification_failed')
      expectProblem(await signed(s.id, '{"event":', { suffix: '/track' }), 400, 'malformed_json')
      expect(await events(t)).toEqual([])
    })
  })

  describe('the request log', () => {
    it('lists newest first, pages with limit and cursor, and redacts credentials and signatures', async () => {
      const t = await tenant()
      const s = await createSource(t, { mappings: [{ eventType: '*', action: 'publish' }] })
      for (let i = 1; i <= 5; i++) {
        expectAccepted(await signed(s.id, { event_type: `seq.n${i}` }, { headers: { authorization: `Bearer tok_${i}`, 'x-api-key': 'k', cookie: 'c=1', 'x-trace-id': `trace-${i}` } }), `seq.n${i}`)
      }
      const all = await eventually(async () => {
        const r = await logs(t, s.id)
        return r.length === 5 ? r : undefined
      })
      expect(all.map((r) => r.eventType)).toEqual(['seq.n5', 'seq.n4', 'seq.n3', 'seq.n2', 'seq.n1'])
      for (const r of all) {
        expect(r.request.headers).toMatchObject({ authorization: '[redacted]', 'x-api-key': '[redacted]', cookie: '[redacted]', [SIG]: '[redacted]', 'content-type': 'application/json' })
        expect(r.request.headers['x-trace-id']).toMatch(/^trace-\d$/)
      }
      expect(JSON.stringify(all)).not.toContain('tok_')

      const p1 = await ctx.srv.api('GET', `${t}/sources/${s.id}/logs?limit=2`)
      expect(expectList(p1).map((r) => r.eventType)).toEqual(['seq.n5', 'seq.n4'])
      expect(typeof p1.body.nextCursor).toBe('string')
      const p2 = await ctx.srv.api('GET', `${t}/sources/${s.id}/logs?limit=2&cursor=${encodeURIComponent(p1.body.nextCursor)}`)
      expect(expectList(p2).map((r) => r.eventType)).toEqual(['seq.n3', 'seq.n2'])
      const p3 = await ctx.srv.api('GET', `${t}/sources/${s.id}/logs?limit=2&cursor=${encodeURIComponent(p2.body.nextCursor)}`)
      expect(expectList(p3).map((r) => r.eventType)).toEqual(['seq.n1'])
      expect(p3.body.nextCursor).toBeNull()
      const walked = await walkPages(ctx.srv, `${t}/sources/${s.id}/logs`, 2)
      expect(walked.items).toEqual(all)
      expect(walked.pages).toBe(3)
      expectInvalid(await ctx.srv.api('GET', `${t}/sources/${s.id}/logs?limit=0`), '/query/limit')
    })

    it('redacts a custom hmac header named by the source', async () => {
      const t = await tenant()
      const s = await createSource(t, { verification: { type: 'hmac', secret: SECRET, header: 'X-Acme-Auth' } })
      const raw = '{"event_type":"custom.header"}'
      expectAccepted(await post(`/in/${s.id}`, raw, { 'x-acme-auth': hmacHex(SECRET, raw), 'x-acme-other': 'shown' }), 'custom.header')
      const log = await lastLog(t, s.id)
      expect(log.request.headers['x-acme-auth']).toBe('[redacted]')
      expect(log.request.headers['x-acme-other']).toBe('shown')
    })
  })

  it('delivers an inbound event to an outbound endpoint subscribed to its published type', async () => {
    const t = await tenant()
    const receiver = await startReceiver()
    try {
      const ep = await ctx.srv.api('POST', `${t}/endpoints`, { url: `${receiver.url}/hooks`, eventTypes: ['crm.*'] })
      expect(ep.status).toBe(201)
      const other = await ctx.srv.api('POST', `${t}/endpoints`, { url: `${receiver.url}/other`, eventTypes: ['billing.*'] })
      expect(other.status).toBe(201)
      const epSecret = (await ctx.srv.api('GET', `${t}/endpoints/${ep.body.id}/secret`)).body.secret as string
      const s = await createSource(t, {
        timestampPath: 'at',
        mappings: [{ eventType: 'contact.created', action: 'publish', publishAs: 'crm.contact_created', fields: { email: 'contact.email' }, required: ['email'] }],
      })
      expectAccepted(await signed(s.id, { event_type: 'contact.created', at: 1700000000, contact: { email: 'ada@example.com' } }), 'contact.created')
      const [hit] = await receiver.waitForHits(1, DELIVERY_WAIT_MS)
      expect(hit?.url).toBe('/hooks')
      const [event] = await events(t)
      expect(event.deliveryCount).toBe(1)
      expect(JSON.parse(hit?.body ?? '')).toEqual({ id: event.id, type: 'crm.contact_created', timestamp: expect.any(String), data: { email: 'ada@example.com' } })
      expect(hit?.headers['webhook-id']).toBe(event.id)
      // Signed as any outbound delivery, with the endpoint's secret.
      const verified = new Webhook(epSecret).verify(hit?.body ?? '', {
        'webhook-id': String(hit?.headers['webhook-id']),
        'webhook-timestamp': String(hit?.headers['webhook-timestamp']),
        'webhook-signature': String(hit?.headers['webhook-signature']),
      })
      expect(verified).toEqual({ id: event.id, type: 'crm.contact_created', timestamp: expect.any(String), data: { email: 'ada@example.com' } })
      await eventually(async () => {
        const ds = expectList(await ctx.srv.api('GET', `${t}/deliveries?eventId=${event.id}`))
        return ds.length === 1 && ds[0].status === 'succeeded' && ds[0].endpointId === ep.body.id
      }, DELIVERY_WAIT_MS)
      expect(receiver.hits).toHaveLength(1)
    } finally {
      await receiver.close()
    }
  })
})
