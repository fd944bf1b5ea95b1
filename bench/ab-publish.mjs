// A/B of two server builds on the publish path, in one time window: both servers run at once and
// take the load in alternating short phases (A B B A A B ...), so the machine's load falls on both
// alike. Reports server CPU (every thread, /proc) per publish for each.
// Usage: node bench/ab-publish.mjs ENTRY_A ENTRY_B [rounds=16] [phaseMs=1000]
import { mkdtempSync, rmSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { runClosedLoop } from './load.mjs'
import { adminApi } from './api.mjs'
import { startServer } from './server.mjs'
import { publishBody } from './payload.mjs'

const [entryA, entryB, roundsArg = '16', phaseArg = '1000'] = process.argv.slice(2)
const rounds = Number(roundsArg), phaseMs = Number(phaseArg)
const load = () => readFileSync('/proc/loadavg', 'utf8').split(' ')[0]
const sides = {}
for (const [name, entry] of [['A', entryA], ['B', entryB]]) {
  process.env.BENCH_SERVER_ENTRY = entry
  const dataDir = mkdtempSync(join(tmpdir(), `ab-${name}-`))
  const srv = await startServer({ dataDir, role: 'all', label: name })
  const api = adminApi(srv.url, 64)
  await api.createTenant('bench')
  sides[name] = { srv, api, dataDir, cpuMs: 0, ok: 0, per: [] }
}
const body = publishBody('bench.publish')
const phase = async (s, ms) => {
  const c0 = s.srv.cpuMs()
  const r = await runClosedLoop({ pool: s.api.pool, concurrency: 64, durationMs: ms, expect: [202], build: () => ({ path: '/v1/tenants/bench/events', headers: s.api.authHeaders, body }) })
  if (r.errors) throw new Error(`errors: ${r.errorSamples?.[0]}`)
  return { cpu: s.srv.cpuMs() - c0, ok: r.ok }
}
// Warm-up: the first seconds of a server include compiling its hot paths.
for (const s of Object.values(sides)) await phase(s, 3000)
const l0 = load()
for (let i = 0; i < rounds; i++) {
  const order = i % 2 === 0 ? ['A', 'B'] : ['B', 'A']
  for (const n of order) {
    const s = sides[n]
    const p = await phase(s, phaseMs)
    s.cpuMs += p.cpu
    s.ok += p.ok
    s.per.push(+(p.cpu * 1000 / p.ok).toFixed(1))
  }
}
const l1 = load()
const med = (a) => { const b = [...a].sort((x, y) => x - y); return b[Math.floor(b.length / 2)] }
for (const [n, s] of Object.entries(sides)) {
  console.log(`${n}: ${(s.cpuMs * 1000 / s.ok).toFixed(1)} us server CPU per publish (median phase ${med(s.per)}), ${s.ok} publishes; phases ${s.per.join(' ')}`)
  await s.api.close()
  await s.srv.stop()
  rmSync(s.dataDir, { recursive: true, force: true })
}
console.log(`B/A ${(sides.B.cpuMs / sides.B.ok / (sides.A.cpuMs / sides.A.ok)).toFixed(3)}; load average ${l0} -> ${l1}`)
