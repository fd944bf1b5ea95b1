// Hookrelay benchmarks: `npm run bench` (builds, then runs this). Each scenario prints a line; the
// table goes to stdout and to bench/results/latest.md, everything measured to latest.json.
// Ratios are measured side by side in one run, because the machine is shared and noisy.
// All traffic stays on 127.0.0.1; every loop is bounded by a count and a time limit.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs'
import { cpus, tmpdir, totalmem } from 'node:os'
import { join } from 'node:path'
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { now } from './clock.mjs'
import { forkHelper } from './child.mjs'
import { makePool } from './load.mjs'
import { adminApi } from './api.mjs'
import { ADMIN_TOKEN, REPO, startServer } from './server.mjs'
import { errorRow, markdownTable } from './report.mjs'
import { rawLimit } from './scenarios/raw-limit.mjs'
import { bareFastify } from './scenarios/bare-fastify.mjs'
import { publish } from './scenarios/publish.mjs'
import { ingest } from './scenarios/ingest.mjs'
import { endToEnd } from './scenarios/end-to-end.mjs'
import { drain } from './scenarios/drain.mjs'
import { latency } from './scenarios/latency.mjs'
import { startup } from './scenarios/startup.mjs'
import { scale } from './scenarios/scale.mjs'
import { retention } from './scenarios/retention.mjs'
import { fifoBeside } from './scenarios/fifo.mjs'
import { gatewayMemory } from './scenarios/gateway-memory.mjs'

const env = process.env
const int = (name, fallback) => {
  const v = env[name]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number, got "${v}"`)
  return Math.floor(n)
}
const quick = env.BENCH_QUICK === '1'
const cfg = {
  quick,
  concurrency: int('BENCH_CONCURRENCY', 64),
  durationMs: int('BENCH_DURATION_MS', quick ? 2_000 : 5_000),
  rounds: int('BENCH_ROUNDS', 5),
  warmupMs: int('BENCH_WARMUP_MS', quick ? 500 : 1_000),
  events: int('BENCH_EVENTS', quick ? 2_000 : 50_000),
  // e2e, e2e-32 and pg-e2e publish their events in this many rounds, a raw-limit probe around each.
  e2eRounds: int('BENCH_E2E_ROUNDS', 4),
  // Each raw-limit probe of the long scenarios (raw-probe.mjs): a warm-up, then the measured part.
  probeMs: int('BENCH_PROBE_MS', quick ? 1_000 : 1_500),
  probeWarmupMs: int('BENCH_PROBE_WARMUP_MS', quick ? 250 : 500),
  // A Liquid template for the e2e endpoints (the render-thread path); unset = plain JSON endpoints.
  e2eTemplate: env.BENCH_E2E_TEMPLATE || null,
  drainEndpoints: int('BENCH_DRAIN_ENDPOINTS', 10),
  drainEvents: int('BENCH_DRAIN_EVENTS', quick ? 500 : 10_000),
  latencyRate: int('BENCH_LATENCY_RATE', 200),
  latencySeconds: int('BENCH_LATENCY_SECONDS', quick ? 3 : 10),
  burstEvents: int('BENCH_BURST_EVENTS', quick ? 1_000 : 6_000),
  startupRate: int('BENCH_STARTUP_RATE', 200),
  startupSeconds: int('BENCH_STARTUP_SECONDS', quick ? 3 : 10),
  startupSeedEvents: int('BENCH_STARTUP_SEED_EVENTS', quick ? 500 : 10_000),
  retentionRows: int('BENCH_RETENTION_ROWS', quick ? 20_000 : 1_000_000),
  retentionRate: int('BENCH_RETENTION_RATE', 200),
  retentionTimeoutMs: int('BENCH_RETENTION_TIMEOUT_MS', 600_000),
  skipScale: env.BENCH_SKIP_SCALE === '1',
  scaleEndpoints: int('BENCH_SCALE_ENDPOINTS', 100),
  scaleEvents: int('BENCH_SCALE_EVENTS', quick ? 200 : 10_000),
  scaleBaselineEvents: int('BENCH_SCALE_BASELINE_EVENTS', quick ? 20 : 100),
  scaleWindow: int('BENCH_SCALE_WINDOW', 100_000),
  waitTimeoutMs: int('BENCH_WAIT_TIMEOUT_MS', 300_000),
  fifoEvents: int('BENCH_FIFO_EVENTS', quick ? 2_000 : 8_000),
  gwConcurrency: int('BENCH_GW_CONCURRENCY', quick ? 40 : 400),
  gwBytes: int('BENCH_GW_BYTES', quick ? 10_000_000 : 100_000_000),
  gwTimeoutMs: int('BENCH_GW_TIMEOUT_MS', 1_200_000),
  fifoLimitMs: int('BENCH_FIFO_LIMIT_MS', 120_000),
  scaleTimeoutMs: int('BENCH_SCALE_TIMEOUT_MS', 1_200_000),
  keepData: env.BENCH_KEEP_DATA === '1',
  adjacentBaselines: env.BENCH_ADJACENT_BASELINES !== '0',
  only: env.BENCH_ONLY ? env.BENCH_ONLY.split(',').map((s) => s.trim()).filter(Boolean) : null,
}

const log = (msg) => process.stdout.write(`${msg}\n`)
// The machine is shared: the 1-minute load average at the start and end of each scenario shows
// whether something else was competing for the 2 cores while it ran.
const loadAvg = () => {
  try { return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]) } catch { return null }
}
const root = mkdtempSync(join(tmpdir(), 'hookrelay-bench-'))
const live = new Set() // cleanup functions of whatever is running now, for signals

function makeCtx(sink, baselines) {
  const cleanups = []
  const dirs = []
  let aborted = false
  const ctx = {
    cfg, sink, baselines, log, adminToken: ADMIN_TOKEN,
    servers: [],
    isAborted: () => aborted,
    abort() { aborted = true },
    onCleanup(fn) { cleanups.push(fn); live.add(fn) },
    dataDir(name) {
      const dir = join(root, `${name}-${Math.random().toString(36).slice(2, 8)}`)
      mkdirSync(dir, { recursive: true })
      dirs.push(dir)
      return dir
    },
    async startServer(opts) {
      try {
        const s = await startServer(opts)
        ctx.servers.push(s)
        ctx.onCleanup(() => s.stop(10_000))
        return s
      } catch (err) {
        if (err.server) ctx.onCleanup(() => err.server.kill())
        throw err
      }
    },
    pool(origin, connections) {
      const p = makePool(origin, connections)
      ctx.onCleanup(() => p.destroy())
      return p
    },
    adminApi(url, connections) {
      const a = adminApi(url, connections)
      ctx.onCleanup(() => a.pool.destroy())
      return a
    },
    async cleanup() {
      for (const fn of cleanups.reverse()) {
        live.delete(fn)
        try { await fn() } catch { /* best effort */ }
      }
      if (!cfg.keepData) for (const d of dirs) rmSync(d, { recursive: true, force: true })
    },
  }
  return ctx
}

const SCENARIOS = [
  { id: 'raw', fn: rawLimit, baseline: 'raw', timeoutMs: () => cfg.durationMs + cfg.warmupMs + 60_000 },
  { id: 'bare', fn: bareFastify, baseline: 'bare', timeoutMs: () => cfg.durationMs + cfg.warmupMs + 60_000 },
  { id: 'publish', fn: publish, timeoutMs: () => 2 * (cfg.durationMs + cfg.warmupMs) + 120_000 },
  { id: 'ingest', fn: ingest, timeoutMs: () => 3 * (cfg.durationMs + cfg.warmupMs) + 120_000 },
  // The scenarios that need `raw` probe it themselves around their measurement (raw-probe.mjs); the
  // run's first raw limit is their baseline only with BENCH_ADJACENT_BASELINES=0.
  { id: 'e2e', fn: endToEnd, needs: ['raw'], timeoutMs: () => 2 * cfg.waitTimeoutMs + 180_000 },
  // The issue-16 harness's shape: one endpoint, 64 publishers on 32 connections, 900-byte payloads.
  { id: 'e2e-32', fn: (ctx) => endToEnd(ctx, { endpoints: 1, publishers: 64, connections: 32, payloadBytes: 900 }), needs: ['raw'], timeoutMs: () => 2 * cfg.waitTimeoutMs + 180_000 },
  // The ceiling of the two rows above: the same e2e against a relay that stores nothing (http-only-relay.mjs).
  { id: 'e2e-ceiling', fn: (ctx) => endToEnd(ctx, { ceiling: true }), needs: ['raw'], timeoutMs: () => 2 * cfg.waitTimeoutMs + 180_000 },
  { id: 'drain', fn: drain, needs: ['raw'], timeoutMs: () => 2 * cfg.waitTimeoutMs + 180_000 },
  // PostgreSQL beside SQLite (issue 5): the same end-to-end and drain, each on a database of its
  // own, and the drain with one worker process and with two.
  { id: 'pg-e2e', fn: (ctx) => endToEnd(ctx, { store: 'postgres' }), needs: ['raw'], timeoutMs: () => 2 * cfg.waitTimeoutMs + 180_000 },
  { id: 'pg-drain', fn: (ctx) => drain(ctx, { store: 'postgres' }), needs: ['raw'], timeoutMs: () => 2 * cfg.waitTimeoutMs + 180_000 },
  { id: 'pg-drain-1w', fn: (ctx) => drain(ctx, { store: 'postgres', workers: 1 }), needs: ['raw'], timeoutMs: () => 2 * cfg.waitTimeoutMs + 180_000 },
  { id: 'pg-drain-2w', fn: (ctx) => drain(ctx, { store: 'postgres', workers: 2 }), needs: ['raw'], timeoutMs: () => 2 * cfg.waitTimeoutMs + 180_000 },
  // Fifo ordering (issue 15): unordered endpoints beside an ordered one, against four unordered.
  { id: 'fifo', fn: (ctx) => fifoBeside(ctx), timeoutMs: () => 4 * (cfg.fifoLimitMs + 120_000) },
  { id: 'pg-fifo', fn: (ctx) => fifoBeside(ctx, { store: 'postgres' }), timeoutMs: () => 4 * (cfg.fifoLimitMs + 120_000) },
  // Gateway memory (issue 12, item 9): many large answers through a route at once.
  { id: 'gateway', fn: gatewayMemory, timeoutMs: () => cfg.gwTimeoutMs },
  { id: 'latency', fn: latency, timeoutMs: () => cfg.latencySeconds * 1000 + 180_000 },
  // Latency right after a burst to the same endpoint has drained (issue 16).
  { id: 'after-burst', fn: (ctx) => latency(ctx, { burst: cfg.burstEvents }), timeoutMs: () => cfg.latencySeconds * 1000 + cfg.waitTimeoutMs + 180_000 },
  { id: 'retention', fn: retention, timeoutMs: () => cfg.retentionTimeoutMs + 600_000 },
  { id: 'startup', fn: startup, timeoutMs: () => 2 * cfg.waitTimeoutMs + cfg.startupSeconds * 1000 + 180_000 },
  { id: 'scale', fn: scale, skip: () => cfg.skipScale && 'BENCH_SKIP_SCALE=1', timeoutMs: () => 2 * cfg.waitTimeoutMs + 2 * cfg.scaleTimeoutMs + 300_000 },
  // The raw limit again at the end: how much the machine drifted during the run.
  { id: 'raw-again', fn: (ctx) => rawLimit(ctx, 'raw limit, again at the end (drift check)'), timeoutMs: () => cfg.durationMs + cfg.warmupMs + 60_000 },
]

function gitHead() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim()
  } catch {
    return null
  }
}

async function main() {
  const startedAt = new Date().toISOString()
  log(`hookrelay bench: ${cpus().length} cores, node ${process.version}, data under ${root}${quick ? ' (BENCH_QUICK sizes)' : ''}`)
  const serverBuilt = existsSync(join(REPO, 'dist/hookrelay.js'))
  if (!serverBuilt) log('  dist/hookrelay.js is missing: the server scenarios will fail (run `npm run build`)')
  const sink = await forkHelper(fileURLToPath(new URL('./sink.mjs', import.meta.url)))
  live.add(() => sink.stop())
  const baselines = { raw: null, bare: null }
  const rows = []
  const details = {}
  // BENCH_ONLY=e2e still runs the raw limit first: a ratio needs its baseline from the same run.
  const selected = cfg.only ? new Set(cfg.only.flatMap((id) => [id, ...(SCENARIOS.find((s) => s.id === id)?.needs ?? [])])) : null

  // Runs one scenario under its hard limit; always cleans up. Returns its result or throws.
  async function runOne(sc, label = sc.id) {
    const ctx = makeCtx(sink, baselines)
    const timeoutMs = sc.timeoutMs()
    log(`- ${label}: running (hard limit ${Math.round(timeoutMs / 1000)} s, load average ${loadAvg()})`)
    let timer
    try {
      const res = await Promise.race([
        sc.fn(ctx),
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            ctx.abort()
            const e = new Error(`scenario ${label} hit its hard limit of ${Math.round(timeoutMs / 1000)} s`)
            e.timedOut = true
            reject(e)
          }, timeoutMs)
        }),
      ])
      // Surface anything the servers logged at warn or error level (they run with HOOKRELAY_LOG_LEVEL=warn).
      const logged = ctx.servers.map((s) => s.problems()).filter((p) => p.errorLines || p.warnLines)
      if (logged.length && res.rows[0]) {
        const first = logged.flatMap((p) => p.firstProblems)[0] ?? ''
        const sum = (k) => logged.reduce((n, p) => n + p[k], 0)
        res.rows[0].note = [res.rows[0].note, `server logged ${sum('errorLines')} error / ${sum('warnLines')} warn lines, first: ${first.slice(0, 200)}`].filter(Boolean).join('; ')
      }
      return res
    } finally {
      clearTimeout(timer)
      await ctx.cleanup()
    }
  }

  for (const sc of SCENARIOS) {
    if (selected && !selected.has(sc.id)) continue
    const skip = sc.skip?.()
    if (skip) {
      log(`- ${sc.id}: skipped (${skip})`)
      details[sc.id] = { skipped: skip }
      continue
    }
    const t0 = now()
    const loadBefore = loadAvg()
    try {
      const res = await runOne(sc)
      if (sc.baseline) baselines[sc.baseline] = res.value
      rows.push(...res.rows)
      details[sc.id] = { ...res.details, wallSeconds: Math.round((now() - t0) / 100) / 10, loadAverage: [loadBefore, loadAvg()] }
      for (const r of res.rows) {
        log(`  ${r.scenario}: ${r.measured}${r.ratio != null ? `  ratio ${r.ratio.toFixed(2)} (${r.target})` : r.target ? `  (${r.target})` : ''}` +
          `${r.pass === true ? '  pass' : r.pass === false ? '  MISS' : ''}${r.note ? `  [${r.note}]` : ''}`)
      }
    } catch (err) {
      const msg = String(err?.message ?? err)
      log(`  ${sc.id}: ${err?.timedOut ? 'TIMED OUT' : 'FAILED'}: ${msg}`)
      rows.push(errorRow(sc.id, msg, !!err?.timedOut))
      details[sc.id] = { error: msg, timedOut: !!err?.timedOut, wallSeconds: Math.round((now() - t0) / 100) / 10, loadAverage: [loadBefore, loadAvg()] }
    }
  }
  await sink.stop()
  live.clear()
  if (!cfg.keepData) rmSync(root, { recursive: true, force: true })

  const table = markdownTable(rows)
  const machine = { cores: cpus().length, cpu: cpus()[0]?.model, memMb: Math.round(totalmem() / 2 ** 20), node: process.version, platform: process.platform }
  const result = { startedAt, finishedAt: new Date().toISOString(), git: gitHead(), machine, config: cfg, rows, details }
  const outDir = env.BENCH_RESULTS_DIR || fileURLToPath(new URL('./results/', import.meta.url))
  mkdirSync(outDir, { recursive: true })
  writeFileSync(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`)
  const sizes = `concurrency ${cfg.concurrency}, ${cfg.durationMs / 1000} s load phases, ${cfg.events.toLocaleString('en-US')} end-to-end events, ` +
    `drain ${cfg.drainEndpoints} x ${cfg.drainEvents.toLocaleString('en-US')}, scale ${cfg.skipScale ? 'skipped' : `${cfg.scaleEndpoints} x ${cfg.scaleEvents.toLocaleString('en-US')} (baseline ${cfg.scaleEndpoints} x ${cfg.scaleBaselineEvents})`}`
  const md = `# Hookrelay bench: ${startedAt}\n\n${machine.cores} cores (${machine.cpu}), Node ${machine.node}, git ${result.git ?? 'n/a'}. ` +
    `Sizes: ${sizes}.\n\n${table}\n`
  const loads = Object.entries(details).filter(([, d]) => d.loadAverage).map(([id, d]) => `${id} ${d.loadAverage.join('->')}`).join(', ')
  writeFileSync(join(outDir, 'latest.md'), `${md}\nLoad average (1 min) before->after each scenario: ${loads}.\n`)
  log(`\n${table}\n\nload average before->after: ${loads}\nwrote ${join(outDir, 'latest.json')} and latest.md`)
}

let stopping = false
async function emergencyCleanup(signal) {
  if (stopping) return
  stopping = true
  log(`\n${signal}: stopping children and removing ${root}`)
  for (const fn of live) { try { await fn() } catch { /* best effort */ } }
  if (!cfg.keepData) rmSync(root, { recursive: true, force: true })
  process.exit(130)
}
process.on('SIGINT', () => emergencyCleanup('SIGINT'))
process.on('SIGTERM', () => emergencyCleanup('SIGTERM'))

main().then(() => process.exit(0), async (err) => {
  console.error(err)
  for (const fn of live) { try { await fn() } catch { /* best effort */ } }
  if (!cfg.keepData) rmSync(root, { recursive: true, force: true })
  process.exit(1)
})
