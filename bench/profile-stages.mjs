// Server CPU per event by stage, from the V8 CPU profiles of a bench run (one .cpuprofile per
// thread: BENCH_SERVER_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR"). Usage:
//   node bench/profile-stages.mjs DIR EVENTS [--top N] [--detail STAGE] [--cpu US]
// Each sample is given to the innermost frame on its stack that a specific stage rule claims (so
// JSON.stringify inside attemptToRow counts as "attempt row", a better-sqlite3 call under the
// store's settle as "settle"), else to the innermost frame a broad rule claims (any other SQLite
// statement, node:http and Fastify, timers); frames in the bundles are mapped back to their source
// files through the bundles' source maps. A thread is named by its bundle: everything on the
// sender thread is "the send", everything on the checkpointer thread "checkpoints".
// The profiler samples wall time while a thread is not idle, so on a loaded machine a stage's time
// includes the time its thread waited for a core; compare stages, and take totals from the bench's
// CPU per event. Samples no rule claims are listed by their leaf function (--top), to
// refine the rules. Idle time is left out. Times are per EVENTS (the events or deliveries the
// profiled phase handled), in microseconds of CPU.
import { readFileSync, readdirSync, existsSync } from 'node:fs'
import { join } from 'node:path'
import { SourceMap } from 'node:module'
import { fileURLToPath } from 'node:url'

const [dir, eventsArg, ...rest] = process.argv.slice(2)
if (!dir || !eventsArg) {
  console.error('usage: node bench/profile-stages.mjs DIR EVENTS [--top N]')
  process.exit(2)
}
const events = Number(eventsArg)
const opt = (name, fallback) => (rest.includes(name) ? rest[rest.indexOf(name) + 1] : fallback)
const topN = Number(opt('--top', 15))
// --detail STAGE: the leaf functions of that stage's samples, to see inside it.
const detail = opt('--detail', null)
// --cpu US: the bench's measured server CPU per event; each stage's share of the profiled time is
// scaled to it (the profile's own totals are wall time while busy, see above).
const cpu = opt('--cpu', null) === null ? null : Number(opt('--cpu', null))

// [stage, test(frame)] in order; a frame is { fn, file } with file the source path (src/..., a
// package path, or a node: url). The first rule that matches the innermost claimable frame wins.
const inFile = (re) => (f) => re.test(f.file)
const named = (re, fileRe = /./) => (f) => re.test(f.fn) && fileRe.test(f.file)
const RULES = [
  ['garbage collection', named(/^\(garbage collector\)$/, /^$/)],
  // PostgreSQL: the driver's protocol work (serializing queries, parsing rows) and Kysely's query
  // building wherever they are called from, so the store's own stages show what is left.
  ['PostgreSQL driver (pg: protocol, rows, pool)', inFile(/node_modules\/(pg|pg-protocol|pg-pool|pg-types|postgres-array|pg-connection-string)\//)],
  ['Kysely (query building and compiling)', inFile(/node_modules\/kysely\//)],
  ['attempt row', named(/^(attemptRecord|attemptToRow|attemptValues|insertAttempt|loggedHeaders|maskCredentialHeaders|maskHeaderValue)$/)],
  ['stats (metrics, health, degraded, feed)', (f) => /src\/(http\/metrics|services\/(endpoint-health|endpoint-degraded|attempt-feed|stats-series)|core\/success-window)\.ts$/.test(f.file) || /prom-client/.test(f.file) || /^(attemptNotice|onSettled)$/.test(f.fn)],
  ['settle', named(/^(settleAll|settleRelaxed|flushSettlements|queueSettlement|settle|outcomeOf|nextStep)$/)],
  ['claim', named(/^(claimAll|claimRelaxed|claimDue|fill)$/)],
  ['insert and commit (publish)', (f) => /^(publishOne|publishGroup|publishAll|publishRelaxed|publishBatch|eventToRow)$/.test(f.fn) || /wal-sync\.ts$/.test(f.file)],
  ['request building and signing', (f) => /src\/core\/(shaping|signing)\//.test(f.file) || /^(buildAttemptRequest|renderBounded)$/.test(f.fn)],
  ['the send (main-thread side: batches to and from the sender thread)', inFile(/src\/delivery\/(threaded-sender|send-attempt)\.ts$|node:internal\/worker/)],
  ['the send (HTTP exchange, undici)', (f) => /undici|src\/delivery\/(sender|address-guard|egress|policy-agents|url-target|sender-worker|lean-http|request-bytes|http1-response-parser)\.ts$|src\/core\/address-class\.ts$/.test(f.file)],
  ['hand-off and scheduling (dispatcher)', (f) => /src\/delivery\/(dispatcher|endpoint-limits|earliest-timer)\.ts$/.test(f.file) || /^(write|accept)$/.test(f.fn) && /publisher\.ts$/.test(f.file)],
  ['building the event (fan-out, ids, payload text)', (f) => /src\/services\/(publisher|endpoint-directory|expiring-cache)\.ts$|src\/core\/(ids|event-filter)\.ts$/.test(f.file)],
  ['auth', (f) => /src\/(http\/route-access|services\/access)\.ts$/.test(f.file)],
  ['validation (schema, JSON depth, payload schemas)', (f) => /^validate\d*$/.test(f.fn) || /src\/(core\/(json-depth|parse-body|schema-errors)|services\/payload-schemas)\.ts$|ajv/.test(f.file)],
  ['publish route: handler, 202 body and its write (reply.send)', (f) => /src\/http\/(routes\/events|present)\.ts$/.test(f.file)],
]
// Broad rules: only when no specific rule claims a frame of the stack.
const BROAD = [
  ['SQLite (other statements)', inFile(/better-sqlite3|src\/store\//)],
  ['HTTP (parse, route, respond: node:http, Fastify)', (f) => /fastify|find-my-way|avvio|light-my-request|node:_http|node:http|node:net|node:stream|node:internal\/(streams|http|stream_base|js_stream)|src\/http\//.test(f.file) || /^(parserOnHeadersComplete|parserOnBody|parserOnMessageComplete|onStreamRead|writeGeneric|writevGeneric)$/.test(f.fn)],
  ['timers and microtasks (node internals)', inFile(/node:internal\/(timers|process\/task_queues)|node:timers/)],
]

const maps = new Map()
function mapFor(url) {
  if (!url.startsWith('file://') || !url.endsWith('.js')) return null
  if (maps.has(url)) return maps.get(url)
  let sm = null
  const path = fileURLToPath(url)
  if (existsSync(`${path}.map`)) sm = new SourceMap(JSON.parse(readFileSync(`${path}.map`, 'utf8')))
  maps.set(url, sm)
  return sm
}

function frameOf(cf) {
  const url = cf.url ?? ''
  let file = url
  const sm = mapFor(url)
  if (sm) {
    const e = sm.findEntry(cf.lineNumber, cf.columnNumber)
    if (e && e.originalSource) file = e.originalSource
  }
  file = file.replace(/^.*?\/(src\/|node_modules\/)/, '$1')
  return { fn: cf.functionName || '(anonymous)', file }
}

/** The thread's role, from the bundles its frames come from. */
function threadRole(profile) {
  const urls = new Set(profile.nodes.map((n) => n.callFrame.url))
  if ([...urls].some((u) => u.endsWith('/sender-worker.js'))) return 'the send (sender thread: HTTP exchange, messages)'
  if ([...urls].some((u) => u.endsWith('/render-worker.js'))) return 'request building (render thread)'
  if (![...urls].some((u) => u.endsWith('/hookrelay.js'))) return 'checkpoints (checkpointer thread)'
  return null
}

function analyse(profile) {
  const role = threadRole(profile)
  const byId = new Map()
  for (const n of profile.nodes) byId.set(n.id, { ...n, frame: frameOf(n.callFrame), parent: null })
  for (const n of byId.values()) for (const c of n.children ?? []) byId.get(c).parent = n
  const stageOf = new Map() // node id -> stage or null
  const claim = (n) => {
    if (stageOf.has(n.id)) return stageOf.get(n.id)
    let s = null
    for (const rules of [RULES, BROAD]) {
      for (let m = n; m !== null && s === null; m = m.parent) {
        const rule = rules.find(([, test]) => test(m.frame))
        if (rule) s = rule[0]
      }
    }
    if (role !== null && s !== 'garbage collection') s = role
    stageOf.set(n.id, s)
    return s
  }
  const stages = new Map()
  const unclaimed = new Map()
  let busy = 0
  const { samples, timeDeltas } = profile
  for (let i = 0; i < samples.length; i++) {
    // timeDeltas[i + 1] is the time until the next sample: the time this sample stands for.
    const us = timeDeltas[i + 1] ?? 0
    const n = byId.get(samples[i])
    if (n.frame.fn === '(idle)') continue
    busy += us
    const s = claim(n) ?? 'other'
    stages.set(s, (stages.get(s) ?? 0) + us)
    if (s === 'other' || (detail !== null && s.startsWith(detail))) {
      const key = `${n.frame.fn} ${n.frame.file}`
      unclaimed.set(key, (unclaimed.get(key) ?? 0) + us)
    }
  }
  return { busy, stages, unclaimed, role }
}

const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')).sort()
if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`)
const total = new Map()
let totalBusy = 0
const per = (us) => (us / events).toFixed(1)
for (const f of files) {
  const p = JSON.parse(readFileSync(join(dir, f), 'utf8'))
  const r = analyse(p)
  if (r.busy / events < 0.5) continue // a thread that did nothing to speak of (an idle render thread)
  totalBusy += r.busy
  console.log(`\n## ${f} (${r.role ?? 'main thread'}): ${per(r.busy)} us busy per event (${(r.busy / 1000).toFixed(0)} ms)`)
  for (const [s, us] of [...r.stages].sort((a, b) => b[1] - a[1])) {
    console.log(`  ${per(us).padStart(7)}  ${s}`)
    total.set(s, (total.get(s) ?? 0) + us)
  }
  const top = [...r.unclaimed].sort((a, b) => b[1] - a[1]).slice(0, topN)
  if (top.length) console.log(`  unclaimed${detail ? ` and ${detail}` : ''}, by leaf:`)
  for (const [k, us] of top) console.log(`    ${per(us).padStart(6)}  ${k}`)
}
console.log(`\n## all threads: ${per(totalBusy)} us per event\n\n| Stage | profiled us per event | share |${cpu === null ? '' : ' CPU us per event (share x measured) |'}\n|---|---|---|${cpu === null ? '' : '---|'}`)
for (const [s, us] of [...total].sort((a, b) => b[1] - a[1])) {
  const share = us / totalBusy
  console.log(`| ${s} | ${per(us)} | ${(share * 100).toFixed(1)}% |${cpu === null ? '' : ` ${(share * cpu).toFixed(1)} |`}`)
}
