import { describe, expect, it } from 'vitest'
import type { OutboundRequest, SendResult } from './sender.js'
import { decodeRequests, decodeResults, encodeRequest, encodeResult, type Flat } from './sender-messages.js'

const post: OutboundRequest = {
  method: 'POST',
  url: 'http://127.0.0.1:9/hook?x=1',
  headers: { 'content-type': 'application/json', 'user-agent': 'hookrelay/0', authorization: 'Bearer t', 'webhook-id': 'evt_1' },
  body: '{"id":"evt_1","data":{"é":"ü"}}',
  timeoutMs: 30_000,
}
const get: OutboundRequest = { method: 'GET', url: 'http://127.0.0.1:9/q?a=b', headers: {}, body: null, timeoutMs: 5_000, allowedNetworks: ['10.0.0.0/8', '127.0.0.1/32'] }

const answered: SendResult = {
  startedAt: 1_796_000_000_123,
  durationMs: 7,
  response: { status: 201, headers: { 'content-type': 'text/plain', 'set-cookie': 'a=1, b=2', date: 'Mon, 07 Dec 2026 02:00:00 GMT' }, body: 'thanks ✓' },
  error: null,
}
const failed: SendResult = { startedAt: 1_796_000_000_200, durationMs: 0, response: null, error: { kind: 'network', message: 'connection refused: connect ECONNREFUSED 127.0.0.1:9' } }
const empty: SendResult = { startedAt: 1, durationMs: 2, response: { status: 204, headers: {}, body: '' }, error: null }

/** Whether a value crosses as plain strings, numbers and nulls (a tenant's network list is the one array). */
const flat = (batch: Flat): boolean => batch.every((v) => v === null || typeof v === 'string' || typeof v === 'number' || (Array.isArray(v) && v.every((s) => typeof s === 'string')))

describe('sender messages', () => {
  it('carries a batch of requests as flat values, and gives each back with its id and headers in order', () => {
    const batch: Flat = []
    encodeRequest(batch, 1, post)
    encodeRequest(batch, 2, get)
    expect(flat(batch)).toBe(true)
    const got: Array<[number, unknown]> = []
    decodeRequests(structuredClone(batch), (id, req) => got.push([id, req]))
    expect(got).toEqual([
      [1, { ...post, headers: ['content-type', 'application/json', 'user-agent', 'hookrelay/0', 'authorization', 'Bearer t', 'webhook-id', 'evt_1'] }],
      [2, { ...get, headers: [] }],
    ])
    // No tenant list: the sender's own policy, as before (the field is absent, not null).
    expect(got[0]![1]).not.toHaveProperty('allowedNetworks')
  })

  it('carries results back as the attempt log needs them: the response (headers, body) or the error', () => {
    const batch: Flat = []
    encodeResult(batch, 7, answered)
    encodeResult(batch, 8, failed)
    encodeResult(batch, 9, empty)
    expect(flat(batch)).toBe(true)
    const got: Array<[number, SendResult]> = []
    decodeResults(structuredClone(batch), (id, result) => got.push([id, result]))
    expect(got).toEqual([
      [7, answered],
      [8, failed],
      [9, empty],
    ])
    // Header order survives, as the attempt log's JSON text shows it.
    expect(Object.keys(got[0]![1].response!.headers)).toEqual(['content-type', 'set-cookie', 'date'])
  })

  it('never echoes the request back: a result holds only what the exchange produced', () => {
    const batch: Flat = []
    encodeResult(batch, 1, failed)
    expect(batch).toEqual([1, failed.startedAt, 0, 0, 'network', failed.error!.message])
    const large: Flat = []
    encodeResult(large, 1, answered)
    expect(large).not.toContain(post.body)
    expect(large).not.toContain(post.url)
  })
})
