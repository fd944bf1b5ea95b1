// A server entry for the bench harness that does only the HTTP work of a webhook relay: it takes
// the publish (Fastify and its JSON parser; no validation, no auth) and answers 202 echoing the
// event, signs the default envelope as the raw limit's sender does (payload.mjs) and POSTs it to the endpoint
// through an undici Pool, with nothing stored. It answers the few admin calls the scenarios make (a
// tenant, endpoints), so the `e2e-ceiling` scenario (or any scenario, with
// BENCH_SERVER_ENTRY=bench/http-only-relay.mjs) measures the e2e ratio a relay could reach on this
// machine if everything but its two HTTP exchanges were free: the ceiling of the e2e rows' targets.
// Not a product; nothing here is durable.
// RELAY_HTTP=node serves the same routes on bare node:http instead of Fastify: the thinnest server
// Node has, for the ceiling of any relay written on it.
import { randomBytes } from 'node:crypto'
import Fastify from 'fastify'
import http from 'node:http'
import { Pool } from 'undici'
import { signedEnvelope } from './payload.mjs'

const args = process.argv.slice(2)
const port = Number(args[args.indexOf('--port') + 1] || 0)
const endpoints = new Map() // tenant -> [{ url, types: Set, key }]
const pools = new Map()
const poolFor = (origin) => {
  let p = pools.get(origin)
  if (!p) pools.set(origin, (p = new Pool(origin, { connections: 32, pipelining: 1 })))
  return p
}
let seq = 0
const newId = (prefix) => `${prefix}_${Date.now().toString(36)}${(seq++).toString(36).padStart(8, '0')}`

function addEndpoint(tenantId, b) {
  const list = endpoints.get(tenantId) ?? []
  const key = randomBytes(24)
  list.push({ url: new URL(b.url), types: new Set(b.eventTypes ?? []), key })
  endpoints.set(tenantId, list)
  return JSON.stringify({ id: newId('ep'), url: b.url, secret: `whsec_${key.toString('base64')}` })
}

/**
 * Answers the publish with `answer(status, text)` (the 202 echoing the event), then sends the
 * event, signed as the raw limit's sender signs (payload.mjs), to each endpoint that takes its type.
 */
function publish(tenantId, b, answer) {
  const now = Date.now()
  const id = newId('evt')
  const payloadJson = JSON.stringify(b.payload)
  const targets = (endpoints.get(tenantId) ?? []).filter((e) => e.types.size === 0 || e.types.has(b.type))
  const iso = new Date(now).toISOString()
  answer(202, `{"id":"${id}","type":${JSON.stringify(b.type)},"payload":${payloadJson},"channels":[],"idempotencyKey":null,"occurredAt":"${iso}","createdAt":"${iso}","deliveryCount":${targets.length}}`)
  for (const t of targets) {
    const { body, headers } = signedEnvelope(t.key, id, b.type, now, payloadJson)
    headers['user-agent'] = 'Hookrelay-Webhooks/1'
    poolFor(t.url.origin)
      .request({ method: 'POST', path: t.url.pathname, body, headers })
      .then((res) => res.body.dump(), () => {})
  }
}

let server
if (process.env.RELAY_HTTP === 'node') {
  const EVENTS = /^\/v1\/tenants\/([^/]+)\/events$/
  const ENDPOINTS = /^\/v1\/tenants\/([^/]+)\/endpoints$/
  server = http.createServer((req, res) => {
    const chunks = []
    req.on('data', (c) => chunks.push(c))
    req.on('end', () => {
      const b = JSON.parse(Buffer.concat(chunks).toString('utf8'))
      const answer = (status, text) => res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text)
      let m
      if ((m = EVENTS.exec(req.url))) publish(m[1], b, answer)
      else if ((m = ENDPOINTS.exec(req.url))) answer(201, addEndpoint(m[1], b))
      else answer(201, JSON.stringify({ id: b.id, name: b.name }))
    })
  })
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve))
} else {
  const app = Fastify({ logger: false, bodyLimit: 1 << 20 })
  app.post('/v1/tenants', async (req, reply) => reply.code(201).send({ id: req.body.id, name: req.body.name }))
  app.post('/v1/tenants/:tenantId/endpoints', async (req, reply) => reply.code(201).type('application/json').send(addEndpoint(req.params.tenantId, req.body)))
  app.post('/v1/tenants/:tenantId/events', (req, reply) => {
    publish(req.params.tenantId, req.body, (status, text) => reply.code(status).type('application/json; charset=utf-8').send(text))
  })
  await app.listen({ host: '127.0.0.1', port })
  server = app.server
}
console.log(`hookrelay listening on http://127.0.0.1:${server.address().port}`)
process.once('SIGTERM', () => {
  // Kept-alive connections would hold close() open until they time out.
  server.closeAllConnections()
  server.close(() => process.exit(0))
})
