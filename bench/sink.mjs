// The webhook receiver every scenario delivers to: node:http on 127.0.0.1, in its own process.
// It reads each body, answers 204, and remembers per request only what the parent asks about:
// the receipt time (one float per request), the path (one counter per endpoint), and the
// `webhook-id` (a Set per path, to count duplicates). In latency mode it also parses the JSON body
// and records receipt time minus `data.sentAt`. The parent queries it over IPC.
import http from 'node:http'
import { now } from './clock.mjs'
import { serveIpc } from './child.mjs'

let state
function reset({ latency = false, trackIds = true } = {}) {
  state = {
    count: 0,
    bytes: 0,
    first: 0,
    last: 0,
    times: new Float64Array(1 << 16),
    paths: new Map(), // path -> count
    ids: new Map(), // path -> Set(webhook-id)
    duplicates: 0,
    missingId: 0,
    latency,
    trackIds,
    latencies: [], // [seq, ms] pairs, flattened
    badBodies: 0,
  }
}
reset()

function record(req, bodyChunks, bytes) {
  const t = now()
  const s = state
  if (s.count === s.times.length && s.times.length < (1 << 24)) {
    const grown = new Float64Array(s.times.length * 2)
    grown.set(s.times)
    s.times = grown
  }
  if (s.count < s.times.length) s.times[s.count] = t
  s.count++
  s.bytes += bytes
  if (s.first === 0) s.first = t
  s.last = t
  const path = req.url
  s.paths.set(path, (s.paths.get(path) ?? 0) + 1)
  if (s.trackIds) {
    const id = req.headers['webhook-id']
    if (!id) s.missingId++
    else {
      let set = s.ids.get(path)
      if (!set) s.ids.set(path, (set = new Set()))
      if (set.has(id)) s.duplicates++
      else set.add(id)
    }
  }
  if (s.latency && bodyChunks) {
    try {
      const body = JSON.parse(Buffer.concat(bodyChunks).toString('utf8'))
      const sentAt = body?.data?.sentAt
      if (typeof sentAt === 'number') s.latencies.push(body.data.seq ?? -1, t - sentAt)
      else s.badBodies++
    } catch {
      s.badBodies++
    }
  }
}

const server = http.createServer((req, res) => {
  const chunks = state.latency ? [] : null
  let bytes = 0
  req.on('data', (c) => {
    bytes += c.length
    if (chunks) chunks.push(c)
  })
  req.on('end', () => {
    record(req, chunks, bytes)
    res.writeHead(204)
    res.end()
  })
})
server.keepAliveTimeout = 120_000
server.headersTimeout = 130_000

serveIpc({
  reset: (args) => { reset(args); return true },
  stats: ({ paths = false }) => ({
    count: state.count,
    bytes: state.bytes,
    first: state.first,
    last: state.last,
    duplicates: state.duplicates,
    missingId: state.missingId,
    badBodies: state.badBodies,
    paths: paths ? Object.fromEntries(state.paths) : undefined,
  }),
  // Receipt time of the n-th request (1-based) for each n asked; null past what was received.
  timeAt: ({ ns }) => ns.map((n) => (n >= 1 && n <= state.count && n <= state.times.length ? state.times[n - 1] : null)),
  latencies: () => state.latencies,
  ping: () => now(),
})

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', port: server.address().port }))
