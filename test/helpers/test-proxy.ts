/**
 * A small HTTP forward proxy on 127.0.0.1 for tests: absolute-form requests are forwarded, CONNECT
 * opens a tunnel, and everything that passes is recorded. It forwards to loopback only (the network
 * rule): anything else is answered 403 and recorded as refused.
 */
import http from 'node:http'
import net from 'node:net'
import type { AddressInfo } from 'node:net'

export interface ProxyHit {
  kind: 'forward' | 'connect'
  /** The request target as received: `http://127.0.0.1:1234/path` or `127.0.0.1:1234`. */
  target: string
  proxyAuthorization: string | undefined
  /** The Host header of a forwarded request. */
  host: string | undefined
}

export interface TestProxy {
  /** http://127.0.0.1:PORT */
  url: string
  hits: ProxyHit[]
  /** TCP connections accepted from clients. */
  readonly connections: number
  close(): Promise<void>
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost'])

export async function startTestProxy(): Promise<TestProxy> {
  const hits: ProxyHit[] = []
  const sockets = new Set<net.Socket>()
  let connections = 0

  const server = http.createServer((req, res) => {
    const target = req.url ?? ''
    hits.push({ kind: 'forward', target, proxyAuthorization: req.headers['proxy-authorization'], host: req.headers.host })
    let url: URL
    try {
      url = new URL(target)
    } catch {
      res.writeHead(400).end('absolute-form expected')
      return
    }
    if (!LOOPBACK.has(url.hostname.replace(/^\[|\]$/g, ''))) {
      res.writeHead(403).end('loopback only')
      return
    }
    const headers = { ...req.headers }
    delete headers['proxy-authorization']
    delete headers['proxy-connection']
    const upstream = http.request({ host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port, method: req.method, path: url.pathname + url.search, headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers)
      up.pipe(res)
    })
    upstream.on('error', () => res.writeHead(502).end())
    req.pipe(upstream)
  })
  server.on('connect', (req: http.IncomingMessage, client: net.Socket, head: Buffer) => {
    const target = req.url ?? ''
    hits.push({ kind: 'connect', target, proxyAuthorization: req.headers['proxy-authorization'], host: req.headers.host })
    const m = /^\[?([^\]]+)\]?:(\d+)$/.exec(target)
    if (!m || !LOOPBACK.has(m[1]!)) {
      client.end('HTTP/1.1 403 Forbidden\r\n\r\n')
      return
    }
    const upstream = net.connect(Number(m[2]), m[1], () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      if (head.length > 0) upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.end('HTTP/1.1 502 Bad Gateway\r\n\r\n'))
    client.on('error', () => upstream.destroy())
  })
  server.on('connection', (socket: net.Socket) => {
    connections++
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    get connections() {
      return connections
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
}
