// A/B of two server builds end to end, in one time window: both servers run at once, each with
// its endpoints at one sink, and take rounds of events in alternating order (A B B A A B ...), each
// round published as fast as the concurrency allows and timed to its last delivery at the sink.
// The machine's speed drifts over a minute (bench/README.md); whole scenario runs one after the
// other compare the drift more than the builds, rounds a few seconds long side by side do not.
// Reports, per build, deliveries/s over its rounds and server CPU (every thread, /proc) per event.
// Usage: node bench/ab-e2e.mjs ENTRY_A ENTRY_B [rounds=8] [eventsPerRound=4000]
// Shape (env): AB_ENDPOINTS (4), AB_PUBLISHERS (64), AB_CONNECTIONS (= publishers), AB_PAYLOAD_BYTES (1024).
// AB_NODE_ARGS_A, AB_NODE_ARGS_B: node flags for one side's server (the same entry twice then
// compares flags, e.g. V8's young generation size).
import { mkdtempSync, rmSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { now } from './clock.mjs'
import { forkHelper } from './child.mjs'
import { adminApi } from './api.mjs'
import { TENANT, createSinkEndpoints, publishMany, waitForSink } from './harness.mjs'
import { startServer } from './server.mjs'

const [entryA, entryB, roundsArg = '8', perRoundArg = '4000'] = process.argv.slice(2)
if (!entryA || !entryB) {
  console.error('usage: node bench/ab-e2e.mjs ENTRY_A ENTRY_B [rounds=8] [eventsPerRound=4000]')
  process.exit(2)
}
const rounds = Number(roundsArg)
const perRound = Number(perRoundArg)
const endpoints = Number(process.env.AB_ENDPOINTS ?? 4)
const publishers = Number(process.env.AB_PUBLISHERS ?? 64)
const connections = Number(process.env.AB_CONNECTIONS ?? publishers)
const payloadBytes = process.env.AB_PAYLOAD_BYTES ? Number(process.env.AB_PAYLOAD_BYTES) : undefined
const loadAverage = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0]

const sink = await forkHelper(fileURLToPath(new URL('./sink.mjs', import.meta.url)))
const sides = {}
try {
  for (const [name, entry] of [['A', entryA], ['B', entryB]]) {
    process.env.BENCH_SERVER_ENTRY = entry
    process.env.BENCH_SERVER_NODE_ARGS = process.env[`AB_NODE_ARGS_${name}`] ?? ''
    const dataDir = mkdtempSync(join(tmpdir(), `ab-e2e-${name}-`))
    const srv = await startServer({ dataDir, role: 'all', label: name })
    const api = adminApi(srv.url, connections)
    await api.createTenant(TENANT)
    await createSinkEndpoints(api, sink, `/${name}`, endpoints, (i) => `bench.e2e${i}`)
    sides[name] = { srv, api, dataDir, cpuMs: 0, ms: 0, delivered: 0, rates: [] }
  }
  const round = async (s, n) => {
    await sink.call('reset')
    const cpu0 = s.srv.cpuMs()
    const t0 = now()
    const pub = await publishMany({ api: s.api, n, concurrency: publishers, typeOf: (seq) => `bench.e2e${seq % endpoints}`, payloadBytes, timeoutMs: 120_000, isAborted: () => false })
    if (pub.errors) throw new Error(`${pub.errors} failed publishes: ${pub.errorSamples?.[0]}`)
    const w = await waitForSink({ sink, expected: pub.deliveries, timeoutMs: 120_000, pollMs: 20 })
    if (w.reason !== 'complete') throw new Error(`${w.stats.count}/${pub.deliveries} delivered (${w.reason})`)
    return { ms: w.stats.last - t0, cpuMs: s.srv.cpuMs() - cpu0, delivered: w.stats.count }
  }
  // Warm-up: compiling the hot paths, filling the pools.
  for (const s of Object.values(sides)) await round(s, Math.min(perRound, 2000))
  const l0 = loadAverage()
  for (let i = 0; i < rounds; i++) {
    for (const name of i % 2 === 0 ? ['A', 'B'] : ['B', 'A']) {
      const s = sides[name]
      const r = await round(s, perRound)
      s.ms += r.ms
      s.cpuMs += r.cpuMs
      s.delivered += r.delivered
      s.rates.push(Math.round((r.delivered / r.ms) * 1000))
    }
  }
  const l1 = loadAverage()
  const rate = (s) => (s.delivered / s.ms) * 1000
  const cpu = (s) => (s.cpuMs * 1000) / s.delivered
  for (const [name, s] of Object.entries(sides)) {
    console.log(`${name}: ${Math.round(rate(s))} deliveries/s, ${cpu(s).toFixed(1)} us server CPU per event; rounds ${s.rates.join(' ')}`)
  }
  // Round by round, B against the A beside it (the pairs A B / B A share a stretch of time).
  const pairs = sides.A.rates.map((a, i) => (sides.B.rates[i] / a).toFixed(2))
  console.log(`B/A rate ${(rate(sides.B) / rate(sides.A)).toFixed(3)} (pairs ${pairs.join(' ')}), CPU per event ${(cpu(sides.B) / cpu(sides.A)).toFixed(3)}; ` +
    `${endpoints} endpoints, ${publishers} publishers on ${connections} connections, ${rounds} x ${perRound} events each; load average ${l0} -> ${l1}`)
} finally {
  for (const s of Object.values(sides)) {
    await s.api.close()
    await s.srv.stop()
    rmSync(s.dataDir, { recursive: true, force: true })
  }
  await sink.stop()
}
