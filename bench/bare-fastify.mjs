// The baseline for the publish scenario: a bare Fastify JSON POST route in its own process,
// parsing the same 1 KiB body and answering 202 with a small JSON document, no logging, no schema.
import Fastify from 'fastify'
import { serveIpc } from './child.mjs'

const app = Fastify({ logger: false, bodyLimit: 1024 * 1024 })
let seq = 0
let received = 0
app.post('/ingest', async (req, reply) => {
  received++
  reply.code(202)
  return { id: `evt_bare${++seq}`, type: req.body?.type ?? null, deliveryCount: 0 }
})

serveIpc({ stats: () => ({ received }) })
await app.listen({ port: 0, host: '127.0.0.1' })
process.send({ type: 'ready', port: app.server.address().port })
