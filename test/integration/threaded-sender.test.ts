/**
 * The sender thread's round trip over real sockets: requests cross to the thread and results come
 * back as flat batches (sender-messages.ts), and what comes back is what the in-process sender gives
 * for the same request, so the attempt log records the same thing either way. Network rule: every
 * request goes to 127.0.0.1.
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createAddressPolicy } from '../../src/core/address-class.js'
import { createSender, type OutboundRequest, type SendResult } from '../../src/delivery/sender.js'
import { createThreadedSender } from '../../src/delivery/threaded-sender.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'

const LOOPBACK = ['127.0.0.0/8', '::1/128']
const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function receiver(): Promise<Receiver> {
  // Each answer tells which request it answers: its status, headers and body come from the request.
  const r = await startReceiver((req, body) => ({
    status: 200 + Number(req.url!.split('/').pop()),
    headers: { 'X-Echo-Id': String(req.headers['webhook-id']), 'X-Auth': String(req.headers.authorization), 'Set-Cookie': ['a=1', 'b=2'] },
    body: `got ${req.method} ${body.length} bytes é`,
  }))
  cleanups.push(() => r.close())
  return r
}

function request(url: string, i: number): OutboundRequest {
  return {
    method: i % 3 === 2 ? 'GET' : 'POST',
    url: `${url}/hooks/${i}`,
    headers: { 'content-type': 'application/json', authorization: `Bearer tok_${i}`, 'webhook-id': `evt_${i}` },
    body: i % 3 === 2 ? null : JSON.stringify({ i, pad: 'x'.repeat(i * 100) }),
    timeoutMs: 5000,
  }
}

/** A result without its timing and the receiver's Date header, which differ from one send to the next. */
const untimed = (r: SendResult) => {
  if (r.response === null) return { response: null, error: r.error }
  const { date, ...headers } = r.response.headers
  return { response: { ...r.response, headers: { ...headers, date: typeof date } }, error: r.error }
}

describe('threaded sender', () => {
  it('sends the requests of one turn in one batch and gives each its own result, as the in-process sender does', async () => {
    const r = await receiver()
    const threaded = createThreadedSender({ allowedNetworks: LOOPBACK })
    cleanups.push(() => threaded.close())
    const local = createSender({ policy: createAddressPolicy(LOOPBACK) })
    cleanups.push(() => local.close())

    const requests = Array.from({ length: 12 }, (_, i) => request(r.url, i))
    // Sent in the same turn: they cross to the thread together, and their results may come back together.
    const results = await Promise.all(requests.map((req) => threaded.send(req)))
    const expected = await Promise.all(requests.map((req) => local.send(req)))
    for (const [i, result] of results.entries()) {
      expect(result.error).toBeNull()
      expect(result.response?.status).toBe(200 + i)
      expect(result.response?.headers['x-echo-id']).toBe(`evt_${i}`)
      expect(result.response?.headers['x-auth']).toBe(`Bearer tok_${i}`)
      expect(result.response?.headers['set-cookie']).toBe('a=1, b=2')
      expect(untimed(result)).toEqual(untimed(expected[i]!))
      // The header order is the receiver's, as the attempt log's JSON shows it.
      expect(Object.keys(result.response!.headers)).toEqual(Object.keys(expected[i]!.response!.headers))
    }
    const hits = await r.waitForHits(24)
    for (const [i, req] of requests.entries()) {
      const hit = hits.find((h) => h.url === `/hooks/${i}`)!
      expect(hit).toMatchObject({ method: req.method, body: req.body ?? '' })
      expect(hit.headers).toMatchObject({ authorization: `Bearer tok_${i}`, 'webhook-id': `evt_${i}` })
    }
  })

  it('brings errors back as data: a refused connection, a tenant network list, a timeout', async () => {
    const closed = http.createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    await new Promise<void>((resolve) => closed.close(() => resolve()))
    const hanging = await startReceiver(() => ({ hang: true }))
    cleanups.push(() => hanging.close())

    const threaded = createThreadedSender({ allowedNetworks: LOOPBACK })
    cleanups.push(() => threaded.close())
    const [refused, blocked, late] = await Promise.all([
      threaded.send(request(`http://127.0.0.1:${port}`, 0)),
      // A tenant whose own list is empty: the thread's agent for that list refuses loopback.
      threaded.send({ ...request(`http://127.0.0.1:${port}`, 1), allowedNetworks: [] }),
      threaded.send({ ...request(hanging.url, 3), timeoutMs: 300 }),
    ])
    expect(refused).toMatchObject({ response: null, error: { kind: 'network', message: expect.stringContaining('connection refused') } })
    expect(blocked).toMatchObject({ response: null, error: { kind: 'blocked' } })
    expect(late).toMatchObject({ response: null, error: { kind: 'timeout' } })
    expect(late.durationMs).toBeGreaterThanOrEqual(250)
  })
})
