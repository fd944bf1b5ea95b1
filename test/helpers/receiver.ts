/**
 * A real HTTP receiver for tests: node:http on a loopback address, port 0. It records every request
 * it gets (whole body as text) and answers as the handler says: a status, headers, a body, after a
 * delay, or never (`hang`).
 */
import http from 'node:http'
import https from 'node:https'
import net from 'node:net'
import type { AddressInfo } from 'node:net'

export interface ReceiverHit {
  method: string
  /** Path and query string, as received. */
  url: string
  /** Lowercased names, as node:http gives them. */
  headers: http.IncomingHttpHeaders
  body: string
  receivedAt: number
}

export interface ReceiverReply {
  /** Default 200. */
  status?: number
  headers?: Record<string, string | string[]>
  /** Default empty. */
  body?: string | Buffer
  /** Wait this long before answering. Default 0. */
  delayMs?: number
  /** Never answer (the connection is closed by `close()`). Default false. */
  hang?: boolean
}

export type ReceiverHandler = (
  req: http.IncomingMessage,
  body: string,
) => ReceiverReply | void | Promise<ReceiverReply | void>

export interface ReceiverOptions {
  /** Loopback only: '127.0.0.1' (default) or '::1'. */
  host?: '127.0.0.1' | '::1'
  /** Serve HTTPS with this certificate (PEM, chain first) and key; the URL is then https://. Default plain HTTP. */
  tls?: { cert: string; key: string }
}

export interface Receiver {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123` or `http://[::1]:40123`. */
  url: string
  port: number
  hits: ReceiverHit[]
  /** TCP connections accepted so far (a refused-by-the-guard request opens none). */
  readonly connections: number
  /** Resolves once at least `n` requests arrived; rejects after `timeoutMs` (default 5000). */
  waitForHits(n: number, timeoutMs?: number): Promise<ReceiverHit[]>
  /** Replaces the handler for requests that arrive from now on. */
  setHandler(handler: ReceiverHandler | undefined): void
  /** Closes every connection (hanging ones too) and the server. */
  close(): Promise<void>
}

export async function startReceiver(handler?: ReceiverHandler, opts: ReceiverOptions = {}): Promise<Receiver> {
  const host = opts.host ?? '127.0.0.1'
  const hits: ReceiverHit[] = []
  const waiters = new Set<() => void>()
  let current = handler
  const timers = new Set<NodeJS.Timeout>()

  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8')
      hits.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, receivedAt: Date.now() })
      for (const wake of waiters) wake()
      Promise.resolve()
        .then(() => (current ? current(req, body) : undefined))
        .then((reply) => {
          const r = reply ?? {}
          if (r.hang) return
          const answer = (): void => {
            if (res.destroyed) return
            res.writeHead(r.status ?? 200, r.headers)
            res.end(r.body ?? '')
          }
          if (r.delayMs !== undefined && r.delayMs > 0) {
            const t = setTimeout(() => {
              timers.delete(t)
              answer()
            }, r.delayMs)
            timers.add(t)
          } else {
            answer()
          }
        })
        .catch((err: unknown) => {
          if (res.destroyed) return
          res.writeHead(500, { 'content-type': 'text/plain' })
          res.end(`receiver handler failed: ${String(err)}`)
        })
    })
  }
  const server = opts.tls ? https.createServer({ cert: opts.tls.cert, key: opts.tls.key }, onRequest) : http.createServer(onRequest)

  let connections = 0
  server.on('connection', () => {
    connections++
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, host, () => {
      server.off('error', reject)
      resolve()
    })
  })
  const port = (server.address() as AddressInfo).port
  const scheme = opts.tls ? 'https' : 'http'
  const url = host.includes(':') ? `${scheme}://[${host}]:${port}` : `${scheme}://${host}:${port}`

  return {
    url,
    port,
    hits,
    get connections() {
      return connections
    },
    waitForHits(n, timeoutMs = 5000) {
      if (hits.length >= n) return Promise.resolve(hits.slice())
      return new Promise((resolve, reject) => {
        const wake = (): void => {
          if (hits.length < n) return
          cleanup()
          resolve(hits.slice())
        }
        const timer = setTimeout(() => {
          cleanup()
          reject(new Error(`receiver got ${hits.length} of ${n} requests within ${timeoutMs} ms`))
        }, timeoutMs)
        const cleanup = (): void => {
          clearTimeout(timer)
          waiters.delete(wake)
        }
        waiters.add(wake)
      })
    },
    setHandler(next) {
      current = next
    },
    close() {
      for (const t of timers) clearTimeout(t)
      timers.clear()
      return new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}

/** A 127.0.0.1 port with nothing listening on it: connections are refused until someone listens. */
export async function unusedPort(): Promise<number> {
  const server = net.createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

/** How many hits share each key (`key(hit)`, e.g. the webhook-id header): a count above 1 is a repeat. */
export function countHits(hits: readonly ReceiverHit[], key: (hit: ReceiverHit) => string): Map<string, number> {
  const counts = new Map<string, number>()
  for (const h of hits) counts.set(key(h), (counts.get(key(h)) ?? 0) + 1)
  return counts
}
