/**
 * The request log and idempotency keys with input a database may not hold as it is: keys of
 * thousands of characters (longer than a PostgreSQL index entry), U+0000 (which PostgreSQL text
 * refuses) in keys and in what is logged. Each request is answered as usual, never with a 500, and
 * its log row is written, along with every other row of the batch it shared. Credentials in the
 * query string are not logged. Runs on SQLite, and on
 * PostgreSQL in the second pass of `npm test`.
 */
import { randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { startTestServer, TEST_STORE, type TestServer } from '../helpers/server.js'
import { expectProblem, guardAgainst5xx } from './api-support.js'
import { inboundClient } from './inbound-support.js'

const DIGEST = /^sha256:[A-Za-z0-9_-]{43}$/

describe('the request log and idempotency keys, whatever a webhook holds', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'hookrelay-test-'))
  let srv: TestServer
  let check5xx: () => void
  const start = async () => {
    srv = await startTestServer({ dataDir })
    check5xx = guardAgainst5xx(srv)
  }
  /** The same store under a new server: nothing is left in memory, so repeats are found in the database. */
  const restart = async () => {
    await srv.close()
    await start()
  }
  beforeAll(start)
  afterEach(() => check5xx())
  afterAll(async () => {
    await srv?.close()
    rmSync(dataDir, { recursive: true, force: true })
  })
  const { tenant, createSource, post, logsOnce } = inboundClient(() => srv)
  const keyed = { idempotency: { keyPath: 'id' }, mappings: [{ eventType: '*', action: 'publish' }] }

  it('stores a key of 6,000 characters as its digest: accepted, logged, and its repeat is a duplicate', async () => {
    const [t1, t2] = [await tenant(), await tenant()]
    const a = await createSource(t1, keyed)
    const b = await createSource(t2, {})
    // Random, so that PostgreSQL cannot compress it below its index entry limit (2,704 bytes).
    const long = randomBytes(4500).toString('base64')
    // Sent together, so their log rows share a batch: the long key must not take the others with it.
    const answers = await Promise.all([
      post(`/in/${a.id}`, JSON.stringify({ event_type: 'key.long', id: long })),
      post(`/in/${b.id}`, JSON.stringify({ event_type: 'other.tenant' })),
      post(`/in/${a.id}`, JSON.stringify({ event_type: 'key.short', id: 'k-1' })),
    ])
    expect(answers.map((r) => r.status)).toEqual([202, 202, 202])
    const rows = await logsOnce(t1, a.id, 2)
    const byType = Object.fromEntries(rows.map((r) => [r.eventType, r.idempotencyKey]))
    expect(byType['key.short']).toBe('k-1')
    expect(byType['key.long']).toMatch(DIGEST)
    expect((await logsOnce(t2, b.id, 1)).map((r) => r.eventType)).toEqual(['other.tenant'])

    const again = JSON.stringify({ event_type: 'key.long', id: long, n: 2 })
    expect(await post(`/in/${a.id}`, again)).toMatchObject({ status: 200, body: { duplicate: true } })
    await restart()
    expect(await post(`/in/${a.id}`, again)).toMatchObject({ status: 200, body: { duplicate: true } })
    expect(await post(`/in/${a.id}`, JSON.stringify({ event_type: 'key.long', id: `${long}!` }))).toMatchObject({ status: 202 })
  })

  it('takes U+0000 in a key and in an event type, and logs both requests', async () => {
    const t = await tenant()
    const s = await createSource(t, keyed)
    const nulKey = '{"event_type":"k","id":"k\\u0000"}'
    expect(await post(`/in/${s.id}`, nulKey)).toMatchObject({ status: 202, body: { duplicate: false } })
    expect(await post(`/in/${s.id}`, nulKey)).toMatchObject({ status: 200, body: { duplicate: true } })
    // Another key than the same one without its U+0000.
    expect(await post(`/in/${s.id}`, '{"event_type":"k","id":"k"}')).toMatchObject({ status: 202 })
    expect(await post(`/in/${s.id}`, '{"event_type":"a\\u0000b"}')).toMatchObject({ status: 202, body: { eventType: 'a\u0000b' } })

    const rows = await logsOnce(t, s.id, 4)
    expect(rows.map((r) => r.status)).toEqual(['accepted', 'accepted', 'duplicate', 'accepted'])
    expect(rows[3].idempotencyKey).toMatch(DIGEST)
    // PostgreSQL text cannot hold U+0000: its log shows U+FFFD in its place.
    expect(rows[0].eventType).toBe(TEST_STORE === 'postgres' ? 'a\uFFFDb' : 'a\u0000b')

    await restart()
    expect(await post(`/in/${s.id}`, nulKey)).toMatchObject({ status: 200, body: { duplicate: true } })
  })

  it("refuses U+0000 in a published event's idempotency key with 422, on every store", async () => {
    const t = await tenant()
    const res = await srv.api('POST', `${t}/events`, { type: 'nul.key', payload: { text: 'a\u0000b' }, idempotencyKey: 'k\u0000' })
    expect(expectProblem(res, 422, 'validation_failed').map((e) => e.path)).toEqual(['/idempotencyKey'])
    // In the payload it is only data, kept as sent.
    const ok = await srv.api('POST', `${t}/events`, { type: 'nul.key', payload: { text: 'a\u0000b', 'k\u0000': 1 }, idempotencyKey: 'k' })
    expect(ok.status).toBe(202)
    expect((await srv.api('GET', `${t}/events/${ok.body.id}`)).body.payload).toEqual({ text: 'a\u0000b', 'k\u0000': 1 })
  })

  it('logs the path without the values of credential-looking query parameters', async () => {
    const t = await tenant()
    const s = await createSource(t, {})
    expect((await post(`/in/${s.id}?token=supersecret&page=2&API_KEY=k3y`, '{"event_type":"query.secret"}')).status).toBe(202)
    expect((await post(`/in/${s.id}?access_token=supersecret`, '{"event_type":')).status).toBe(400)
    const rows = await logsOnce(t, s.id, 2)
    expect(rows.map((r) => r.request.path)).toEqual([`/in/${s.id}?access_token=[redacted]`, `/in/${s.id}?token=[redacted]&page=2&API_KEY=[redacted]`])
    expect(JSON.stringify(rows)).not.toMatch(/supersecret|k3y/)
  })
})
