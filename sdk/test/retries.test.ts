/**
 * Timeouts and retries, against a real HTTP server on loopback that answers as each test says:
 * idempotent calls are retried on 429/5xx/network errors with backoff (Retry-After honoured),
 * others are not; what finally fails is a HookrelayError.
 */
import { afterEach, describe, expect, it } from 'vitest'
import { startReceiver, unusedPort, type Receiver } from '../../test/helpers/receiver.js'
import { Hookrelay, HookrelayError } from '../src/index.js'

const tenantJson = JSON.stringify({ id: 'acme', name: 'Acme', metadata: {}, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z' })
const json = { 'content-type': 'application/json' }
const problem = (status: number, code: string) => ({
  status,
  headers: { 'content-type': 'application/problem+json' },
  body: JSON.stringify({ type: 'about:blank', title: 'x', status, detail: `said ${code}`, code }),
})

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

/** A server that gives these answers in turn (the last one again after that). */
async function answering(...answers: Array<{ status: number; headers?: Record<string, string>; body?: string; hang?: boolean }>): Promise<Receiver> {
  let n = 0
  receiver = await startReceiver(() => answers[Math.min(n++, answers.length - 1)])
  return receiver
}

const client = (baseUrl: string, options: { maxRetries?: number; timeoutMs?: number } = {}) => new Hookrelay({ baseUrl, token: 't', retryBaseMs: 5, ...options })

describe('retries', () => {
  it('retries a read on 503 and 429 until it succeeds', async () => {
    const r = await answering(problem(503, 'unavailable'), problem(429, 'rate_limited'), { status: 200, headers: json, body: tenantJson })
    await expect(client(r.url).tenants.get('acme')).resolves.toMatchObject({ id: 'acme' })
    expect(r.hits.map((h) => h.url)).toEqual(['/v1/tenants/acme', '/v1/tenants/acme', '/v1/tenants/acme'])
    expect(r.hits[0]!.headers.authorization).toBe('Bearer t')
  })

  it('honours Retry-After when it asks for longer than the backoff', async () => {
    const r = await answering({ ...problem(429, 'rate_limited'), headers: { 'content-type': 'application/problem+json', 'retry-after': '1' } }, { status: 200, headers: json, body: tenantJson })
    await client(r.url).tenants.get('acme')
    expect(r.hits).toHaveLength(2)
    // Not a timing assertion: the second request cannot come before the second the server asked for.
    expect(r.hits[1]!.receivedAt - r.hits[0]!.receivedAt).toBeGreaterThanOrEqual(900)
  })

  it('gives up after maxRetries and throws the last problem', async () => {
    const r = await answering(problem(503, 'unavailable'))
    const err = await client(r.url, { maxRetries: 3 }).tenants.get('acme').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HookrelayError)
    expect(err).toMatchObject({ status: 503, code: 'unavailable', detail: 'said unavailable' })
    expect(r.hits).toHaveLength(4)
  })

  it('does not retry a call that is not idempotent, nor a 4xx', async () => {
    const r = await answering(problem(503, 'unavailable'))
    await expect(client(r.url).tenants.create({ name: 'x' })).rejects.toMatchObject({ status: 503 })
    await expect(client(r.url).deliveries.retry('acme', 'dlv_1')).rejects.toMatchObject({ status: 503 })
    expect(r.hits).toHaveLength(2)

    const r4 = await answering(problem(404, 'not_found'))
    await expect(client(r4.url).tenants.get('acme')).rejects.toMatchObject({ status: 404, code: 'not_found' })
    expect(r4.hits).toHaveLength(1)
  })

  it('retries a publish on 5xx with the same idempotency key every time', async () => {
    const r = await answering(problem(502, 'bad_gateway'), problem(500, 'internal'), { status: 202, headers: json, body: JSON.stringify({ id: 'evt_1' }) })
    await expect(client(r.url).events.publish('acme', { type: 'a.b', payload: {} })).resolves.toMatchObject({ id: 'evt_1' })
    const keys = r.hits.map((h) => JSON.parse(h.body).idempotencyKey)
    expect(keys).toHaveLength(3)
    expect(new Set(keys).size).toBe(1)
    expect(keys[0]).toMatch(/^sdk_/)
  })

  it('a timeout is retried for reads, then thrown as code timeout with status 0', async () => {
    const r = await answering({ status: 200, hang: true })
    const err = await client(r.url, { timeoutMs: 200, maxRetries: 1 }).tenants.get('acme').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(HookrelayError)
    expect(err).toMatchObject({ status: 0, code: 'timeout' })
    expect(r.hits).toHaveLength(2)
  })

  it('a refused connection is thrown as code network_error with the cause', async () => {
    const port = await unusedPort()
    const err = await client(`http://127.0.0.1:${port}`, { maxRetries: 1 }).tenants.get('acme').catch((e: unknown) => e)
    expect(err).toMatchObject({ status: 0, code: 'network_error' })
    expect((err as HookrelayError).cause).toBeInstanceOf(Error)
  })

  it('an answer that is not a problem document still becomes a HookrelayError', async () => {
    const r = await answering({ status: 400, headers: { 'content-type': 'text/html' }, body: '<h1>Bad Request</h1>' })
    await expect(client(r.url).tenants.get('acme')).rejects.toMatchObject({ status: 400, code: 'unexpected_response', detail: expect.stringContaining('<h1>Bad Request</h1>') })
  })

  it('keeps a base URL path prefix and encodes ids', async () => {
    const r = await answering({ status: 200, headers: json, body: tenantJson })
    await client(`${r.url}/hookrelay/`).tenants.get('a/b c')
    expect(r.hits[0]!.url).toBe('/hookrelay/v1/tenants/a%2Fb%20c')
  })
})
