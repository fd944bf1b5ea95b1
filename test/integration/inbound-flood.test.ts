/**
 * API.md "Inbound sources" under a flood: 5,000 requests with missing or wrong signatures (50 at a
 * time) while valid signed requests keep arriving. Every valid one must be answered 202 and its
 * event published, the refused ones logged as verification_failed, and the server's heap (the
 * test server runs in this process) must not grow past a generous bound. No timing is asserted:
 * timing belongs to the benchmarks.
 * Network rule: loopback only.
 */
import { createHmac } from 'node:crypto'
import { setTimeout as delay } from 'node:timers/promises'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { eventually, startTestServer, type TestServer } from '../helpers/server.js'
import { guardAgainst5xx, walkPages } from './api-support.js'

const SECRET = 'hr_flood_secret_0123456789abcdef'
const T = '/v1/tenants/flood'
const INVALID = 5000
const CONCURRENCY = 50
/** Valid requests at least, however fast the flood goes. */
const MIN_VALID = 30
const HEAP_BOUND = 64 * 1024 * 1024

const hmacHex = (secret: string, body: string): string => createHmac('sha256', secret).update(body).digest('hex')

describe('inbound flood of invalid requests', () => {
  let srv: TestServer
  let check5xx: () => void
  beforeAll(async () => {
    srv = await startTestServer()
    check5xx = guardAgainst5xx(srv)
    expect((await srv.api('POST', '/v1/tenants', { id: 'flood', name: 'Flood' })).status).toBe(201)
  })
  afterEach(() => check5xx())
  afterAll(async () => {
    await srv?.close()
  })

  it('answers every valid request 202 and publishes it, logs the refused ones, and keeps the heap bounded', async () => {
    const created = await srv.api('POST', `${T}/sources`, {
      name: 'flooded',
      verification: { type: 'hmac', secret: SECRET },
      mappings: [{ eventType: 'flood.valid', action: 'publish', fields: { seq: 'seq' }, required: ['seq'] }],
    })
    expect(created.status).toBe(201)
    const ingest = `${srv.url}/in/${created.body.id as string}`
    const padding = 'p'.repeat(16 * 1024)

    const send = async (body: string, signature: string | null): Promise<{ status: number; body: string }> => {
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (signature !== null) headers['x-hookrelay-signature'] = signature
      const res = await fetch(ingest, { method: 'POST', headers, body })
      return { status: res.status, body: await res.text() }
    }
    const invalidOne = (i: number): Promise<{ status: number; body: string }> => {
      const body = JSON.stringify({ event_type: 'flood.valid', seq: -i, padding })
      // Half without a signature, half signed with another secret.
      return send(body, i % 2 === 0 ? null : hmacHex('not-the-secret', body))
    }

    // Warm up (JIT, connection pool, caches) before the heap is measured.
    await Promise.all(Array.from({ length: CONCURRENCY }, (_, i) => invalidOne(i)))
    // Live objects only: garbage not yet collected is no growth (and its timing is the machine's load).
    const liveHeap = () => {
      ;(globalThis as { gc?: () => void }).gc?.()
      return process.memoryUsage().heapUsed
    }
    const heapBefore = liveHeap()

    let next = 0
    const invalidStatuses = new Map<number, number>()
    const flood = Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < INVALID) {
          const i = next++
          const res = await invalidOne(i)
          invalidStatuses.set(res.status, (invalidStatuses.get(res.status) ?? 0) + 1)
        }
      }),
    )
    let flooding = true
    void flood.finally(() => {
      flooding = false
    })

    // The trickle: one valid request at a time, paced, for as long as the flood lasts.
    const valid: Array<{ seq: number; status: number; body: string }> = []
    for (let seq = 1; flooding || seq <= MIN_VALID; seq++) {
      const body = JSON.stringify({ event_type: 'flood.valid', seq })
      const res = await send(body, hmacHex(SECRET, body))
      valid.push({ seq, ...res })
      await delay(5)
    }
    await flood
    const heapAfter = liveHeap()

    expect(Object.fromEntries(invalidStatuses)).toEqual({ 401: INVALID })
    expect(valid.length).toBeGreaterThanOrEqual(MIN_VALID)
    for (const v of valid) {
      expect({ seq: v.seq, status: v.status, body: JSON.parse(v.body) }).toEqual({ seq: v.seq, status: 202, body: { accepted: true, eventType: 'flood.valid', duplicate: false } })
    }
    expect(heapAfter - heapBefore, `heap grew from ${heapBefore} to ${heapAfter} bytes`).toBeLessThan(HEAP_BOUND)

    // Every valid request published exactly one event, carrying its seq.
    const events = await walkPages(srv, `${T}/events?type=flood.valid`, 250)
    expect(events.items.map((e) => e.payload.seq as number).sort((a, b) => a - b)).toEqual(valid.map((v) => v.seq))

    // The refused ones are logged: the flood, 50 at a time, never fills the writer's 5,000-entry
    // queue, so none is dropped. The log is committed before each 401 is sent.
    const logs = await eventually(async () => {
      const l = await walkPages(srv, `${T}/sources/${created.body.id as string}/logs`, 250)
      return l.items.length === CONCURRENCY + INVALID + valid.length ? l.items : undefined
    }, 10_000)
    const refused = logs.filter((l) => l.status === 'verification_failed')
    expect(refused).toHaveLength(CONCURRENCY + INVALID)
    const reasons = new Map<string, number>()
    for (const l of refused) reasons.set(l.error, (reasons.get(l.error) ?? 0) + 1)
    expect(Object.fromEntries(reasons)).toEqual({
      'missing X-Hookrelay-Signature header': (CONCURRENCY + INVALID) / 2,
      'X-Hookrelay-Signature does not match the body': (CONCURRENCY + INVALID) / 2,
    })
    const accepted = logs.filter((l) => l.status === 'accepted')
    expect(accepted).toHaveLength(valid.length)
    for (const l of accepted) expect(l.actions).toEqual([{ action: 'publish', status: 'succeeded', error: null, eventId: expect.stringMatching(/^evt_/) }])
    // 5,000 requests of 16 KiB: about 10 s alone, several times that beside the rest of the suite on
    // two cores. The limit only stops a hang; no timing is asserted.
  }, 180_000)
})
