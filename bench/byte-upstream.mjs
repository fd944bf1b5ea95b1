// The gateway scenario's upstream: node:http on 127.0.0.1 in its own process, answering
// `GET /bytes/{n}` with n bytes (one 64 KiB piece written over and over, with backpressure, so it
// holds nothing per request) and a content-length. Counts the answers finished and cut short.
import http from 'node:http'
import { serveIpc } from './child.mjs'

const PIECE = Buffer.alloc(64 * 1024, 'abcdefghijklmnopqrstuvwxyz0123456789\n')
const counts = { started: 0, finished: 0, closedEarly: 0, bytes: 0 }

const server = http.createServer((req, res) => {
  const n = Number((req.url ?? '').split('/')[2] ?? 0)
  counts.started++
  res.on('close', () => {
    if (res.writableFinished) counts.finished++
    else counts.closedEarly++
  })
  res.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(n) })
  let sent = 0
  const pump = () => {
    while (sent < n && !res.destroyed) {
      const part = n - sent >= PIECE.length ? PIECE : PIECE.subarray(0, n - sent)
      sent += part.length
      counts.bytes += part.length
      if (!res.write(part)) return void res.once('drain', pump)
    }
    if (!res.destroyed) res.end()
  }
  pump()
})
server.keepAliveTimeout = 120_000

serveIpc({ stats: () => counts })
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }))
