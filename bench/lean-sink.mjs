// A receiver for bench/lean-cost.ts: node:http on 127.0.0.1 in its own process; it reads each body
// and answers 204, or on /json/* 200 with a small JSON body.
import http from 'node:http'
import { serveIpc } from './child.mjs'

const json = JSON.stringify({ ok: true, received: 'evt_x', note: 'thanks' })
const server = http.createServer((req, res) => {
  req.on('data', () => {})
  req.on('end', () => {
    if (req.url.startsWith('/json/')) {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(json) })
      res.end(json)
    } else {
      res.writeHead(204)
      res.end()
    }
  })
})
server.keepAliveTimeout = 120_000
serveIpc({})
server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }))
