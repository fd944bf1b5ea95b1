/**
 * The lean HTTP client of the direct egress (lean-http.ts) through the sender, against real
 * node:http and net servers on 127.0.0.1: connection reuse, what ends a connection, body framing,
 * limits, the per-origin cap. Network rule: 127.0.0.1 only.
 */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import http from 'node:http'
import net from 'node:net'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { createAddressPolicy } from '../../src/core/address-class.js'
import { createSender, MAX_RESPONSE_BODY_BYTES, type OutboundRequest, type Sender } from '../../src/delivery/sender.js'

const cleanups: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

interface Server {
  url: string
  /** Connections accepted so far. */
  connections(): number
  /** Requests seen: method, url and headers. */
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>
}

async function listen(server: net.Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const sockets = new Set<net.Socket>()
  server.on('connection', (s: net.Socket) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  cleanups.push(async () => {
    for (const s of sockets) s.destroy()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  })
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

async function httpServer(answer: (req: http.IncomingMessage, res: http.ServerResponse) => void): Promise<Server & { server: http.Server }> {
  const requests: Server['requests'] = []
  let connections = 0
  const server = http.createServer((req, res) => {
    let body = ''
    req.setEncoding('latin1')
    req.on('data', (c: string) => (body += c))
    req.on('end', () => {
      requests.push({ method: req.method!, url: req.url!, headers: req.headers, body })
      answer(req, res)
    })
  })
  server.on('connection', () => connections++)
  const url = await listen(server)
  return { url, server, requests, connections: () => connections }
}

/** A raw TCP server that answers each request's head with `reply` (then keeps or closes as it says). */
async function rawServer(reply: (socket: net.Socket) => void): Promise<Server> {
  let connections = 0
  const server = net.createServer((socket) => {
    connections++
    let seen = ''
    socket.on('data', (d) => {
      seen += d.toString('latin1')
      if (seen.includes('\r\n\r\n')) {
        seen = ''
        reply(socket)
      }
    })
    socket.on('error', () => {})
  })
  const url = await listen(server)
  return { url, requests: [], connections: () => connections }
}

function sender(opts: Omit<Parameters<typeof createSender>[0], 'policy'> = {}): Sender {
  const s = createSender({ policy: createAddressPolicy(['127.0.0.0/8']), ...opts })
  cleanups.push(() => s.close())
  return s
}

const post = (url: string, overrides: Partial<OutboundRequest> = {}): OutboundRequest => ({
  method: 'POST',
  url,
  headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
  body: '{"hello":"wörld"}',
  timeoutMs: 5000,
  ...overrides,
})

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('lean sender: connections', () => {
  it('sends sequential requests over one kept-alive connection', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(204).end())
    const s = sender()
    for (let i = 0; i < 10; i++) expect((await s.send(post(`${srv.url}/hook`))).response?.status).toBe(204)
    expect(srv.connections()).toBe(1)
    expect(srv.requests).toHaveLength(10)
  })

  it('sends a request on a new connection after the server closed the idle one', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(204).end())
    // The server drops idle connections after 50 ms.
    srv.server.keepAliveTimeout = 50
    const s = sender()
    expect((await s.send(post(srv.url))).response?.status).toBe(204)
    await sleep(300)
    const second = await s.send(post(srv.url))
    expect(second.error).toBeNull()
    expect(second.response?.status).toBe(204)
    expect(srv.connections()).toBe(2)
  })

  it('does not reuse a connection after a Connection: close response', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(200, { connection: 'close', 'content-length': '2' }).end('ok'))
    const s = sender()
    for (let i = 0; i < 3; i++) {
      const r = await s.send(post(srv.url))
      expect(r.error).toBeNull()
      expect(r.response?.body).toBe('ok')
    }
    expect(srv.connections()).toBe(3)
  })

  it('does not reuse the connection of an HTTP/1.0 response, and reads a body that runs to the close', async () => {
    const srv = await rawServer((socket) => socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nto the end'))
    const s = sender()
    for (let i = 0; i < 2; i++) {
      const r = await s.send(post(srv.url))
      expect(r.error).toBeNull()
      expect(r.response).toEqual({ status: 200, headers: { 'content-type': 'text/plain' }, body: 'to the end' })
    }
    expect(srv.connections()).toBe(2)
  })

  it('keeps at most connectionsPerOrigin connections, queueing the rest', async () => {
    let open = 0
    let most = 0
    const srv = await httpServer((_req, res) => {
      open++
      most = Math.max(most, open)
      setTimeout(() => {
        open--
        res.writeHead(204).end()
      }, 50)
    })
    const s = sender({ connectionsPerOrigin: 2 })
    const results = await Promise.all(Array.from({ length: 8 }, () => s.send(post(srv.url))))
    expect(results.map((r) => r.response?.status)).toEqual(Array(8).fill(204))
    expect(most).toBe(2)
    expect(srv.connections()).toBe(2)
  })

  it('reports a connection the server closes mid-response as closed by the receiver', async () => {
    const srv = await rawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort'))
    const r = await sender().send(post(srv.url))
    expect(r.response).toBeNull()
    expect(r.error).toEqual({ kind: 'network', message: 'connection closed by the receiver: other side closed' })
  })

  it('reports a malformed response as a network error', async () => {
    const srv = await rawServer((socket) => socket.end('NOT HTTP AT ALL\r\n\r\n'))
    const r = await sender().send(post(srv.url))
    expect(r.response).toBeNull()
    expect(r.error?.kind).toBe('network')
    expect(r.error?.message).toMatch(/invalid status line/)
  })

  it('times out a server that never answers, at about timeoutMs, and a later request still gets through', async () => {
    let first = true
    const srv = await httpServer((_req, res) => {
      if (first) first = false
      else res.writeHead(204).end()
    })
    const s = sender()
    const t0 = Date.now()
    const r = await s.send(post(srv.url, { timeoutMs: 300 }))
    expect(r.error).toEqual({ kind: 'timeout', message: 'no complete response within 300 ms' })
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290)
    expect(Date.now() - t0).toBeLessThan(2000)
    expect((await s.send(post(srv.url))).response?.status).toBe(204)
  })

  it('never holds a process open with an idle kept-alive connection', async () => {
    // The receiver would keep the connection a minute. A process that sent one request and has
    // nothing left to do exits at once: its idle sockets are unref'd, and it never closes the sender.
    const srv = await httpServer((_req, res) => res.writeHead(204).end())
    srv.server.keepAliveTimeout = 60_000
    const src = (path: string) => JSON.stringify(pathToFileURL(join(process.cwd(), path)).href)
    const script = `
      import { createAddressPolicy } from ${src('src/core/address-class.ts')}
      import { createSender } from ${src('src/delivery/sender.ts')}
      const sender = createSender({ policy: createAddressPolicy(['127.0.0.0/8']) })
      const r = await sender.send({ method: 'POST', url: process.argv[1], headers: {}, body: '{}', timeoutMs: 5000 })
      console.log(String(r.response?.status))`
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script, srv.url], { stdio: ['ignore', 'pipe', 'inherit'] })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    const exited = await Promise.race([once(child, 'exit').then(() => true), sleep(20_000).then(() => false)])
    if (!exited) child.kill()
    expect(exited).toBe(true)
    expect(out.trim()).toBe('204')
    expect(child.exitCode).toBe(0)
    // It was kept alive, not closed after the answer: the exit is the unref'd socket's doing.
    expect(srv.connections()).toBe(1)
  })
})

describe('lean sender: requests and responses', () => {
  it('sends host, content-length (in bytes) and the headers given; GET without a body or content-length', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(204).end())
    const s = sender()
    await s.send(post(`${srv.url}/a?b=1`))
    await s.send({ method: 'GET', url: `${srv.url}/g`, headers: { 'x-a': '1' }, body: null, timeoutMs: 5000 })
    const [p, g] = srv.requests
    expect(p).toMatchObject({ method: 'POST', url: '/a?b=1', body: Buffer.from('{"hello":"wörld"}').toString('latin1') })
    expect(p!.headers).toMatchObject({ host: new URL(srv.url).host, 'content-length': String(Buffer.byteLength('{"hello":"wörld"}')), 'content-type': 'application/json', 'webhook-id': 'msg_1', connection: 'keep-alive' })
    expect(g).toMatchObject({ method: 'GET', url: '/g', body: '' })
    expect(g!.headers['content-length']).toBeUndefined()
    expect(g!.headers['x-a']).toBe('1')
  })

  it("sends a caller's own host header once, in place of the URL's", async () => {
    const srv = await httpServer((_req, res) => res.writeHead(204).end())
    await sender().send(post(srv.url, { headers: { host: 'example.test' } }))
    expect(srv.requests[0]!.headers.host).toBe('example.test')
  })

  it('refuses a header value with a line break, sending nothing', async () => {
    const srv = await httpServer((_req, res) => res.writeHead(204).end())
    const r = await sender().send(post(srv.url, { headers: { 'x-a': 'a\r\nx-injected: 1' } }))
    expect(r.error?.kind).toBe('network')
    expect(r.error?.message).toMatch(/invalid x-a header/)
    expect(srv.connections()).toBe(0)
  })

  it('reads a chunked response, and reuses its connection', async () => {
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      res.write('hello ')
      setTimeout(() => res.end('world'), 10)
    })
    const s = sender()
    for (let i = 0; i < 2; i++) {
      const r = await s.send(post(srv.url))
      expect(r.response?.body).toBe('hello world')
      expect(r.response?.headers['transfer-encoding']).toBe('chunked')
    }
    expect(srv.connections()).toBe(1)
  })

  it('keeps 64 KiB of a larger body, drains the rest and reuses the connection', async () => {
    const big = 'a'.repeat(300_000)
    const srv = await httpServer((_req, res) => res.writeHead(200, { 'content-length': String(big.length) }).end(big))
    const s = sender()
    for (let i = 0; i < 2; i++) {
      const r = await s.send(post(srv.url))
      expect(r.response?.body.length).toBe(MAX_RESPONSE_BODY_BYTES)
    }
    expect(srv.connections()).toBe(1)
  })

  it('drops the connection of a body too long to drain, and answers with the kept part', async () => {
    const chunk = 'b'.repeat(65_536)
    const srv = await httpServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' })
      // 3 MiB, chunked, past the 1 MiB drain limit.
      for (let i = 0; i < 48; i++) res.write(chunk)
      res.end()
    })
    const s = sender()
    const r = await s.send(post(srv.url))
    expect(r.error).toBeNull()
    expect(r.response?.body.length).toBe(MAX_RESPONSE_BODY_BYTES)
    expect((await s.send(post(srv.url))).response?.status).toBe(200)
    expect(srv.connections()).toBe(2)
  })
})
