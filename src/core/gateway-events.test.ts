import zlib from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { EVENT_BODY_BYTES, eventBody, forwardableHeaders, lifecyclePayload, lifecycleTypes, outcomeName, queryObject, requestView } from './gateway-events.js'

describe('lifecycleTypes', () => {
  it('names the outcome, adds request.error for anything but a 2xx, and request.completed always', () => {
    const answer = (status: number) => lifecycleTypes({ kind: 'response', status, headers: {}, body: Buffer.alloc(0) })
    expect(answer(200)).toEqual(['request.success', 'request.completed'])
    expect(answer(204)).toEqual(['request.success', 'request.completed'])
    expect(answer(302)).toEqual(['request.redirect', 'request.error', 'request.completed'])
    expect(answer(404)).toEqual(['request.client_error', 'request.error', 'request.completed'])
    expect(answer(503)).toEqual(['request.server_error', 'request.error', 'request.completed'])
    expect(lifecycleTypes({ kind: 'timeout' })).toEqual(['request.timeout', 'request.error', 'request.completed'])
    expect(lifecycleTypes({ kind: 'unreachable', message: 'refused' })).toEqual(['request.error', 'request.completed'])
  })

  it('makes an answer broken off on its way an error (a timeout when the upstream fell silent), whatever its status', () => {
    const broken = (broken: 'timeout' | 'upstream' | 'client') => lifecycleTypes({ kind: 'response', status: 200, headers: {}, body: Buffer.alloc(0), broken })
    expect(broken('timeout')).toEqual(['request.timeout', 'request.error', 'request.completed'])
    expect(broken('upstream')).toEqual(['request.error', 'request.completed'])
    expect(broken('client')).toEqual(['request.error', 'request.completed'])
    expect(lifecycleTypes({ kind: 'client_failed', reason: 'too_large' })).toEqual(['request.error', 'request.completed'])
  })
})

describe('outcomeName', () => {
  it('is the outcome type without its prefix, or unreachable', () => {
    expect(outcomeName({ kind: 'response', status: 201, headers: {}, body: Buffer.alloc(0) })).toBe('success')
    expect(outcomeName({ kind: 'response', status: 429, headers: {}, body: Buffer.alloc(0) })).toBe('client_error')
    expect(outcomeName({ kind: 'timeout' })).toBe('timeout')
    expect(outcomeName({ kind: 'unreachable', message: 'x' })).toBe('unreachable')
    const broken = (broken: 'timeout' | 'upstream' | 'client') => outcomeName({ kind: 'response', status: 200, headers: {}, body: Buffer.alloc(0), broken })
    expect([broken('timeout'), broken('upstream'), broken('client')]).toEqual(['timeout', 'broken', 'client_closed'])
    expect(outcomeName({ kind: 'client_failed', reason: 'too_large' })).toBe('too_large')
    expect(outcomeName({ kind: 'client_failed', reason: 'gone' })).toBe('client_closed')
  })
})

describe('eventBody', () => {
  it('parses JSON by content type, keeps anything else as text, and gives null for no body', () => {
    expect(eventBody('application/json; charset=utf-8', Buffer.from('{"a":1}'))).toEqual({ a: 1 })
    expect(eventBody('application/vnd.api+json', Buffer.from('[1]'))).toEqual([1])
    expect(eventBody('application/json', Buffer.from('{not json'))).toBe('{not json')
    expect(eventBody('text/plain', Buffer.from('{"a":1}'))).toBe('{"a":1}')
    expect(eventBody(undefined, Buffer.from('hi'))).toBe('hi')
    expect(eventBody('application/json', Buffer.alloc(0))).toBeNull()
  })

  it('reads a gzip, deflate or br encoded body decoded, and says so when it cannot', () => {
    const json = Buffer.from('{"a":1}')
    expect(eventBody('application/json', zlib.gzipSync(json), 'gzip')).toEqual({ a: 1 })
    expect(eventBody('application/json', zlib.deflateSync(json), 'deflate')).toEqual({ a: 1 })
    expect(eventBody('text/plain', zlib.brotliCompressSync(Buffer.from('hi')), 'br')).toBe('hi')
    expect(eventBody('text/plain', Buffer.from('not gzip'), 'gzip')).toBe('(a gzip-encoded body that could not be decoded)')
    expect(eventBody('text/plain', Buffer.from('zz'), 'zstd')).toBe('(a zstd-encoded body)')
    expect(eventBody('text/plain', Buffer.from('plain'), 'identity')).toBe('plain')
  })

  it('stops decoding just past 64 KiB, so a decompression bomb costs next to nothing', () => {
    // 64 MiB of zeros in a few bytes: refused at the bound, never inflated in full.
    const bomb = zlib.brotliCompressSync(Buffer.alloc(64 * 1024 * 1024))
    expect(bomb.length).toBeLessThan(1024)
    expect(eventBody('application/json', bomb, 'br')).toBe('(a br-encoded body over 64 KiB decoded)')
    expect(eventBody('application/json', zlib.gzipSync(Buffer.alloc(EVENT_BODY_BYTES + 2)), 'gzip')).toBe('(a gzip-encoded body over 64 KiB decoded)')
  })

  it('cuts a body over 64 KiB to 64 KiB of text, JSON or not', () => {
    const big = Buffer.from(JSON.stringify({ pad: 'x'.repeat(EVENT_BODY_BYTES) }))
    const cut = eventBody('application/json', big)
    expect(typeof cut).toBe('string')
    expect((cut as string).length).toBe(EVENT_BODY_BYTES)
  })
})

describe('queryObject', () => {
  it('makes arrays of repeated names and decodes values', () => {
    expect(queryObject('a=1&a=2&b=x%20y&c=')).toEqual({ a: ['1', '2'], b: 'x y', c: '' })
    expect(queryObject('')).toEqual({})
  })
})

describe('forwardableHeaders', () => {
  it('drops hop-by-hop headers, those Connection names, and the ones asked for', () => {
    const out = forwardableHeaders(
      { connection: 'keep-alive, X-Secret-Hop', 'keep-alive': 'timeout=5', 'transfer-encoding': 'chunked', upgrade: 'h2c', te: 'trailers', 'x-secret-hop': '1', host: 'a', 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] },
      ['host'],
    )
    expect(out).toEqual({ 'content-type': 'text/plain', 'set-cookie': ['a=1', 'b=2'] })
  })
})

describe('lifecyclePayload', () => {
  it('carries the request and the response, with credentials redacted', () => {
    const p = lifecyclePayload(
      'orders',
      requestView({
        method: 'POST',
        path: '/v1/items',
        search: 'a=1&api_key=k1&access_token=t1&X-Amz-Signature=s&sig=h&jwt=j&keyword=w',
        headers: { authorization: 'Bearer s3cret', 'content-type': 'application/json', connection: 'keep-alive' },
        body: Buffer.from('{"n":1}'),
      }),
      { kind: 'response', status: 201, headers: { 'set-cookie': ['sid=1'], 'content-type': 'text/plain', 'keep-alive': 'timeout=5' }, body: Buffer.from('ok') },
      12,
    )
    expect(p).toEqual({
      route: 'orders',
      request: {
        method: 'POST',
        path: '/v1/items',
        // Judged as a source's log judges them (credential-name.ts).
        query: { a: '1', api_key: '[redacted]', access_token: '[redacted]', 'X-Amz-Signature': '[redacted]', sig: '[redacted]', jwt: '[redacted]', keyword: 'w' },
        headers: { authorization: '[redacted]', 'content-type': 'application/json' },
        body: { n: 1 },
      },
      response: { status: 201, headers: { 'set-cookie': '[redacted]', 'content-type': 'text/plain' }, body: 'ok' },
      durationMs: 12,
    })
  })

  it('has a null response before the upstream answers, or when it never does', () => {
    const req = requestView({ method: 'GET', path: '/', search: '', headers: {}, body: Buffer.alloc(0) })
    expect(lifecyclePayload('r', req, null, 0).response).toBeNull()
    expect(lifecyclePayload('r', req, { kind: 'timeout' }, 1000).response).toBeNull()
  })
})
