/**
 * Source settings as the ingest path applies them: the 24-hour life of a rotated-out secret, and
 * what the sources API accepts and refuses in `verification`. Over real HTTP, on SQLite, and on
 * PostgreSQL in the second pass of `npm test`.
 */
import { createHmac } from 'node:crypto'
import { Webhook } from 'standardwebhooks'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { openStore } from '../../src/store/open-store.js'
import type { Store } from '../../src/store/store.js'
import { startTestServer, type TestServer } from '../helpers/server.js'
import { expectInvalid, expectProblem, guardAgainst5xx } from './api-support.js'
import { inboundClient } from './inbound-support.js'

const DAY_MS = 24 * 3600 * 1000
const hmacHex = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('hex')

describe('source settings', () => {
  let srv: TestServer
  let check5xx: () => void
  /** A second handle on the server's database, to change what the API cannot (time). */
  let store: Store
  beforeAll(async () => {
    srv = await startTestServer()
    check5xx = guardAgainst5xx(srv)
    store = await openStore({ databaseUrl: srv.databaseUrl, dataDir: srv.dataDir, sqliteSynchronous: 'NORMAL', databasePoolSize: 2 })
  })
  afterEach(() => check5xx())
  afterAll(async () => {
    await store?.close()
    await srv?.close()
  })
  const { tenant, createSource, post } = inboundClient(() => srv)
  const signed = (id: string, secret: string, body: string) => post(`/in/${id}`, body, { 'x-hookrelay-signature': hmacHex(secret, body) })

  const FIRST = 'hr_first_secret_0123456789'
  const SECOND = 'hr_second_secret_0123456789'
  /** A source rotated from FIRST to SECOND; checks that FIRST is kept until 24 hours after the rotation. */
  const rotatedSource = async () => {
    const t = await tenant()
    const s = await createSource(t, { verification: { type: 'hmac', secret: FIRST } })
    const before = Date.now()
    expect((await srv.api('POST', `${t}/sources/${s.id}/secret/rotate`, { secret: SECOND })).status).toBe(200)
    const after = Date.now()
    const sealed = (await store.getSourceSecrets(s.id))!
    expect(sealed.previous).toHaveLength(1)
    expect(sealed.previous[0]!.expiresAt).toBeGreaterThanOrEqual(before + DAY_MS)
    expect(sealed.previous[0]!.expiresAt).toBeLessThanOrEqual(after + DAY_MS)
    return { id: s.id as string, sealed }
  }
  const body = '{"event_type":"rotation.check"}'

  it('takes the previous secret and the new one within 24 hours of a rotation', async () => {
    const { id } = await rotatedSource()
    expect((await signed(id, FIRST, body)).status).toBe(202)
    expect((await signed(id, SECOND, body)).status).toBe(202)
  })

  it('stops taking the previous secret once 24 hours have passed since the rotation', async () => {
    const { id, sealed } = await rotatedSource()
    // The row as it is a day later: the previous secret's 24 hours are over. Changed before the
    // server reads the source again (a rotation makes it forget its cached copy).
    await store.setSourceSecrets(id, { ...sealed, previous: [{ ...sealed.previous[0]!, expiresAt: Date.now() - 1 }] }, '****6789', Date.now())
    expectProblem(await signed(id, FIRST, body), 401, 'verification_failed')
    expect((await signed(id, SECOND, body)).status).toBe(202)
  })

  it('takes a standard-webhooks secret without its whsec_ prefix, as the verifier does', async () => {
    const t = await tenant()
    const bare = Buffer.alloc(32, 9).toString('base64')
    const s = await createSource(t, { verification: { type: 'standard-webhooks', secret: bare }, eventTypePath: 'type' })
    const raw = JSON.stringify({ type: 'user.created' })
    const now = new Date()
    const headers = { 'webhook-id': 'msg_bare', 'webhook-timestamp': String(Math.floor(now.getTime() / 1000)), 'webhook-signature': new Webhook(bare).sign('msg_bare', now, raw) }
    expect(await post(`/in/${s.id}`, raw, headers)).toMatchObject({ status: 202, body: { eventType: 'user.created' } })
    expect((await srv.api('POST', `${t}/sources/${s.id}/secret/rotate`, { secret: Buffer.alloc(24, 1).toString('base64') })).status).toBe(200)

    // The sender picks the secret: any non-empty one is taken (inbound-own-keys.test.ts signs with them).
    expectInvalid(await srv.api('POST', `${t}/sources`, { name: 'x', verification: { type: 'standard-webhooks', secret: '' } }), '/verification/secret')
  })

  it('refuses header, encoding and prefix with a verification type other than hmac, naming each', async () => {
    const t = await tenant()
    const paths = (res: { body: { errors?: Array<{ path: string }> } }) => (res.body.errors ?? []).map((e) => e.path).sort()
    const github = await srv.api('POST', `${t}/sources`, { name: 'gh', verification: { type: 'github', secret: 'gh_secret_0123', header: 'X-Hub-Signature-256' } })
    expectProblem(github, 422, 'validation_failed')
    expect(paths(github)).toEqual(['/verification/header'])
    const stripe = await srv.api('POST', `${t}/sources`, { name: 's', verification: { type: 'stripe', secret: 'whsec_0123456789', encoding: 'hex', prefix: 'v1=' } })
    expectProblem(stripe, 422, 'validation_failed')
    expect(paths(stripe)).toEqual(['/verification/encoding', '/verification/prefix'])

    const s = await createSource(t, { verification: { type: 'hmac', secret: FIRST, header: 'X-Signature', encoding: 'base64', prefix: 'sha256=' } })
    expectInvalid(await srv.api('PATCH', `${t}/sources/${s.id}`, { verification: { type: 'none', prefix: 'sha256=' } }), '/verification/prefix')
    expect((await srv.api('GET', `${t}/sources/${s.id}`)).body.verification).toMatchObject({ type: 'hmac', header: 'X-Signature', encoding: 'base64', prefix: 'sha256=' })
  })

  it('refuses a source name holding U+0000 with 422 on every store (PostgreSQL text cannot hold it)', async () => {
    const t = await tenant()
    expectInvalid(await srv.api('POST', `${t}/sources`, { name: 'a\u0000b', verification: { type: 'none' } }), '/name')
    const s = await createSource(t, {})
    expectInvalid(await srv.api('PATCH', `${t}/sources/${s.id}`, { name: 'a\u0000b' }), '/name')
  })

  it('refuses paths holding U+0000 with 422 on every store', async () => {
    const t = await tenant()
    const nul = 'data.a\u0000b'
    for (const [field, path] of [
      [{ eventTypePath: nul }, '/eventTypePath'],
      [{ timestampPath: nul }, '/timestampPath'],
      [{ idempotency: { keyPath: nul } }, '/idempotency/keyPath'],
      [{ mappings: [{ eventType: '*', action: 'publish', fields: { id: nul } }] }, '/mappings/0/fields/id'],
    ] as const) {
      expectInvalid(await srv.api('POST', `${t}/sources`, { name: 'src', verification: { type: 'none' }, ...field }), path)
    }
    const s = await createSource(t, {})
    for (const [field, path] of [
      [{ eventTypePath: nul }, '/eventTypePath'],
      [{ timestampPath: nul }, '/timestampPath'],
      [{ idempotency: { keyPath: nul } }, '/idempotency/keyPath'],
    ] as const) {
      expectInvalid(await srv.api('PATCH', `${t}/sources/${s.id}`, field), path)
    }
    expect((await srv.api('GET', `${t}/sources/${s.id}`)).body).toMatchObject({ eventTypePath: 'event_type', timestampPath: null, idempotency: null })
  })

  it('refuses a secret holding U+0000 with 422 naming it on every store (its hint is text)', async () => {
    const t = await tenant()
    for (const secret of [`${FIRST}\u0000ab`, 'a\u0000']) {
      expectInvalid(await srv.api('POST', `${t}/sources`, { name: 'src', verification: { type: 'hmac', secret } }), '/verification/secret')
      expectInvalid(await srv.api('POST', `${t}/sources`, { name: 'src', verification: { type: 'github', secret } }), '/verification/secret')
    }
    const none = await createSource(t, {})
    expectInvalid(await srv.api('PATCH', `${t}/sources/${none.id}`, { verification: { type: 'hmac', secret: `${FIRST}\u0000ab` } }), '/verification/secret')
    const s = await createSource(t, { verification: { type: 'hmac', secret: FIRST } })
    expectInvalid(await srv.api('PATCH', `${t}/sources/${s.id}`, { verification: { type: 'hmac', secret: `${SECOND}\u0000ab` } }), '/verification/secret')
    expectInvalid(await srv.api('POST', `${t}/sources/${s.id}/secret/rotate`, { secret: `${SECOND}\u0000ab` }), '/secret')
    const body = '{"event_type":"still.first"}'
    expect((await signed(s.id, FIRST, body)).status).toBe(202)
  })
})
