/**
 * An upstream that answers long bodies generated on the fly, with backpressure, so a test can ask
 * for 50 MB without holding it: node:http on 127.0.0.1, port 0. Paths:
 *
 * - `/bytes/{n}`: n bytes of `chunkOf(k)` (64 KiB pieces, the last one cut), with a content-length.
 * - `/chunked/{n}`: the same without a content-length (chunked).
 * - `/break/{n}/{total}`: says content-length total, sends n bytes, then destroys the socket.
 * - `/stall/{n}/{total}`: says content-length total, sends n bytes, then sends nothing more.
 * - anything else with a body: reads it as it comes (`bodyProgress` sees each piece), answers its length.
 *
 * It records, per answer, how many bytes went out and whether the connection closed before the end.
 */
import { createHash } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export const PIECE = 64 * 1024

/** Piece k of every answer: ASCII (a UTF-8 event body reads it as is), different for every k. */
export function chunkOf(k: number): Buffer {
  const piece = Buffer.alloc(PIECE, 'abcdefghijklmnopqrstuvwxyz0123456789\n')
  piece.write(`<${String(k).padStart(10, '0')}>`, 0, 'latin1')
  return piece
}

/** The first `n` bytes of an answer, as a SHA-256 hex digest (generated piece by piece). */
export function digestOf(n: number): string {
  const hash = createHash('sha256')
  for (let k = 0, left = n; left > 0; k++, left -= PIECE) hash.update(left >= PIECE ? chunkOf(k) : chunkOf(k).subarray(0, left))
  return hash.digest('hex')
}

/** The first `n` bytes of an answer, whole (for small n). */
export function prefixOf(n: number): Buffer {
  const pieces: Buffer[] = []
  for (let k = 0; k * PIECE < n; k++) pieces.push(chunkOf(k))
  return Buffer.concat(pieces).subarray(0, n)
}

export interface Served {
  path: string
  /** Bytes written to the socket so far. */
  sent: number
  /** True once the answer was written whole. */
  finished: boolean
  /** True once the connection closed before the answer was whole (the proxy let go). */
  closedEarly: boolean
}

export interface ByteUpstream {
  url: string
  served: Served[]
  /** Called with every piece of a request body as it arrives (before the request's end). */
  bodyProgress: (bytes: number) => void
  close(): Promise<void>
}

export async function startByteUpstream(): Promise<ByteUpstream> {
  const served: Served[] = []
  const upstream: ByteUpstream = { url: '', served, bodyProgress: () => {}, close: async () => {} }
  const server = http.createServer((req, res) => {
    const [, kind = '', a = '0', b = '0'] = (req.url ?? '').split('/')
    const record: Served = { path: req.url ?? '', sent: 0, finished: false, closedEarly: false }
    served.push(record)
    res.on('close', () => {
      record.closedEarly = !res.writableFinished
    })
    if (!['bytes', 'chunked', 'break', 'stall'].includes(kind)) {
      let size = 0
      req.on('data', (c: Buffer) => {
        size += c.length
        upstream.bodyProgress(size)
      })
      req.on('end', () => res.end(String(size)))
      return
    }
    const n = Number(a)
    const total = kind === 'break' || kind === 'stall' ? Number(b) : n
    res.writeHead(200, { 'content-type': 'text/plain', ...(kind === 'chunked' ? {} : { 'content-length': String(total) }) })
    let k = 0
    const pump = (): void => {
      while (record.sent < n && !res.destroyed) {
        const piece = chunkOf(k++)
        const part = n - record.sent >= PIECE ? piece : piece.subarray(0, n - record.sent)
        record.sent += part.length
        if (!res.write(part)) return void res.once('drain', pump)
      }
      if (res.destroyed) return
      if (kind === 'break') return void res.socket?.destroy()
      if (kind === 'stall') return
      res.end(() => {
        record.finished = true
      })
    }
    pump()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  upstream.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  upstream.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  return upstream
}
