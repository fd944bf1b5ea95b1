/**
 * The sender and the SSRF guard over real sockets. Network rule: every request here goes to
 * 127.0.0.1, ::1 or localhost only; names other than localhost are answered by a fake resolver,
 * so no DNS query leaves the machine.
 */
import http from 'node:http'
import net from 'node:net'
import https from 'node:https'
import type dns from 'node:dns'
import type { AddressInfo } from 'node:net'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { createAddressPolicy } from '../../src/core/address-class.js'
import { checkUrlTarget, type LookupAll } from '../../src/delivery/url-target.js'
import { createSender, MAX_RESPONSE_BODY_BYTES, type OutboundRequest, type Sender } from '../../src/delivery/sender.js'
import { startReceiver, type Receiver } from '../helpers/receiver.js'
import { TEST_CERT, TEST_KEY } from '../helpers/test-certificate.js'

const LOOPBACK = ['127.0.0.0/8', '::1/128']


function post(url: string, overrides: Partial<OutboundRequest> = {}): OutboundRequest {
  return {
    method: 'POST',
    url,
    headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
    body: '{"hello":"world"}',
    timeoutMs: 5000,
    ...overrides,
  }
}

/** A fake resolver: fixed answers per name, so no DNS query leaves the machine. */
function fakeLookup(answers: Record<string, string[]>): LookupAll {
  return (hostname, callback) => {
    const found = answers[hostname]
    setImmediate(() => {
      if (found === undefined) {
        const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`)
        err.code = 'ENOTFOUND'
        callback(err, [])
      } else {
        callback(null, found.map((address): dns.LookupAddress => ({ address, family: address.includes(':') ? 6 : 4 })))
      }
    })
  }
}

/** A port on 127.0.0.1 that nothing listens on (it was bound and released). */
async function closedPort(): Promise<number> {
  const server = http.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

async function receiver(...args: Parameters<typeof startReceiver>): Promise<Receiver> {
  const r = await startReceiver(...args)
  cleanups.push(() => r.close())
  return r
}

function sender(allowed: readonly string[], opts: Omit<Parameters<typeof createSender>[0], 'policy'> = {}): Sender {
  const s = createSender({ policy: createAddressPolicy(allowed), ...opts })
  cleanups.push(() => s.close())
  return s
}

describe('sender: responses', () => {
  it('records a 2xx with its headers and body, and sends the request as given', async () => {
    const r = await receiver(() => ({
      status: 201,
      headers: { 'X-Receiver': 'yes', 'Content-Type': 'text/plain', 'Set-Cookie': ['a=1', 'b=2'] },
      body: 'thanks',
    }))
    const before = Date.now()
    const result = await sender(LOOPBACK).send(post(`${r.url}/hooks?x=1`))
    expect(result.error).toBeNull()
    expect(result.response).toMatchObject({ status: 201, body: 'thanks' })
    expect(result.response?.headers['x-receiver']).toBe('yes')
    expect(result.response?.headers['content-type']).toBe('text/plain')
    expect(result.response?.headers['set-cookie']).toBe('a=1, b=2')
    expect(result.startedAt).toBeGreaterThanOrEqual(before)
    expect(result.durationMs).toBeGreaterThanOrEqual(0)
    expect(result.durationMs).toBeLessThan(5000)

    const [hit] = await r.waitForHits(1)
    expect(hit).toMatchObject({ method: 'POST', url: '/hooks?x=1', body: '{"hello":"world"}' })
    expect(hit?.headers['webhook-id']).toBe('msg_1')
  })

  it('sends a GET without a body', async () => {
    const r = await receiver()
    const result = await sender(LOOPBACK).send(post(`${r.url}/q?a=b`, { method: 'GET', body: null }))
    expect(result.response?.status).toBe(200)
    expect(r.hits[0]).toMatchObject({ method: 'GET', url: '/q?a=b', body: '' })
  })

  it('records a 500 as a response, not an error', async () => {
    const r = await receiver(() => ({ status: 500, body: 'boom' }))
    const result = await sender(LOOPBACK).send(post(r.url))
    expect(result.error).toBeNull()
    expect(result.response).toMatchObject({ status: 500, body: 'boom' })
  })

  it('records the final response, not an informational 1xx that came before it', async () => {
    const server = http.createServer((_req, res) => {
      res.writeEarlyHints({ link: '</style.css>; rel=preload; as=style' })
      res.writeHead(202, { 'x-final': 'yes' }).end('accepted')
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const { port } = server.address() as AddressInfo
    const result = await sender(LOOPBACK).send(post(`http://127.0.0.1:${port}/`))
    expect(result.error).toBeNull()
    expect(result.response).toMatchObject({ status: 202, body: 'accepted' })
    expect(result.response?.headers['x-final']).toBe('yes')
    expect(result.response?.headers.link).toBeUndefined()
  })

  it('does not follow a redirect', async () => {
    const target = await receiver()
    const r = await receiver(() => ({ status: 302, headers: { location: `${target.url}/elsewhere` } }))
    const result = await sender(LOOPBACK).send(post(r.url))
    expect(result.error).toBeNull()
    expect(result.response?.status).toBe(302)
    expect(result.response?.headers.location).toBe(`${target.url}/elsewhere`)
    await sleep(100)
    expect(target.hits).toHaveLength(0)
    expect(target.connections).toBe(0)
  })

  it('cuts a body larger than 64 KiB at exactly 65536 bytes', async () => {
    const big = 'a'.repeat(200_000)
    const r = await receiver(() => ({ body: big }))
    const s = sender(LOOPBACK)
    const result = await s.send(post(r.url))
    expect(result.response?.status).toBe(200)
    expect(Buffer.byteLength(result.response?.body ?? '')).toBe(MAX_RESPONSE_BODY_BYTES)
    expect(result.response?.body).toBe(big.slice(0, 65536))
    // The sender stays usable afterwards.
    expect((await s.send(post(r.url))).response?.status).toBe(200)
  })

  it('cuts a huge body without reading it whole', async () => {
    // 8 MiB of body: well past the drain limit, so the socket is dropped instead.
    const r = await receiver(() => ({ body: Buffer.alloc(8 * 1024 * 1024, 0x62) }))
    const result = await sender(LOOPBACK).send(post(r.url))
    expect(result.error).toBeNull()
    expect(result.response?.body).toBe('b'.repeat(65536))
  })

  it('keeps the connection when the body just past the drain limit arrives in the same read as its end', async () => {
    // 64 KiB kept + 1 MiB drained + 1 byte, written at once: the limit is crossed in the read that
    // also ends the message, so nothing is left to drop and the connection goes back to the pool.
    const size = 65_536 + 1_048_576 + 1
    const whole = Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Length: ${size}\r\n\r\n`), Buffer.alloc(size, 0x62)])
    let connections = 0
    const server = net.createServer((socket) => {
      connections++
      socket.on('error', () => {})
      socket.on('data', (d) => {
        if (/^(POST|GET) /.test(d.toString('latin1'))) socket.write(whole)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())))
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
    const s = sender(LOOPBACK)
    for (let i = 0; i < 2; i++) {
      const result = await s.send(post(url))
      expect(result.error).toBeNull()
      expect(result.response?.body).toBe('b'.repeat(65536))
      // As on the sender thread, the next request comes in a later turn, once undici has put the
      // connection back in its pool.
      await sleep(20)
    }
    expect(connections).toBe(1)
  })

  it('does not leave half a UTF-8 character at the cut', async () => {
    // 65535 ASCII bytes then 'é' (2 bytes): the cut falls inside the character.
    const r = await receiver(() => ({ body: 'a'.repeat(65535) + 'é'.repeat(10) }))
    const result = await sender(LOOPBACK).send(post(r.url))
    expect(result.response?.body).toBe('a'.repeat(65535))
  })

  it('keeps a body of exactly 64 KiB whole', async () => {
    const body = 'c'.repeat(65536)
    const r = await receiver(() => ({ body }))
    const result = await sender(LOOPBACK).send(post(r.url))
    expect(result.response?.body).toBe(body)
  })
})

describe('sender: failures are data', () => {
  it('times out a receiver that never answers, at about timeoutMs', async () => {
    const r = await receiver(() => ({ hang: true }))
    const t0 = Date.now()
    const result = await sender(LOOPBACK).send(post(r.url, { timeoutMs: 300 }))
    const elapsed = Date.now() - t0
    expect(result.response).toBeNull()
    expect(result.error?.kind).toBe('timeout')
    expect(elapsed).toBeGreaterThanOrEqual(280)
    expect(elapsed).toBeLessThan(1500)
    expect(result.durationMs).toBeLessThan(1500)
  })

  it('times out a receiver that sends headers and then stalls the body', async () => {
    const server = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('partial') // and never end
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          server.close(() => resolve())
          server.closeAllConnections()
        }),
    )
    const { port } = server.address() as AddressInfo
    const t0 = Date.now()
    const result = await sender(LOOPBACK).send(post(`http://127.0.0.1:${port}`, { timeoutMs: 300 }))
    expect(result.error?.kind).toBe('timeout')
    expect(Date.now() - t0).toBeLessThan(1500)
  })

  it('times out a DNS answer that never comes', async () => {
    const never: LookupAll = () => {}
    const result = await sender(LOOPBACK, { connect: { lookup: never } }).send(
      post('http://never-answers.test/', { timeoutMs: 200 }),
    )
    expect(result.error?.kind).toBe('timeout')
  })

  it('reports a refused connection as a network error', async () => {
    const port = await closedPort()
    const result = await sender(LOOPBACK).send(post(`http://127.0.0.1:${port}/`))
    expect(result.response).toBeNull()
    expect(result.error?.kind).toBe('network')
    expect(result.error?.message).toContain('ECONNREFUSED')
  })

  it('reports a receiver that drops the connection as a network error', async () => {
    const r = await receiver((req) => {
      req.socket.destroy()
      return { hang: true }
    })
    const result = await sender(LOOPBACK).send(post(r.url))
    expect(result.error?.kind).toBe('network')
  })

  it('reports a name that does not resolve as a network error', async () => {
    const result = await sender(LOOPBACK, { connect: { lookup: fakeLookup({}) } }).send(post('http://nowhere.test/'))
    expect(result.error).toEqual({ kind: 'network', message: expect.stringContaining('ENOTFOUND') })
  })

  it('never rejects, even on a URL it cannot parse', async () => {
    const result = await sender(LOOPBACK).send(post('not a url'))
    expect(result.response).toBeNull()
    expect(result.error?.kind).toBe('network')
  })

  it('sends many requests in parallel to one origin', async () => {
    const r = await receiver((req) => ({ body: req.url ?? '' }))
    const s = sender(LOOPBACK, { connectionsPerOrigin: 4 })
    const results = await Promise.all(Array.from({ length: 50 }, (_, i) => s.send(post(`${r.url}/n${i}`))))
    results.forEach((res, i) => expect(res.response?.body).toBe(`/n${i}`))
    expect(r.connections).toBeLessThanOrEqual(4)
  })
})

describe('sender: close', () => {
  it('lets sends in flight finish, then refuses new ones as data', async () => {
    const r = await receiver(() => ({ delayMs: 200, body: 'late' }))
    const s = createSender({ policy: createAddressPolicy(LOOPBACK) })
    const inFlight = s.send(post(r.url))
    await r.waitForHits(1)
    const closed = s.close()
    expect((await inFlight).response?.body).toBe('late')
    await closed
    const after = await s.send(post(r.url))
    expect(after.response).toBeNull()
    expect(after.error?.kind).toBe('network')
  })

  it('does not wait for what a timed-out attempt still holds', async () => {
    const never: LookupAll = () => {}
    const s = createSender({ policy: createAddressPolicy(LOOPBACK), connect: { lookup: never } })
    expect((await s.send(post('http://never-answers.test/', { timeoutMs: 100 }))).error?.kind).toBe('timeout')
    const t0 = Date.now()
    await s.close()
    expect(Date.now() - t0).toBeLessThan(1000)
  })
})

describe('sender: TLS', () => {
  let server: https.Server
  let port = 0
  beforeAll(async () => {
    server = https.createServer({ cert: TEST_CERT, key: TEST_KEY }, (_req, res) => res.end('secure'))
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    port = (server.address() as AddressInfo).port
  })
  afterAll(async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  })

  it('checks the certificate against the hostname while connecting to the resolved address', async () => {
    const result = await sender(LOOPBACK, { connect: { tls: { ca: TEST_CERT } } }).send(
      post(`https://localhost:${port}/`),
    )
    expect(result.error).toBeNull()
    expect(result.response?.body).toBe('secure')
  })

  it('reports an untrusted certificate as tls', async () => {
    const result = await sender(LOOPBACK).send(post(`https://localhost:${port}/`))
    expect(result.error?.kind).toBe('tls')
  })

  it('reports a certificate for another name as tls', async () => {
    const result = await sender(LOOPBACK, { connect: { tls: { ca: TEST_CERT } } }).send(
      post(`https://127.0.0.1:${port}/`),
    )
    expect(result.error?.kind).toBe('tls')
  })
})

describe('address guard at connect time', () => {
  let v4: Receiver
  let v6: Receiver
  beforeAll(async () => {
    v4 = await startReceiver()
    v6 = await startReceiver(undefined, { host: '::1' })
  })
  afterAll(async () => {
    await v4.close()
    await v6.close()
  })

  const targets = (): Array<[string, Receiver]> => [
    [`http://127.0.0.1:${v4.port}/`, v4],
    [`http://[::1]:${v6.port}/`, v6],
    [`http://[::ffff:127.0.0.1]:${v4.port}/`, v4],
    [`http://localhost:${v4.port}/`, v4],
  ]

  it('refuses loopback literals and names with an empty allow-list, before any connection', async () => {
    const s = sender([])
    for (const [url, r] of targets()) {
      const before = { hits: r.hits.length, connections: r.connections }
      const result = await s.send(post(url))
      expect(result.response, url).toBeNull()
      expect(result.error?.kind, url).toBe('blocked')
      expect(result.error?.message, url).toMatch(/127\.0\.0\.1|::1|::ffff:/)
      await sleep(50)
      expect(r.hits.length, url).toBe(before.hits)
      expect(r.connections, url).toBe(before.connections)
    }
  })

  it('lets them through when the allow-list covers loopback', async () => {
    const s = sender(LOOPBACK)
    for (const [url, r] of targets()) {
      const before = r.hits.length
      const result = await s.send(post(url))
      expect(result.error, url).toBeNull()
      expect(result.response?.status, url).toBe(200)
      expect(r.hits.length, url).toBe(before + 1)
    }
  })

  it('refuses a name whose answer changed to a loopback address (DNS rebinding)', async () => {
    const answers: Record<string, string[]> = { 'rebind.test': ['127.0.0.1'] }
    const s = sender([], { connect: { lookup: fakeLookup(answers) } })
    const before = v4.connections
    const result = await s.send(post(`http://rebind.test:${v4.port}/`))
    expect(result.error?.kind).toBe('blocked')
    expect(result.error?.message).toContain('127.0.0.1')
    expect(v4.connections).toBe(before)
  })

  it('refuses the whole name when any of its addresses is refused', async () => {
    const s = sender(['127.0.0.0/8'], { connect: { lookup: fakeLookup({ 'mixed.test': ['127.0.0.1', '::1'] }) } })
    const before = v4.connections
    const result = await s.send(post(`http://mixed.test:${v4.port}/`))
    expect(result.error?.kind).toBe('blocked')
    expect(result.error?.message).toContain('::1')
    expect(v4.connections).toBe(before)
  })

  it('tries the next checked address when one refuses the connection', async () => {
    // The receiver listens on 127.0.0.1 only; ::1 at that port refuses.
    const s = sender(LOOPBACK, { connect: { lookup: fakeLookup({ 'both.test': ['::1', '127.0.0.1'] }) } })
    const before = v4.hits.length
    const result = await s.send(post(`http://both.test:${v4.port}/`))
    expect(result.error).toBeNull()
    expect(result.response?.status).toBe(200)
    expect(v4.hits.length).toBe(before + 1)
    expect(v4.hits.at(-1)?.headers.host).toBe(`both.test:${v4.port}`)
  })
})

describe('checkUrlTarget', () => {
  const refused = ['http://127.0.0.1/', 'http://[::1]:8080/', 'http://[::ffff:127.0.0.1]/', 'http://localhost:3000/x']

  it.each(refused)('refuses %s with an empty allow-list', async (url) => {
    const result = await checkUrlTarget(url, createAddressPolicy([]))
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toMatch(/127\.0\.0\.1|::1|::ffff:/)
  })

  it.each(refused)('accepts %s when the allow-list covers loopback', async (url) => {
    expect(await checkUrlTarget(url, createAddressPolicy(LOOPBACK))).toEqual({ ok: true })
  })

  it('refuses a name if any of its addresses is refused', async () => {
    const lookup = fakeLookup({ 'mixed.test': ['127.0.0.1', '::1'] })
    const result = await checkUrlTarget('https://mixed.test/', createAddressPolicy(['127.0.0.0/8']), 2000, lookup)
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.reason).toContain('::1')
  })

  it('accepts a name that does not resolve (the guard checks again at connect time)', async () => {
    expect(await checkUrlTarget('https://nowhere.test/', createAddressPolicy([]), 2000, fakeLookup({}))).toEqual({
      ok: true,
    })
  })

  it('accepts a name whose lookup times out', async () => {
    const never: LookupAll = () => {}
    const t0 = Date.now()
    expect(await checkUrlTarget('https://slow.test/', createAddressPolicy([]), 100, never)).toEqual({ ok: true })
    expect(Date.now() - t0).toBeLessThan(1000)
  })

  it('refuses a URL it cannot parse', async () => {
    expect((await checkUrlTarget('not a url', createAddressPolicy([]))).ok).toBe(false)
  })
})
