// Publish: durable publishes/s to Hookrelay (202 = event stored) for a tenant with no endpoints,
// compared with the bare Fastify route. Because the machine is shared and noisy, the two are
// interleaved: `BENCH_ROUNDS` rounds of (bare Fastify, then Hookrelay), each phase a share of
// `BENCH_DURATION_MS`, and the ratio is total publishes/s over total bare requests/s.
import { fileURLToPath } from 'node:url'
import { forkHelper } from '../child.mjs'
import { runClosedLoop } from '../load.mjs'
import { publishBody } from '../payload.mjs'
import { TENANT, loadSummary } from '../harness.mjs'
import { round, usPer } from '../stats.mjs'
import { processCpuMs } from '../server.mjs'
import { ratioRow } from '../report.mjs'

export async function publish(ctx) {
  const { cfg } = ctx
  const srv = await ctx.startServer({ dataDir: ctx.dataDir('publish'), role: 'all', label: 'publish' })
  const api = ctx.adminApi(srv.url, cfg.concurrency)
  await api.createTenant(TENANT)
  const bare = await forkHelper(fileURLToPath(new URL('../bare-fastify.mjs', import.meta.url)))
  ctx.onCleanup(() => bare.stop())
  const barePool = ctx.pool(`http://127.0.0.1:${bare.port}`, cfg.concurrency)

  const body = publishBody('bench.publish')
  const sides = {
    bare: { pool: barePool, build: () => ({ path: '/ingest', headers: api.authHeaders, body }) },
    publish: { pool: api.pool, build: () => ({ path: `/v1/tenants/${TENANT}/events`, headers: api.authHeaders, body }) },
  }
  const phase = (side, durationMs) => runClosedLoop({
    pool: sides[side].pool, build: sides[side].build, concurrency: cfg.concurrency, durationMs, expect: [202], isAborted: ctx.isAborted,
  })
  await phase('bare', cfg.warmupMs)
  await phase('publish', cfg.warmupMs)
  const rounds = Math.max(1, cfg.rounds)
  const each = Math.max(500, Math.round(cfg.durationMs / rounds))
  const totals = { bare: { ok: 0, ms: 0, errors: 0 }, publish: { ok: 0, ms: 0, errors: 0 } }
  const perRound = []
  let serverCpuMs = 0
  let bareCpuMs = 0
  const publishStatuses = {}
  const errorSamples = []
  for (let i = 0; i < rounds && !ctx.isAborted(); i++) {
    const bareCpu0 = processCpuMs(bare.pid)
    const b = await phase('bare', each)
    bareCpuMs += processCpuMs(bare.pid) - bareCpu0
    const cpu0 = srv.cpuMs()
    const p = await phase('publish', each)
    serverCpuMs += srv.cpuMs() - cpu0
    for (const [k, r] of [['bare', b], ['publish', p]]) {
      totals[k].ok += r.ok
      totals[k].ms += r.elapsedMs
      totals[k].errors += r.errors
    }
    for (const [s, n] of Object.entries(p.statuses)) publishStatuses[s] = (publishStatuses[s] ?? 0) + n
    errorSamples.push(...p.errorSamples, ...b.errorSamples)
    perRound.push({ barePerSec: round(b.okPerSec), publishPerSec: round(p.okPerSec), ratio: round(p.okPerSec / b.okPerSec, 3) })
  }
  const stop = await srv.stop()
  const barePerSec = (totals.bare.ok / totals.bare.ms) * 1000
  const publishPerSec = (totals.publish.ok / totals.publish.ms) * 1000
  if (totals.bare.ok === 0) throw new Error(`bare Fastify answered nothing: ${errorSamples.join(' | ')}`)
  const ratios = perRound.map((r) => r.ratio)
  const serverCpuUsPerPublish = usPer(serverCpuMs, totals.publish.ok)
  const bareCpuUsPerRequest = usPer(bareCpuMs, totals.bare.ok)
  const notes = [
    `${rounds} interleaved rounds, per-round ratios ${ratios.map((r) => r.toFixed(2)).join(', ')}`,
    `server CPU ${serverCpuUsPerPublish} us per publish, bare Fastify ${bareCpuUsPerRequest} us per request`,
  ]
  if (totals.publish.errors) notes.push(`${totals.publish.errors} failed publishes ${JSON.stringify(publishStatuses)}: ${errorSamples[0] ?? ''}`)
  if (stop.code !== 0) notes.push(`SIGTERM exit ${JSON.stringify(stop)}`)
  return {
    value: publishPerSec,
    details: {
      concurrency: cfg.concurrency, rounds, msPerPhase: each, perRound, serverCpuUsPerPublish, bareCpuUsPerRequest, publishStatuses, errorSamples: errorSamples.slice(0, 5),
      barePerSec: round(barePerSec), publishPerSec: round(publishPerSec), serverStop: stop, serverLog: srv.problems(),
    },
    rows: [ratioRow({
      scenario: 'publish (no endpoints)', value: publishPerSec, unit: 'publishes/s',
      baseline: barePerSec, baselineLabel: 'bare Fastify, interleaved', target: 0.5, note: notes.join('; '),
    })],
  }
}
